"""Candor: the Django project package. Importing the Celery app here makes
``shared_task`` and ``delay_on_commit`` bind to it in every process."""

from advocacy.celery import app as celery_app

__all__ = ("celery_app",)
