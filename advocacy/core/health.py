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


def health_report() -> tuple[int, dict[str, object]]:
    """HTTP status and body. 503 when the database or broker is down; a stale worker
    makes the status "degraded" but keeps 200, so a load balancer does not take the
    web tier out because a background process needs attention."""
    database = check_database()
    broker = check_broker()
    worker = check_worker() if database.ok else Check(False, "unknown: database unreachable")
    if not (database.ok and broker.ok):
        status, http_status = "fail", 503
    elif not worker.ok:
        status, http_status = "degraded", 200
    else:
        status, http_status = "ok", 200
    body = {
        "status": status,
        "database": asdict(database),
        "broker": asdict(broker),
        "worker": asdict(worker),
    }
    return http_status, body
