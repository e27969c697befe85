from __future__ import annotations

from django.conf import settings
from django.db import models


class ServiceHeartbeat(models.Model):
    """Last time a background process proved it was alive.

    Beat schedules ``core.heartbeat`` and a worker runs it, so a fresh ``worker``
    row proves both are up. /healthz reads it: a scheduler that silently stopped is
    the first thing users of other schedulers complain about.
    """

    name = models.CharField(max_length=40, unique=True)
    last_seen = models.DateTimeField()
    hostname = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class TaskProbe(models.Model):
    """A diagnostic round trip: the web enqueues, a worker process completes it."""

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    worker_hostname = models.CharField(max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"probe {self.pk}"
