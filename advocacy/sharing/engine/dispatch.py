"""Dispatching: claim due shares (``scheduled`` → ``sending``) and enqueue their send
tasks; find shares a vanished worker left in *sending*; mark those found long past
their time as *missed*. The beat calls these; a worker that finishes a batch
dispatches again."""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record
from advocacy.notifications.models import Notification
from advocacy.sharing.engine import messages
from advocacy.sharing.models import OUTCOME_UNKNOWN, Share

logger = logging.getLogger(__name__)
State = Share.State
DISPATCH_BATCH = 500
# Shares per send task. A batch pays once for what every send needs (a task, the
# lease, loading, the pre-send checks, the audit chain head lock and a commit):
# per-share overhead was most of the cost of a large fan-out (bench/: fan-out).
SEND_BATCH = 30
# A claimed share whose send task no worker has started this long after the claim is
# taken for lost by the broker and enqueued again (a second copy of a task is harmless).
QUEUE_TIMEOUT = dt.timedelta(seconds=settings.CANDOR_SEND_QUEUE_TIMEOUT_SECONDS)


def late_cutoff(now: dt.datetime) -> dt.datetime:
    """A share scheduled before this is too late to send (``CANDOR_MAX_LATENESS_MINUTES``)."""
    return now - dt.timedelta(minutes=settings.CANDOR_MAX_LATENESS_MINUTES)


def dispatch_due(*, now: dt.datetime | None = None, limit: int = DISPATCH_BATCH) -> list[int]:
    """Claim due shares and enqueue their send tasks. Safe to run concurrently
    (two beats started by mistake): a row is claimed by exactly one caller."""
    now = now or timezone.now()
    share_missed_sweep(now=now)
    # Backpressure: claimed shares that no worker has picked up yet wait in the broker.
    # Keep at most ``limit`` of them there, and leave the rest of a large fan-out
    # 'scheduled' in the database until the workers catch up; queued longer than a
    # queue timeout, recover_stale would take them for lost and enqueue them a second
    # time (bench/: a 10,000-share fan-out re-enqueued hundreds of shares every tick).
    limit -= _queued().count()
    if limit <= 0:
        return []
    with transaction.atomic():
        # In-doubt shares are dispatched however late they are: they reconcile first.
        due = Share.objects.filter(
            Q(scheduled_at__gte=late_cutoff(now)) | Q(last_error_code=OUTCOME_UNKNOWN),
            state=State.SCHEDULED,
            next_attempt_at__lte=now,
        ).order_by("next_attempt_at", "pk")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = _claim(list(due.values_list("pk", flat=True)[:limit]), now)
        if ids:
            transaction.on_commit(partial(_enqueue, ids))
    return ids


def _queued() -> QuerySet[Share]:
    """Claimed shares no batch has started: their tasks wait in the broker (or are lost)."""
    return Share.objects.filter(state=State.SENDING, held_until__isnull=True, lease_until__isnull=True)


def _enqueue(ids: list[int]) -> None:
    """One send task per ``SEND_BATCH`` of ``ids``. When the broker cannot take one
    (down, restarting), that batch and the rest are handed straight back to the
    dispatcher instead of waiting in *sending* for the queue timeout to notice."""
    from advocacy.sharing.tasks import send_shares

    for start in range(0, len(ids), SEND_BATCH):
        try:
            send_shares.apply_async(args=(ids[start : start + SEND_BATCH],), queue="posting")
        except Exception as exc:  # kombu's OperationalError, a socket error: any failure to publish
            rest = ids[start:]
            handed = _queued().filter(pk__in=rest).update(state=State.SCHEDULED, updated_at=timezone.now())
            logger.warning("broker unavailable (%s): %d claimed shares handed back to the dispatcher", exc, handed)
            return


def _claim(ids: list[int], now: dt.datetime) -> list[int]:
    """scheduled → sending for those of ``ids`` still scheduled; returns exactly the
    rows this caller claimed (UPDATE … RETURNING, so a concurrent dispatcher's rows
    are never counted as ours)."""
    if not ids:
        return []
    stamp = connection.ops.adapt_datetimefield_value(now)
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"UPDATE {connection.ops.quote_name(Share._meta.db_table)} "  # noqa: S608  # nosec B608
        "SET state = %s, claimed_at = %s, updated_at = %s "
        f"WHERE id IN ({placeholders}) AND state = %s RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [State.SENDING, stamp, stamp, *ids, State.SCHEDULED])
        return sorted(row[0] for row in cursor.fetchall())


def recover_stale(*, now: dt.datetime | None = None) -> list[int]:
    """Shares left in *sending* whose worker vanished: its batch stopped renewing its
    hold (the worker was killed), or no batch ever started them (the broker lost the
    message). They are re-enqueued; one whose send had begun reconciles first."""
    now = now or timezone.now()
    candidates = Share.objects.filter(state=State.SENDING).filter(
        Q(held_until__lt=now)  # its batch's worker died
        | Q(held_until__isnull=True, lease_until__lt=now)  # leased before holds existed
        | Q(held_until__isnull=True, lease_until__isnull=True, claimed_at__lt=now - QUEUE_TIMEOUT)
    )
    ids = []
    for share in candidates.only("pk", "claimed_at", "holder", "lease_until", "last_error_code")[:DISPATCH_BATCH]:
        # A lease means a worker was mid-send; a retry already in doubt stays in doubt.
        in_doubt = share.lease_until is not None or share.last_error_code == OUTCOME_UNKNOWN
        # Only one recoverer wins each row: the claim time and the holder move on.
        if Share.objects.filter(
            pk=share.pk, state=State.SENDING, claimed_at=share.claimed_at, holder=share.holder
        ).update(
            claimed_at=now,
            holder="",
            held_until=None,
            lease_until=None,
            last_error_code=OUTCOME_UNKNOWN if in_doubt else "",
            updated_at=now,
        ):
            ids.append(share.pk)
    if ids:
        logger.warning("re-enqueued %d stale shares: %s", len(ids), ids[:20])
        _enqueue(ids)
    return ids


def share_missed_sweep(*, now: dt.datetime) -> int:
    """Shares found long past their time are marked *missed* and the employee told,
    instead of going out hours late after an outage. In-doubt shares are left to
    the send task, which reconciles first: they may already be live."""
    late = list(
        Share.objects.filter(state=State.SCHEDULED, scheduled_at__lt=late_cutoff(now))
        .exclude(last_error_code=OUTCOME_UNKNOWN)
        .select_related("employee", "draft")
        # By (state, scheduled_at), an index: ordered by pk, PostgreSQL walked the whole
        # table on every dispatch, 235 ms at 210,000 shares (bench/: fan-out).
        .order_by("scheduled_at", "pk")[:DISPATCH_BATCH]
    )
    count = 0
    for share in late:
        with transaction.atomic():
            if (
                not Share.objects.filter(pk=share.pk, state=State.SCHEDULED)
                .exclude(last_error_code=OUTCOME_UNKNOWN)
                .update(
                    state=State.MISSED,
                    last_error_code="missed",
                    last_error=messages.missed_reason(),
                    updated_at=now,
                )
            ):
                continue
            audit_record(
                actor=None,
                action=AuditAction.SHARE_MISSED,
                target=share,
                subject=share.employee,
                old={"state": State.SCHEDULED},
                new={"state": State.MISSED},
            )
            messages.tell(share, Notification.Kind.SHARE_MISSED, partial(messages.missed_words, share))
            count += 1
    return count
