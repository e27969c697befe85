from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "advocacy.notifications"
    label = "notifications"
    verbose_name = "Notifications"
