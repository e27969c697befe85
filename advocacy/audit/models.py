from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from advocacy.audit.actions import AuditAction, Via

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One recorded state change. Append-only (database triggers refuse UPDATE and
    DELETE) and hash-chained: ``hash`` = SHA-256 of ``prev_hash`` + the canonical
    JSON of the event (see ``advocacy.audit.chain``). Rows are written only by
    ``advocacy.audit.services.audit_record``.

    Personal data stays out of the chained envelope: the actor is an id, and old/new
    values are chained through ``payload_digest``, so a GDPR erasure can replace a
    payload while the chain still verifies.
    """

    sequence = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=40, choices=AuditAction.choices, db_index=True)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The person the change is about (e.g. whose share or account), for filtering.",
    )
    payload = models.JSONField(default=dict, blank=True)  # {"old": {...}, "new": {...}}
    payload_digest = models.CharField(max_length=64)
    via = models.CharField(max_length=10, choices=Via.choices)
    request_id = models.CharField(max_length=64, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"


class AuditChainHead(models.Model):
    """The single row holding the latest sequence and hash. Appending locks it, so
    events get gap-free sequence numbers in commit order."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_chain_head_singleton")]

    def __str__(self) -> str:
        return f"head #{self.sequence}"


class AuditExportJob(models.Model):
    """A large export run by a worker, with progress the admin page polls."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    format = models.CharField(max_length=5, choices=[("csv", "CSV"), ("jsonl", "JSON Lines")])
    filters = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    head_sequence = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    total = models.BigIntegerField(default=0)
    processed = models.BigIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.state})"

    @property
    def percent(self) -> int:
        return 100 if self.state == self.State.DONE else int(100 * self.processed / self.total) if self.total else 0


class AuditCheckpoint(models.Model):
    """A signed checkpoint of the log (``advocacy.audit.checkpoints``). Stored for the
    admin page and to know what to witness; not trusted by itself: verification reads
    the checkpoints back from the witnesses, which the database owner does not control."""

    tree_size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=8)
    note = models.TextField(help_text="The signed checkpoint, exactly as witnessed.")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    witnessed_at = models.DateTimeField(null=True, blank=True)
    witness_failures = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-tree_size"]

    def __str__(self) -> str:
        return f"checkpoint #{self.tree_size}"


class AuditMerkleNode(models.Model):
    """A cached root of a perfect subtree of the audit log's Merkle tree: 2**level
    events (level 8, 16, 24 …) from event ``index * 2**level + 1`` on. Derived data,
    written when a checkpoint is signed (``advocacy.audit.merkle_cache``) so that a root
    or a proof at a million events reads a few hundred hashes. Not trusted by itself:
    ``audit_verify`` recomputes the tree from the events and reports a cached node that
    differs."""

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="audit_merkle_node_unique")]

    def __str__(self) -> str:
        return f"merkle node {self.level}/{self.index}"
