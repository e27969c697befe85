from django.apps import AppConfig


class ProgramConfig(AppConfig):
    name = "advocacy.program"
    label = "program"
    verbose_name = "Programme and consent"
