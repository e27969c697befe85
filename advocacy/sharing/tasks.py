"""Celery interface of the posting engine: thin, named, idempotent, IDs only."""

from celery import shared_task

from advocacy.sharing import engine


@shared_task(name="sharing.dispatch_due_shares", ignore_result=True)
def dispatch_due_shares() -> int:
    claimed = engine.dispatch_due()
    engine.recover_stale()
    return len(claimed)


@shared_task(name="sharing.send_share", acks_late=True, ignore_result=True, queue="posting")
def send_share(share_id: int) -> str:
    return engine.share_send(share_id=share_id).state
