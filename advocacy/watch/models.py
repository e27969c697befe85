from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from advocacy.drafts.models import NETWORK_CHOICES


class WatchedAccount(models.Model):
    """How often, and since when, an account's own posts are compared with what Candor
    sent. Corporate accounts are always watched; a personal account only when its
    owner opted in (``owner_opted_in``). Written only by ``advocacy.watch.services``."""

    account = models.OneToOneField("ledger.ConnectedAccount", on_delete=models.PROTECT, related_name="watch")
    owner_opted_in = models.BooleanField(default=False)
    # Posts older than this are not compared: they were made before Candor was watching.
    watching_since = models.DateTimeField()
    checked_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    failures = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"watch of {self.account}"


class OutsidePost(models.Model):
    """A post on a watched account that Candor did not send.

    For a personal account only the network id, time and a digest of the text are
    kept, never the text (a database constraint holds this whoever writes).
    """

    class Verdict(models.TextChoices):
        UNREVIEWED = "unreviewed", _("Not looked at yet")
        MINE = "mine", _("Mine, posted directly")
        NOT_MINE = "not_mine", _("Not mine")

    account = models.ForeignKey("ledger.ConnectedAccount", on_delete=models.PROTECT, related_name="outside_posts")
    network = models.CharField(max_length=20, choices=NETWORK_CHOICES)
    ownership = models.CharField(max_length=10)  # the account's, when the post was found
    external_id = models.CharField(max_length=255)
    posted_at = models.DateTimeField(null=True, blank=True)
    text_digest = models.CharField(max_length=64)  # SHA-256 of the text, hex
    text = models.TextField(blank=True)  # corporate accounts only
    url = models.URLField(max_length=500, blank=True)
    detected_at = models.DateTimeField(auto_now_add=True)
    verdict = models.CharField(max_length=12, choices=Verdict.choices, default=Verdict.UNREVIEWED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "external_id"], name="outside_post_once_per_account"),
            models.CheckConstraint(
                condition=~models.Q(ownership="personal") | models.Q(text=""),
                name="outside_post_no_personal_text",
            ),
        ]

    def __str__(self) -> str:
        return f"outside post {self.external_id} on {self.account}"
