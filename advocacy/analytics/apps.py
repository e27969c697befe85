from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "advocacy.analytics"
    label = "analytics"
    verbose_name = "Analytics (groups only)"
