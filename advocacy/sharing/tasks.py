"""Celery interface of the posting engine: thin, named, idempotent, IDs only."""

from collections import Counter

from celery import shared_task

from advocacy.core import shutdown
from advocacy.sharing import engine


@shared_task(name="sharing.dispatch_due_shares", ignore_result=True)
def dispatch_due_shares() -> int:
    claimed = engine.dispatch_due()
    engine.recover_stale()
    return len(claimed)


@shared_task(bind=True, name="sharing.send_shares", acks_late=True, ignore_result=True, queue="posting")
def send_shares(self: object, share_ids: list[int]) -> dict[str, int]:
    eager = self.request.is_eager  # type: ignore[attr-defined]
    # In a worker process a thread renews the batch's hold while it sends, so a dead
    # worker's shares are free again within one short lease.
    outcomes = []
    if not eager and not shutdown.requested():
        # A dead worker's shares first: they are the latest already, and re-enqueued at
        # the back of the queue they would wait for everything claimed after them.
        outcomes += engine.shares_take_over_lapsed(keep_alive=True)
    outcomes += engine.shares_send(share_ids=share_ids, keep_alive=not eager)
    # (A worker that is stopping claims nothing more: what it handed back goes to the others.)
    if not eager and not shutdown.requested():
        # Pull the next batch as soon as this one is done, instead of waiting for
        # beat's next tick: a large fan-out keeps every worker busy (bench/: fan-out).
        # Backpressure in dispatch_due keeps the queue short. (Eagerly, the caller's
        # own dispatch_due is still running.)
        engine.dispatch_due()
    # How many ended in each state: short, because the worker logs what a task returns.
    return dict(Counter(outcome.state for outcome in outcomes))


@shared_task(bind=True, name="sharing.send_share", acks_late=True, ignore_result=True, queue="posting")
def send_share(self: object, share_id: int) -> str:
    """One share: messages queued before batches existed, and direct sends."""
    return engine.share_send(share_id=share_id, keep_alive=not self.request.is_eager).state  # type: ignore[attr-defined]
