"""Celery interface of notifications: thin, named, idempotent."""

from celery import shared_task

from advocacy.notifications import alerts, digests


@shared_task(name="notifications.send_digests", ignore_result=True)
def send_digests() -> int:
    return digests.digests_send_due()


@shared_task(name="notifications.warn_expiring_tokens", ignore_result=True)
def warn_expiring_tokens() -> int:
    return alerts.tokens_warn_expiring()
