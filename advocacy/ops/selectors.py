"""Figures about the whole system, read from the database on each call. None names or
counts a person: they are about shares, queues, hand-backs and processes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from advocacy.audit.models import AuditChainHead, AuditCheckpoint
from advocacy.core.models import ServiceHeartbeat, WorkerHeartbeat
from advocacy.ledger.models import Offboarding
from advocacy.sharing.models import Share

State = Share.State


def shares_by_state_and_network() -> dict[tuple[str, str], int]:
    rows = Share.objects.order_by().values_list("state", "network").annotate(n=Count("id"))
    return {(state, network): n for state, network, n in rows}


def _due(now: dt.datetime) -> Q:
    """Due and not done: scheduled and its (next) attempt is due, or claimed and being sent."""
    return Q(state=State.SCHEDULED, next_attempt_at__lte=now) | Q(state=State.SENDING)


@dataclass(frozen=True)
class PostingQueue:
    due_waiting: int  # scheduled, due, not claimed yet
    claimed_waiting: int  # claimed, its send task not picked up by a worker yet
    sending: int  # leased by a worker that is sending it
    oldest_due_seconds: float  # how long the longest-waiting due share has been due (0: none)


def posting_queue(*, now: dt.datetime | None = None) -> PostingQueue:
    """The posting backlog. "Due" counts from the share's next attempt time, so a retry
    waiting out its backoff is not late; a share marked in doubt counts however late."""
    now = now or timezone.now()
    figures = Share.objects.filter(_due(now)).aggregate(
        due_waiting=Count("id", filter=Q(state=State.SCHEDULED)),
        claimed_waiting=Count("id", filter=Q(state=State.SENDING, lease_until__isnull=True)),
        sending=Count("id", filter=Q(state=State.SENDING, lease_until__isnull=False)),
        oldest=Min("next_attempt_at"),
    )
    oldest = figures.pop("oldest")
    return PostingQueue(
        **figures, oldest_due_seconds=max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    )


def hand_backs_by_state() -> dict[str, int]:
    """Hand-backs not completed, by state: running, revocation pending (retrying) and
    revocation failed (needs an admin)."""
    rows = (
        Offboarding.objects.exclude(state=Offboarding.State.COMPLETED)
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"))
    )
    found = dict(rows)
    return {state: found.get(state, 0) for state in Offboarding.State.values if state != Offboarding.State.COMPLETED}


@dataclass(frozen=True)
class CheckpointFigures:
    age_seconds: float | None  # since the newest signed checkpoint (None: none yet)
    events_not_checkpointed: int  # audit events newer than the newest checkpoint


def audit_checkpoint_figures(*, now: dt.datetime | None = None) -> CheckpointFigures:
    now = now or timezone.now()
    newest = AuditCheckpoint.objects.order_by("-tree_size").values_list("tree_size", "created_at").first()
    head = AuditChainHead.objects.filter(pk=1).values_list("sequence", flat=True).first() or 0
    if newest is None:
        return CheckpointFigures(age_seconds=None, events_not_checkpointed=head)
    size, created_at = newest
    return CheckpointFigures(
        age_seconds=(now - created_at).total_seconds(), events_not_checkpointed=max(0, head - size)
    )


def worker_stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=4 * settings.CANDOR_WORKER_HEARTBEAT_SECONDS)


def live_workers(*, now: dt.datetime | None = None) -> list[WorkerHeartbeat]:
    """Workers whose main process beat recently and that have not stopped."""
    now = now or timezone.now()
    return list(
        WorkerHeartbeat.objects.filter(stopped_at__isnull=True, last_seen__gte=now - worker_stale_after()).order_by(
            "worker"
        )
    )


def recent_workers(
    *, now: dt.datetime | None = None, within: dt.timedelta = dt.timedelta(hours=1)
) -> list[WorkerHeartbeat]:
    """Workers seen within ``within``, stopped or not (for /metrics: a worker that
    vanished shows up as a growing heartbeat age, then drops out)."""
    now = now or timezone.now()
    return list(WorkerHeartbeat.objects.filter(last_seen__gte=now - within).order_by("worker"))


def beat_round_trip_age(*, now: dt.datetime | None = None) -> float | None:
    """Seconds since a worker last ran beat's scheduled heartbeat task (None: never):
    proves beat, the broker and a worker all work."""
    now = now or timezone.now()
    last = ServiceHeartbeat.objects.filter(name="worker").values_list("last_seen", flat=True).first()
    return None if last is None else (now - last).total_seconds()
