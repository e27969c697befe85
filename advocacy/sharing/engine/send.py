"""Sending: hold a batch of claimed shares, lease them a few at a time, send each
(``batch.SendBatch``), write the outcomes, and hand back what the batch did not try.
Idempotent: a redelivered batch finds its shares held or done and sends nothing twice."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from django.conf import settings
from django.utils import timezone

from advocacy.core import shutdown
from advocacy.core.counters import Tally, tally_record
from advocacy.sharing.engine import leases
from advocacy.sharing.engine.batch import SendBatch, SendOutcome
from advocacy.sharing.engine.dispatch import SEND_BATCH
from advocacy.sharing.models import Share

logger = logging.getLogger(__name__)
State = Share.State
# Within a batch, shares are leased a few at a time, in the same transaction that
# writes the outcomes of the few before: a worker killed mid-batch leaves at most
# this many shares in doubt (each reconciled with the network before any resend);
# the batch's other shares were never leased and simply go out again.
LEASE_CHUNK = 10
# A batch stops starting sends after this long and hands the rest back to the
# dispatcher, staying far inside the task's time limit on a slow network.
BATCH_SECONDS = settings.CELERY_TASK_SOFT_TIME_LIMIT / 3


def shares_take_over_lapsed(*, keep_alive: bool = False) -> list[SendOutcome]:
    """Send, now, up to a batch of shares whose batch's worker died (its hold lapsed),
    oldest first. A worker calls this before each batch of its own: re-enqueued at
    the back of the broker's queue, they would wait for everything claimed after
    them. (The beat's ``recover_stale`` still finds them when no worker is running.)"""
    lapsed = (
        Share.objects.filter(state=State.SENDING, held_until__lt=timezone.now())
        .order_by("scheduled_at", "pk")
        .values_list("pk", flat=True)[:SEND_BATCH]
    )
    ids = list(lapsed)
    if ids:
        logger.warning("taking over %d shares of a batch whose worker died: %s", len(ids), ids[:20])
    return shares_send(share_ids=ids, keep_alive=keep_alive) if ids else []


def share_send(*, share_id: int, keep_alive: bool = False) -> SendOutcome:
    """Send one claimed share. Idempotent: call it as often as a broker redelivers."""
    return shares_send(share_ids=[share_id], keep_alive=keep_alive)[0]


def shares_send(*, share_ids: Sequence[int], keep_alive: bool = False) -> list[SendOutcome]:
    """Send a batch of claimed shares, one after the other, writing their outcomes a
    few at a time. Idempotent like ``share_send``: a redelivered batch finds its
    shares held or done and sends nothing twice. ``keep_alive`` (a worker process)
    renews the hold from a thread, also while a network call is under way."""
    now = timezone.now()
    share_ids = list(dict.fromkeys(share_ids))
    hold = leases.Hold()
    held = set(hold.take(share_ids))
    loaded = Share.objects.select_related("employee", "account", "draft", "draft_version").filter(
        pk__in=held, state=State.SENDING, holder=hold.holder
    )
    by_pk = {share.pk: share for share in loaded}
    batch = SendBatch(list(by_pk.values()), now)
    outcomes: dict[int, SendOutcome] = {}
    waiting = [pk for pk in share_ids if pk in by_pk]  # held, not leased yet
    leased: list[int] = []  # leased, not tried yet
    deadline = time.monotonic() + BATCH_SECONDS
    hold.start(keep_alive=keep_alive)
    try:
        # A worker told to stop (SIGTERM, see advocacy.core.shutdown) finishes the post
        # it is sending and hands the rest back, like a batch out of time.
        while waiting and time.monotonic() <= deadline and hold.alive() and not shutdown.requested():
            chunk, waiting = waiting[:LEASE_CHUNK], waiting[LEASE_CHUNK:]
            fresh, facts = batch.outcomes.flush(hold=hold, lease=[by_pk[pk] for pk in chunk])
            leased = [pk for pk in chunk if pk in set(fresh)]
            for pk in leased:
                by_pk[pk].attempts += 1
            batch.use_facts([by_pk[pk] for pk in leased], facts)
            while leased and hold.alive() and not shutdown.requested():
                share = by_pk[leased.pop(0)]
                outcomes[share.pk] = batch.send(share)
                hold.renew_if_due()
    finally:
        hold.stop()
        batch.outcomes.flush(hold=hold)
        leases.release(leased, hold=hold, leased=True)
        leases.release(waiting, hold=hold, leased=False)
        _record_tally(batch.tally)
    for pk in share_ids:
        if pk not in outcomes and pk in set(waiting) | set(leased):
            outcomes[pk] = SendOutcome(
                pk,
                State.SCHEDULED,
                "handed back to the dispatcher: the batch ran out of time, or its worker is stopping",
            )
        elif pk not in outcomes:
            outcomes[pk] = _not_claimable(pk)
    return [outcomes[pk] for pk in share_ids]


def _record_tally(tally: Tally) -> None:
    """The batch's network calls and lateness, for /metrics. Never fails a batch: the
    outcomes are written already, and a lost count is only a lost count."""
    try:
        tally_record(tally=tally)
    except Exception:  # any database error; the figures are secondary to the posts
        logger.exception("could not record the batch's metrics")


def _not_claimable(share_id: int) -> SendOutcome:
    state = Share.objects.filter(pk=share_id).values_list("state", flat=True).first()
    return SendOutcome(share_id, state or "gone", "not claimable (done, cancelled, or another worker has it)")
