"""The Celery application. Configuration lives in Django settings under ``CELERY_*``."""

from celery import Celery

from advocacy.startup import load_settings

load_settings()

app = Celery("advocacy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
