from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "advocacy.sharing"
    label = "sharing"
    verbose_name = "Shares and posting"
