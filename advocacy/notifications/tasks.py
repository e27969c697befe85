"""Celery interface of notifications: thin, named, idempotent."""

from celery import shared_task

from advocacy.notifications import alerts, announce, digests, push


@shared_task(name="notifications.send_digests", ignore_result=True)
def send_digests() -> int:
    return digests.digests_send_due()


@shared_task(name="notifications.warn_expiring_tokens", ignore_result=True)
def warn_expiring_tokens() -> int:
    return alerts.tokens_warn_expiring()


@shared_task(name="notifications.push_notification", ignore_result=True)
def push_notification(notification_id: int) -> int:
    return push.push_deliver(notification_id=notification_id)


@shared_task(name="notifications.announce_draft_push", ignore_result=True)
def announce_draft_push(draft_id: int) -> int:
    return announce.push_announce_draft(draft_id=draft_id)
