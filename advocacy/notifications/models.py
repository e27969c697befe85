from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Kind(models.TextChoices):
        SHARE_FAILED = "share_failed", _("A share failed")
        SHARE_MISSED = "share_missed", _("A share was missed")
        SHARE_CANCELLED = "share_cancelled", _("A share was cancelled")
        SHARE_HELD = "share_held", _("A share is on hold")
        SHARE_UNKNOWN = "share_unknown", _("A share needs checking")
        RECONNECT_NEEDED = "reconnect_needed", _("Reconnect an account")
        DRAFT_PUBLISHED = "draft_published", _("New post to share")
        REVIEW_REQUESTED = "review_requested", _("Review requested")
        REVIEW_DECIDED = "review_decided", _("Review decided")
        CUSTODY = "custody", _("Account custody")
        OFFBOARDING = "offboarding", _("Offboarding")
        OUTSIDE_POST = "outside_post", _("A post made outside Candor")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    # Deduplicates: the same key never notifies twice (no repeated "reconnect" emails).
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when a worker claims this notification's web push: a redelivered task pushes nothing twice.
    pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], condition=~models.Q(dedupe_key=""), name="notification_dedupe"
            )
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """What a person asked to be told beyond what concerns their own actions. The digest
    of newly published drafts is opt-in: no row, or ``digest=off``, means none."""

    class Digest(models.TextChoices):
        OFF = "off", _("Off")
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    digest = models.CharField(max_length=10, choices=Digest.choices, default=Digest.OFF)
    # End of the window the last digest covered. Claimed with a conditional update, so
    # two workers (or a re-run) never send the same window twice.
    last_digest_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["digest", "last_digest_sent_at"], name="notif_pref_digest_due_idx")]

    def __str__(self) -> str:
        return f"{self.user}: digest {self.digest}"


class PushSubscription(models.Model):
    """One browser on one device that asked for web push (opt-in: no row, no push).
    The keys are the browser's: Candor encrypts each message to them, so only that
    browser can read it. Deleted when the person turns push off, leaves the programme
    or is deactivated, and when the push service says the subscription is gone."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=120)
    auth = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user}: push to {self.endpoint[:40]}"
