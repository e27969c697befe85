from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyVersion(models.Model):
    """One version of the programme policy people consent to. Immutable once
    published; publishing a newer one asks every participant to re-consent."""

    number = models.PositiveIntegerField(unique=True)
    effective_date = models.DateField()
    # {"en": {"title": ..., "body": ...}, "de": {...}}; English is required.
    texts = models.JSONField()
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Policy v{self.number}"

    def text_for(self, language: str) -> dict[str, str]:
        return self.texts.get(language) or self.texts["en"]


class Enrollment(models.Model):
    """Current participation of one person: a projection of their ConsentEvents,
    kept so every share check is one indexed lookup."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Participating")
        LEFT = "left", _("Left the programme")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollment")
    status = models.CharField(max_length=10, choices=Status.choices)
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.status})"


class ConsentEvent(models.Model):
    """The consent ledger: append-only, never edited."""

    class Kind(models.TextChoices):
        OPTED_IN = "opted_in", _("Opted in")
        RECONSENTED = "reconsented", _("Re-consented to a new policy")
        OPTED_OUT = "opted_out", _("Left the programme")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consent_events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} v{self.policy_version.number}"


class DisclosureTemplate(models.Model):
    """Per-language disclosure placed first in every post. ``{organisation}`` is filled in.
    Written only by ``disclosure_template_set``, which checks it keeps an employment
    statement (``advocacy.compose.template_problems``) and audits the change."""

    language = models.CharField(max_length=8, unique=True)
    template = models.CharField(max_length=200)
    # A tag the admin chose as the employment statement instead of the language's default
    # tag or words; empty when the template keeps a default one.
    tag = models.CharField(max_length=41, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # However a row is written (loaddata, the shell), a disclosure names the employer.
            models.CheckConstraint(
                condition=models.Q(template__contains="{organisation}"), name="disclosure_names_the_employer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.template}"


class BlockedTerm(models.Model):
    """A word or phrase that flags a draft for the reviewer (a flag, never a block)."""

    term = models.CharField(max_length=100, unique=True)
    reason = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.term


class ProgrammeSettings(models.Model):
    """Choices the organisation makes about the programme: one row, id 1, made on
    first read. Changed only through ``programme_settings_set``, which audits it."""

    edited_shares_need_review = models.BooleanField(
        default=False,
        verbose_name=_("Edited shares need a review"),
        help_text=_(
            "A share whose text differs from the approved post waits for a comms reviewer before it can be sent."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "programme settings"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="programme_settings_single_row")]

    def __str__(self) -> str:
        return "Programme settings"
