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


def check_worker() -> Check:
    from advocacy.core.models import ServiceHeartbeat

    beat = ServiceHeartbeat.objects.filter(name="worker").first()
    if beat is None:
        return Check(False, "no worker heartbeat yet (is `celery worker` and `celery beat` running?)")
    age = timezone.now() - beat.last_seen
    if age > WORKER_STALE_AFTER:
        return Check(False, f"last worker heartbeat {int(age.total_seconds())} s ago")
    return Check(True, f"last heartbeat {int(age.total_seconds())} s ago from {beat.hostname}")


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
    """HTTP status and body. 503 when the database or broker is down; a stale worker
    makes the status "degraded" but keeps 200, so a load balancer does not take the
    web tier out because a background process needs attention. A missing or failing
    audit witness is "degraded" too, loudly, and never skipped in silence."""
    database = check_database()
    broker = check_broker()
    worker = check_worker() if database.ok else Check(False, "unknown: database unreachable")
    witnesses = check_audit_witnesses() if database.ok else Check(False, "unknown: database unreachable")
    if not (database.ok and broker.ok):
        status, http_status = "fail", 503
    elif not (worker.ok and witnesses.ok):
        status, http_status = "degraded", 200
    else:
        status, http_status = "ok", 200
    body: dict[str, object] = {
        "status": status,
        "database": asdict(database),
        "broker": asdict(broker),
        "worker": asdict(worker),
        "audit_witnesses": asdict(witnesses),
    }
    return http_status, body
