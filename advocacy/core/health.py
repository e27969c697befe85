"""Readiness checks reported by /healthz and the admin diagnostics page."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.db import connection
from django.utils import timezone

WORKER_STALE_AFTER = timedelta(seconds=120)


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not reachable" here
        return Check(False, f"database unreachable: {type(exc).__name__}")
    return Check(True, connection.vendor)


def check_broker() -> Check:
    from advocacy.celery import app

    try:
        with app.connection_for_write(connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
            transport = conn.transport_cls
    except Exception as exc:  # kombu raises a variety of library errors
        return Check(False, f"broker unreachable: {type(exc).__name__}")
    return Check(True, str(transport))


def check_workers() -> Check:
    """Some worker's main process beat recently (its own thread, every
    ``CANDOR_WORKER_HEARTBEAT_SECONDS``; see ``advocacy.celery``)."""
    from advocacy.ops import selectors

    now = timezone.now()
    alive = selectors.live_workers(now=now)
    stale = int(selectors.worker_stale_after().total_seconds())
    if not alive:
        last = selectors.recent_workers(now=now, within=timedelta(days=1))
        seen = max((beat.last_seen for beat in last), default=None)
        since = f"; the last one beat {int((now - seen).total_seconds())} s ago" if seen else ""
        return Check(
            False, f"no worker has sent a heartbeat in the last {stale} s{since} (is `celery worker` running?)"
        )
    return Check(True, f"{len(alive)} worker(s) beating: {', '.join(beat.worker for beat in alive[:5])}")


def check_beat() -> Check:
    """Beat schedules ``core.heartbeat`` and a worker runs it: beat, broker and a worker all work."""
    from advocacy.core.models import ServiceHeartbeat

    beat = ServiceHeartbeat.objects.filter(name="worker").first()
    if beat is None:
        return Check(False, "beat's heartbeat task has never run (is `celery beat` running?)")
    age = timezone.now() - beat.last_seen
    if age > WORKER_STALE_AFTER:
        return Check(
            False, f"beat's heartbeat task last ran {int(age.total_seconds())} s ago (is `celery beat` running?)"
        )
    return Check(True, f"last ran {int(age.total_seconds())} s ago on {beat.hostname}")


def check_posting() -> Check:
    """No due share has waited longer than ``CANDOR_HEALTH_MAX_DUE_SECONDS``."""
    from django.conf import settings

    from advocacy.ops import selectors

    queue = selectors.posting_queue()
    limit = settings.CANDOR_HEALTH_MAX_DUE_SECONDS
    waiting = queue.due_waiting + queue.claimed_waiting + queue.sending
    if queue.oldest_due_seconds > limit:
        return Check(
            False,
            f"the oldest due share has waited {int(queue.oldest_due_seconds)} s to be sent, more than "
            f"CANDOR_HEALTH_MAX_DUE_SECONDS={limit} ({waiting} due shares not sent yet)",
        )
    return Check(True, f"{waiting} due share(s) not sent yet; the oldest has waited {int(queue.oldest_due_seconds)} s")


def check_audit_witnesses() -> Check:
    """The audit log's checkpoints reach a witness outside the database: every witness
    is there and writable, the signing key loads, the newest checkpoint was witnessed
    and is not overdue (docs/operations.md, "Signed checkpoints and witnesses")."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from advocacy.audit.keys import signing_key
    from advocacy.audit.models import AuditCheckpoint, AuditEvent
    from advocacy.audit.witnesses import configured_witnesses

    witnesses = configured_witnesses()
    if not witnesses:
        return Check(False, "no audit witness is configured: checkpoints are kept nowhere outside the database")
    problems = [problem for witness in witnesses if (problem := witness.problem())]
    try:
        signing_key()
    except ImproperlyConfigured as exc:
        problems.append(str(exc))
    newest = AuditCheckpoint.objects.order_by("-tree_size").first()
    if newest is not None and newest.witness_failures:
        problems.append(f"checkpoint #{newest.tree_size} not witnessed: {'; '.join(newest.witness_failures)}")
    # Overdue when the oldest event no checkpoint covers has waited three intervals:
    # a fresh install (or a quiet log that just woke) is not unhealthy before beat's
    # first checkpoint is even due.
    signed = newest.tree_size if newest is not None else 0
    oldest_unsigned = (
        AuditEvent.objects.filter(sequence__gt=signed).order_by("sequence").values_list("created_at", flat=True).first()
    )
    overdue = timedelta(seconds=3 * settings.CANDOR_CHECKPOINT_INTERVAL)
    if oldest_unsigned is not None and timezone.now() - oldest_unsigned > overdue:
        problems.append("no checkpoint signed for the newest events (is `celery beat` running?)")
    if problems:
        return Check(False, "; ".join(problems))
    if newest is None:
        return Check(True, f"{len(witnesses)} witness(es); no events to checkpoint yet")
    return Check(True, f"{len(witnesses)} witness(es); newest checkpoint #{newest.tree_size} witnessed")


def health_report() -> tuple[int, dict[str, object]]:
    """HTTP status and body.

    * ``fail`` (503): the database or the broker is unreachable.
    * ``unhealthy`` (200): posting is in trouble: no worker has beaten recently, or a
      due share has waited longer than ``CANDOR_HEALTH_MAX_DUE_SECONDS``.
    * ``degraded`` (200): beat's heartbeat is overdue, or an audit witness is missing
      or failing: loudly, and never skipped in silence.

    ``reasons`` lists every failing check's detail. Only ``fail`` is a 503, so a load
    balancer does not take the web tier out because a background process needs
    attention; monitors that read only the status code use ``/healthz?strict=1``,
    which is 503 whenever the status is not ``ok``."""
    database = check_database()
    broker = check_broker()
    unknown = Check(False, "unknown: database unreachable")
    workers = check_workers() if database.ok else unknown
    posting = check_posting() if database.ok else unknown
    beat = check_beat() if database.ok else unknown
    witnesses = check_audit_witnesses() if database.ok else unknown
    if not (database.ok and broker.ok):
        status, http_status = "fail", 503
    elif not (workers.ok and posting.ok):
        status, http_status = "unhealthy", 200
    elif not (beat.ok and witnesses.ok):
        status, http_status = "degraded", 200
    else:
        status, http_status = "ok", 200
    checks = {
        "database": database,
        "broker": broker,
        "worker": workers,
        "posting": posting,
        "beat": beat,
        "audit_witnesses": witnesses,
    }
    body: dict[str, object] = {"status": status}
    body.update({name: asdict(check) for name, check in checks.items()})
    body["reasons"] = [f"{name}: {check.detail}" for name, check in checks.items() if not check.ok]
    return http_status, body
