from django.apps import AppConfig


class DraftsConfig(AppConfig):
    name = "advocacy.drafts"
    label = "drafts"
    verbose_name = "Drafts and reviews"
