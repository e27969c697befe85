from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from advocacy.core.public_links import PUBLIC_ID_LENGTH, new_public_id
from advocacy.drafts.models import NETWORK_CHOICES

# A share's ``last_error_code`` when its previous attempt may have reached the network
# (a timeout, a 5xx, a worker killed mid-send): the next attempt reconciles first.
OUTCOME_UNKNOWN = "outcome_unknown"


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class Share(models.Model):
    """One post an employee asked Candor to make on one of their accounts.

    The database is the source of truth: the dispatcher claims due rows, a send
    task moves them on. ``idempotency_key`` is stable for the share's whole life and
    is what lets a retry be reconciled with the network instead of posting twice.
    """

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        MISSED = "missed", _("Missed")
        UNKNOWN = "unknown", _("Needs checking")
        # Edited away from the approved text while the programme wants edits reviewed:
        # the engine only ever claims SCHEDULED rows, so nothing here is sent.
        REVIEW = "review", _("Awaiting review")
        # Stopped before sending because the disclosure changed since it was scheduled
        # and the text no longer starts with the current one: nothing is sent until
        # the employee edits it (or cancels it).
        HELD = "held", _("On hold")

    PENDING_STATES = (State.SCHEDULED, State.REVIEW, State.HELD)
    EDITABLE_STATES = (State.SCHEDULED, State.REVIEW, State.HELD)
    FINAL_STATES = (State.SENT, State.FAILED, State.CANCELLED, State.MISSED)

    employee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shares")
    draft = models.ForeignKey("drafts.Draft", on_delete=models.PROTECT, related_name="shares")
    draft_version = models.ForeignKey("drafts.DraftVersion", on_delete=models.PROTECT, related_name="shares")
    account = models.ForeignKey("ledger.ConnectedAccount", on_delete=models.PROTECT, related_name="shares")
    network = models.CharField(max_length=20, choices=NETWORK_CHOICES)
    text = models.TextField(help_text="Final text, disclosure first, exactly as it will be posted.")
    disclosure = models.CharField(max_length=200, help_text="The disclosure the text must start with.")
    language = models.CharField(max_length=8, default="en")
    scheduled_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    idempotency_key = models.CharField(max_length=64, unique=True, default=new_idempotency_key, editable=False)
    # The post's public page, /p/<public_id>, linked from the disclosure. Empty (NULL)
    # for shares made before public pages existed: they were posted without the link.
    # NULL, not "", because many old shares have none and the column is unique.
    public_id = models.CharField(  # noqa: DJ001
        max_length=PUBLIC_ID_LENGTH, unique=True, null=True, default=new_public_id, editable=False
    )
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set while a worker may be talking to the network about this share (renewed with
    # the hold below): found expired, that attempt's outcome is unknown and the next
    # one reconciles first. A duplicate delivery of the same task finds it held.
    lease_until = models.DateTimeField(null=True, blank=True)
    # The send batch that holds this claimed share (a random id per batch run), and
    # until when: a running batch renews ``held_until`` every few seconds, so a worker
    # that dies frees its shares within one short lease (``CANDOR_SEND_LEASE_SECONDS``).
    holder = models.CharField(max_length=32, blank=True, default="")
    held_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    external_url = models.URLField(max_length=500, blank=True)
    last_error_code = models.CharField(max_length=40, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    cancelled_reason = models.CharField(max_length=300, blank=True)
    edited = models.BooleanField(
        default=False, help_text="The text differs from the approved post's (the disclosure aside)."
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        indexes = [
            # The dispatcher's order (next_attempt_at, id): with the id in the index, a
            # campaign of 10,000 shares due at the same instant needs no sort (bench/: fan-out).
            models.Index(fields=["state", "next_attempt_at", "id"], name="share_due_idx"),
            # The missed-shares sweep runs with every dispatch: scheduled and overdue only.
            models.Index(fields=["state", "scheduled_at"], name="share_late_idx"),
            models.Index(fields=["employee", "-scheduled_at"], name="share_employee_idx"),
        ]
        constraints = [
            # Only an edited share ever waits for a review, and no one reviews their own words.
            models.CheckConstraint(
                condition=~models.Q(state="review") | models.Q(edited=True), name="share_review_only_if_edited"
            ),
            models.CheckConstraint(
                condition=models.Q(reviewed_by__isnull=True) | ~models.Q(reviewed_by=models.F("employee")),
                name="share_reviewer_not_employee",
            ),
        ]

    def __str__(self) -> str:
        return f"share {self.pk} ({self.state})"

    @property
    def in_doubt(self) -> bool:
        """An earlier attempt may have been posted; the engine reconciles before anything else."""
        return self.last_error_code == OUTCOME_UNKNOWN

    @property
    def is_editable(self) -> bool:
        return self.state in self.EDITABLE_STATES and not self.in_doubt
