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


class WorkerHeartbeat(models.Model):
    """One Celery worker (its main process) saying it is alive, every
    ``CANDOR_WORKER_HEARTBEAT_SECONDS`` from a thread of its own, whatever its pool is
    doing and whether or not beat runs. /healthz and /metrics read these rows; a worker
    that stops cleanly marks its row ``stopped_at``."""

    worker = models.CharField(max_length=255, unique=True, help_text="Celery node name and process id.")
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.worker} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class MetricCounter(models.Model):
    """A monotonic count kept for /metrics, for what happens inside workers (a network
    call and how long it took, how late a share went out). Every worker process on
    every host adds to the same rows, so one scrape of the web sees them all and the
    counts survive restarts (``advocacy.core.counters``)."""

    name = models.CharField(max_length=100)
    labels = models.CharField(max_length=255, blank=True, help_text='Prometheus label set, e.g. network="bluesky"')
    value = models.FloatField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "labels"], name="metric_counter_unique")]

    def __str__(self) -> str:
        return f"{self.name}{{{self.labels}}} {self.value}"


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
