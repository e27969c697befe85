from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Re-exported for the modules that still import it from here.
from advocacy.networks.registry import NETWORK_CHOICES as NETWORK_CHOICES


class Campaign(models.Model):
    name = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Draft(models.Model):
    """A piece of content the comms team prepares. Its text lives in versions;
    ``working_version`` is the one being edited or reviewed, ``published_version``
    the one employees see (it stays live while a newer version is under review)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    title = models.CharField(_("internal title"), max_length=140)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT, db_index=True)
    working_version = models.ForeignKey("DraftVersion", null=True, on_delete=models.PROTECT, related_name="+")
    published_version = models.ForeignKey(
        "DraftVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not stored: ``draft_edit`` sets it when a save repeated the working version word
    # for word, so no version was made; views tell the person instead of "saved".
    nothing_changed: bool = False

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title


class DraftVersion(models.Model):
    """An immutable snapshot of a draft's content. Every edit makes a new version,
    so the approver can be checked against whoever wrote exactly what they approve,
    and reviewers can diff any two versions."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    link = models.URLField(max_length=500, blank=True)
    image = models.ImageField(upload_to="drafts/%Y/%m/", blank=True)
    image_alt = models.CharField(max_length=1000, blank=True)
    language = models.CharField(max_length=8, default="en")
    networks = models.JSONField(default=list)  # which networks this content is for
    variants = models.JSONField(default=dict, blank=True)  # {"x": "shorter text"} overrides body
    expires_at = models.DateTimeField(null=True, blank=True)
    tone_flags = models.JSONField(default=list, blank=True)  # [{"kind", "reason"}] for reviewers
    # Who the post is meant for, reviewed with the rest of the version: no rows in
    # ``audience_teams`` and no languages is everyone (``advocacy.drafts.audience``).
    audience_languages = models.JSONField(default=list, blank=True)  # ["de", "it"]
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["draft", "number"]
        constraints = [models.UniqueConstraint(fields=["draft", "number"], name="draft_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.draft} v{self.number}"

    def body_for(self, network: str) -> str:
        return self.variants.get(network) or self.body


class DraftAudienceTeam(models.Model):
    """One team a draft version is meant for. When the team is deleted the row stays
    with no team, which nobody is in: deleting a team never widens who sees a draft
    to everyone."""

    version = models.ForeignKey(DraftVersion, on_delete=models.CASCADE, related_name="audience_teams")
    team = models.ForeignKey("accounts.Team", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "team"], name="draft_audience_team_unique")]

    def __str__(self) -> str:
        return f"{self.version} for team {self.team_id}"


class ReviewDecision(models.Model):
    class Decision(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted for review")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        APPROVED = "approved", _("Approved")
        COMMENT = "comment", _("Comment")

    version = models.ForeignKey(DraftVersion, on_delete=models.CASCADE, related_name="decisions")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.decision} on {self.version}"
