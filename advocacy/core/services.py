from __future__ import annotations

import os
import socket

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from advocacy.core.models import ServiceHeartbeat, TaskProbe


def heartbeat_record(*, name: str) -> ServiceHeartbeat:
    beat, _ = ServiceHeartbeat.objects.update_or_create(
        name=name, defaults={"last_seen": timezone.now(), "hostname": socket.gethostname()}
    )
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
