from __future__ import annotations

import os
import socket
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from advocacy.core.models import ServiceHeartbeat, TaskProbe, WorkerHeartbeat

# Rows of workers gone this long are removed when another worker beats.
WORKER_HEARTBEAT_KEPT = timedelta(days=1)


def heartbeat_record(*, name: str) -> ServiceHeartbeat:
    beat, _ = ServiceHeartbeat.objects.update_or_create(
        name=name, defaults={"last_seen": timezone.now(), "hostname": socket.gethostname()}
    )
    return beat


def worker_heartbeat_record(*, worker: str, pid: int, stopped: bool = False) -> WorkerHeartbeat:
    """A worker's main process is alive (or, ``stopped``, has just stopped cleanly).
    Not audited: it says nothing about people, and it is written every few seconds."""
    now = timezone.now()
    beat, created = WorkerHeartbeat.objects.get_or_create(
        worker=worker[:255],
        defaults={"hostname": socket.gethostname(), "pid": pid, "started_at": now, "last_seen": now},
    )
    if not created:
        beat.last_seen = now
        beat.stopped_at = now if stopped else None
        beat.save(update_fields=["last_seen", "stopped_at"])
    elif stopped:
        WorkerHeartbeat.objects.filter(pk=beat.pk).update(stopped_at=now)
    WorkerHeartbeat.objects.filter(last_seen__lt=now - WORKER_HEARTBEAT_KEPT).delete()
    return beat


@transaction.atomic
def task_probe_request(*, actor: User | None) -> TaskProbe:
    """Create a probe and enqueue its task once the row is committed."""
    from advocacy.core.tasks import complete_task_probe

    probe = TaskProbe.objects.create(requested_by=actor)
    # celery-types types shared_task as a plain Task; with Django, Celery's task class is DjangoTask.
    complete_task_probe.delay_on_commit(probe.pk)  # type: ignore[attr-defined]
    return probe


def task_probe_complete(*, probe_id: int) -> bool:
    """Mark a probe done. Returns False if it was already done or is gone (idempotent)."""
    updated = TaskProbe.objects.filter(pk=probe_id, completed_at__isnull=True).update(
        completed_at=timezone.now(), worker_hostname=socket.gethostname(), worker_pid=os.getpid()
    )
    return updated == 1
