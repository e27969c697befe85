"""Provisioning by the company's identity provider (SCIM 2.0, RFC 7643/7644).

A ``ScimClient`` is one provisioning connection (Okta, Entra ID, ...) with its own
bearer token, stored only as a hash. A ``ScimLink`` holds what SCIM knows about a
person beyond the person row: the IdP's ``externalId``, which client provisioned
them, and whether the IdP deleted them (a deleted person stays in Candor, for the
audit trail, but is gone from SCIM). A ``ScimGroupLink`` marks a team as one of
the IdP's Groups.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ScimClient(models.Model):
    name = models.CharField(_("name"), max_length=80)
    # SHA-256 of the bearer token: the token itself is shown once and never stored.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(_("token ends with"), max_length=8, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("SCIM provisioning client")
        verbose_name_plural = _("SCIM provisioning clients")

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ScimLink(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scim_link")
    client = models.ForeignKey(ScimClient, null=True, on_delete=models.SET_NULL, related_name="+")
    external_id = models.CharField(max_length=255, blank=True)
    # The IdP's userName when it is not the email address (Entra ID's UPN, say).
    user_name = models.CharField(max_length=255, blank=True)
    # What the IdP sent, kept as sent (the person's own choice in Candor may differ).
    preferred_language = models.CharField(max_length=64, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    email_type = models.CharField(max_length=20, blank=True)
    email_primary = models.BooleanField(null=True, blank=True)
    # The enterprise extension's manager: the successor for the corporate accounts in
    # this person's custody when the IdP deactivates them.
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"SCIM link of user {self.user_id}"


class ScimGroupLink(models.Model):
    """What SCIM knows about a team beyond the team row: it is a Group of the IdP,
    with its ``externalId``. A team with a link has its members set by the Group;
    a User's ``department`` no longer moves people in or out of it."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="scim_group")
    client = models.ForeignKey(ScimClient, null=True, on_delete=models.SET_NULL, related_name="+")
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"SCIM group link of team {self.team_id}"
