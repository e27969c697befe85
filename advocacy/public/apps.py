from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "advocacy.public"
    label = "public"
    verbose_name = "Public pages (who is speaking)"
