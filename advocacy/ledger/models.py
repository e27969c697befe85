from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from advocacy.networks.registry import NETWORK_CHOICES

_NETWORK_NAMES = dict(NETWORK_CHOICES)


def account_label(network: str, handle: str) -> str:
    """How Candor names an account everywhere ("Bluesky emma.test"), also for pages
    that read accounts as plain rows rather than models."""
    return f"{_NETWORK_NAMES.get(network, network)} {handle}"


class ConnectedAccount(models.Model):
    """A social account Candor may post to, and whose it is.

    *Personal*: the employee owns it; Candor holds a revocable delegated credential,
    and ``owner`` never changes. *Corporate*: the company owns it; ``owner`` is its
    named custodian, changed only through a custody transfer. Every change is an
    ``AccountEvent`` in the ledger; this row is the current state.
    """

    class Ownership(models.TextChoices):
        PERSONAL = "personal", _("Personal (the employee's own)")
        CORPORATE = "corporate", _("Corporate (the company's)")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Connected")
        NEEDS_RECONNECT = "needs_reconnect", _("Reconnect needed")
        REVOCATION_PENDING = "revocation_pending", _("Revocation pending")
        HANDED_BACK = "handed_back", _("Handed back")
        REVOKED = "revoked", _("Revoked")
        DISCONNECTED = "disconnected", _("Disconnected")

    USABLE_STATUSES = (Status.ACTIVE,)
    LIVE_STATUSES = (Status.ACTIVE, Status.NEEDS_RECONNECT, Status.REVOCATION_PENDING)

    network = models.CharField(max_length=20, choices=NETWORK_CHOICES)
    handle = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255)
    # Who the account is, whatever address was typed to reach it: a Bluesky DID, a
    # Mastodon ``acct@domain`` as the server reports it, the X/LinkedIn user id. Set
    # by the connect service (services.network_identity_for); uniqueness uses it.
    network_identity = models.CharField(max_length=255)
    service_url = models.CharField(max_length=255, blank=True)
    display_name = models.CharField(max_length=255, blank=True)
    ownership = models.CharField(max_length=10, choices=Ownership.choices, default=Ownership.PERSONAL)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="social_accounts")
    connected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    connected_at = models.DateTimeField(auto_now_add=True)
    scopes = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    status_detail = models.CharField(max_length=500, blank=True)
    # Fernet ciphertext of a JSON object; see advocacy.ledger.crypto. Never rendered.
    credentials_encrypted = models.TextField(blank=True, editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    max_characters = models.PositiveIntegerField(null=True, blank=True)
    revocation_attempts = models.PositiveSmallIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["network", "handle"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "network_identity"],
                condition=models.Q(status__in=["active", "needs_reconnect", "revocation_pending"]),
                name="one_live_connection_per_network_identity",
            ),
            models.CheckConstraint(condition=~models.Q(network_identity=""), name="network_identity_not_empty"),
        ]

    def __str__(self) -> str:
        return account_label(self.network, self.handle)

    @property
    def is_usable(self) -> bool:
        return self.status in self.USABLE_STATUSES


class AccountEvent(models.Model):
    """The ownership ledger: append-only events about one account."""

    class Kind(models.TextChoices):
        CONNECTED = "connected", _("Connected")
        RECONNECTED = "reconnected", _("Reconnected")
        SCOPES_CHANGED = "scopes_changed", _("Scopes changed")
        NEEDS_RECONNECT = "needs_reconnect", _("Credential stopped working")
        CUSTODY_TRANSFER_STARTED = "custody_transfer_started", _("Custody transfer started")
        CUSTODY_TRANSFERRED = "custody_transferred", _("Custody transferred")
        REVOCATION_PENDING = "revocation_pending", _("Revocation pending")
        REVOKED = "revoked", _("Access revoked")
        HANDED_BACK = "handed_back", _("Handed back")
        DISCONNECTED = "disconnected", _("Disconnected")
        REASSIGN_REFUSED = "reassign_refused", _("Reassignment refused")

    account = models.ForeignKey(ConnectedAccount, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.account} {self.kind}"


class CustodyTransfer(models.Model):
    """A corporate account's custody moving from one person to another: an admin
    starts it, the new custodian accepts, then reconnects with their own credential."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the new custodian")
        ACCEPTED = "accepted", _("Accepted")
        CANCELLED = "cancelled", _("Cancelled")

    account = models.ForeignKey(ConnectedAccount, on_delete=models.PROTECT, related_name="custody_transfers")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.account}: {self.from_user} → {self.to_user} ({self.state})"


class Offboarding(models.Model):
    """One person leaving: everything Candor holds for them is handed back.

    ``successors`` maps corporate account ids to the user id of their new custodian.
    The hand-back is resumable: it runs until no account is left pending.
    """

    class State(models.TextChoices):
        RUNNING = "running", _("Handing back")
        REVOCATION_PENDING = "revocation_pending", _("Revocation pending")
        # Retries ran out (offboarding.MAX_REVOCATION_ATTEMPTS): an admin must look.
        REVOCATION_FAILED = "revocation_failed", _("Revocation failed: needs an admin")
        COMPLETED = "completed", _("Completed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offboardings")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when started by the system after a deactivation (e.g. SSO deprovisioning).",
    )
    reason = models.CharField(max_length=300, blank=True)
    successors = models.JSONField(default=dict, blank=True)
    account_ids = models.JSONField(default=list, blank=True)  # accounts in scope, fixed at start
    state = models.CharField(max_length=20, choices=State.choices, default=State.RUNNING, db_index=True)
    cancelled_shares = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    receipt = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=~models.Q(state="completed"), name="one_open_offboarding_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"offboarding of {self.user} ({self.state})"


class MastodonApp(models.Model):
    """Candor's app registration on one Mastodon instance (``POST /api/v1/apps``).

    Mastodon has no central developer portal: every instance gets its own client id
    and secret, registered on the first connection to it and reused after that. The
    secret is needed to exchange codes and to revoke tokens, so it is kept encrypted
    (``advocacy.ledger.crypto``) like any other credential.
    """

    instance_url = models.CharField(max_length=255, unique=True)  # scheme://host[:port], no path
    client_id = models.CharField(max_length=255)
    client_secret_encrypted = models.TextField(editable=False)
    # The callback the app was registered with; instances refuse any other.
    redirect_uri = models.CharField(max_length=500)
    registered_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["instance_url"]

    def __str__(self) -> str:
        return self.instance_url
