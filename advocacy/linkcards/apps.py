from django.apps import AppConfig


class LinkCardsConfig(AppConfig):
    name = "advocacy.linkcards"
    label = "linkcards"
    verbose_name = "Link cards (Open Graph)"
