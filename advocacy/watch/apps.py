from django.apps import AppConfig


class WatchConfig(AppConfig):
    name = "advocacy.watch"
    label = "watch"
    verbose_name = "Posts made outside Candor"
