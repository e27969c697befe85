from __future__ import annotations

from django.db import models


class LinkPage(models.Model):
    """What Candor read from one linked page: derived data, fetched again once it
    expires, so not audited (like the heartbeats and the audit log's Merkle cache).

    ``thumb`` is Candor's own re-encoded JPEG, never the page's original file: it is
    what the preview shows and what Bluesky receives as the card's thumbnail."""

    class State(models.TextChoices):
        PENDING = "pending", "Not read yet"
        READY = "ready", "Read"
        FAILED = "failed", "Could not be read"

    url = models.URLField(max_length=500, unique=True)  # as long as a draft's link can be
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    title = models.CharField(max_length=300, blank=True)
    description = models.CharField(max_length=1000, blank=True)
    thumb = models.BinaryField(null=True, blank=True, editable=False)
    thumb_size = models.PositiveIntegerField(default=0)  # bytes; 0: no thumbnail
    problem = models.CharField(max_length=300, blank=True)  # why the last read failed, for operators
    requested_at = models.DateTimeField()
    fetched_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(thumb_size__gt=0, thumb__isnull=False) | models.Q(thumb_size=0),
                name="linkcards_thumb_size_matches",
            )
        ]

    def __str__(self) -> str:
        return self.url
