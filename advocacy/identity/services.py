"""State changes made by the company's identity provider through SCIM, and the
admin's management of its provisioning clients.

The identity provider is not a person, so its changes have no actor: each audit
event names the client in its ``source`` ("scim:<id> <name>") instead. Deactivating
or deleting someone starts the same offboarding and hand-back an admin's would
(``advocacy.ledger.offboarding.offboarding_start``): pending shares cancelled,
personal accounts revoked and handed back, corporate accounts to the named
successor or the admins' queue, and a receipt. Their sessions and API token stop
working at once (an inactive person is never authenticated; the token is deleted).
"""

from __future__ import annotations

import secrets
from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token

from accounts.models import Role, User
from accounts.permissions import Capability, user_can
from accounts.services import user_profile_update, user_reactivate
from accounts.teams import user_team_set
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from advocacy.identity.models import ScimClient, ScimGroupLink, ScimLink
from advocacy.identity.selectors import TOKEN_PREFIX, token_digest
from advocacy.ledger.models import ConnectedAccount, Offboarding
from advocacy.ledger.offboarding import offboarding_start
from advocacy.notifications.models import Notification
from advocacy.notifications.services import notify, recipient_locale


def source_of(client: ScimClient) -> str:
    return f"scim:{client.pk} {client.name}"[:120]


@transaction.atomic
def scim_client_create(*, actor: User, name: str) -> tuple[ScimClient, str]:
    """A new provisioning client and its bearer token (admins only). The token is
    returned this once; Candor keeps only its SHA-256."""
    if not user_can(actor, Capability.OFFBOARD):
        raise NotAllowed(gettext("Only admins can create provisioning clients."))
    name = name.strip()
    if not name:
        raise ValidationFailed(gettext("Name the provisioning client."), fields={"name": [gettext("Required.")]})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ScimClient.objects.create(
        name=name[:80], token_hash=token_digest(token), token_hint=token[-4:], created_by=actor
    )
    # Never the token, nor its hash: whoever reads the log must not be able to provision.
    audit_record(actor=actor, action=AuditAction.TOKEN_ISSUED, target=client, new={"kind": "scim", "name": name})
    return client, token


@transaction.atomic
def scim_client_revoke(*, actor: User, client_id: int) -> ScimClient:
    """Revoke a client's token (admins only); it is refused from the next request on."""
    if not user_can(actor, Capability.OFFBOARD):
        raise NotAllowed(gettext("Only admins can revoke provisioning clients."))
    client = ScimClient.objects.select_for_update().get(pk=client_id)
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=AuditAction.TOKEN_REVOKED, target=client, new={"kind": "scim"})
    return client


def _email_taken(email: str, exclude_id: int | None = None) -> bool:
    taken = User.objects.filter(email__iexact=email)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    return taken.exists()


@transaction.atomic
def scim_user_provision(
    *,
    client: ScimClient,
    profile: dict[str, Any],
    active: bool,
    external_id: str,
    user_name: str = "",
    manager_id: int | None = None,
    preferred_language: str = "",
    time_zone: str = "",
    email_type: str = "",
    email_primary: bool | None = None,
    department: str | None = None,
) -> User:
    """Create a person the identity provider provisions: an employee with no
    password in Candor (they sign in through SSO) and their email address marked
    verified, since the IdP vouches for it. ``profile`` holds fields of
    ``accounts.services.PROFILE_FIELDS``; the email is required. ``department``
    names their team (``_department_apply``)."""
    email = str(profile.get("email") or "").strip().lower()
    if not email:
        raise ValidationFailed(gettext("An email address is required."), fields={"email": [gettext("Required.")]})
    if _email_taken(email):
        raise Conflict(gettext("Someone already signs in with this email address."), code="uniqueness")
    user = User(email=email, role=Role.EMPLOYEE, is_active=active)
    for field, value in profile.items():
        if field != "email":
            setattr(user, field, value)
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    ScimLink.objects.create(
        user=user,
        client=client,
        external_id=external_id[:255],
        user_name=user_name[:255],
        manager_id=_manager(manager_id, exclude_id=user.pk),
        preferred_language=preferred_language,
        time_zone=time_zone,
        email_type=email_type,
        email_primary=email_primary,
    )
    audit_record(
        actor=None,
        action=AuditAction.USER_CREATED,
        target=user,
        subject=user,
        new={"role": user.role, "is_active": active, "usable_password": False, "source": source_of(client)},
    )
    _department_apply(client=client, user=user, department=department)
    return user


def _department_apply(*, client: ScimClient, user: User, department: str | None) -> None:
    """A User's ``department`` is their team, unless their team is a SCIM Group: the
    IdP then says who is in it through the Group's members, and a department
    attribute that lags behind must not move them out (Groups win). None (a
    caller that does not speak for teams) leaves the team as it is; empty, as a
    User without ``department`` is, takes them out of a team that is no Group."""
    if department is None:
        return
    if user.team_id is not None and ScimGroupLink.objects.filter(team_id=user.team_id).exists():
        return
    user_team_set(actor=None, user_id=user.pk, team_name=department, source=source_of(client))


def _manager(manager_id: int | None, *, exclude_id: int) -> int | None:
    if manager_id is None or manager_id == exclude_id:
        return None
    if not User.objects.filter(pk=manager_id).exists():
        raise ValidationFailed(
            gettext("The manager is not a person in Candor."), fields={"manager": [gettext("Unknown person.")]}
        )
    return manager_id


def _link(user: User, client: ScimClient) -> ScimLink:
    link, _ = ScimLink.objects.get_or_create(user=user, defaults={"client": client})
    return link


@transaction.atomic
def scim_user_update(
    *,
    client: ScimClient,
    user_id: int,
    profile: dict[str, Any],
    active: bool,
    external_id: str,
    user_name: str = "",
    manager_id: int | None = None,
    preferred_language: str = "",
    time_zone: str = "",
    email_type: str = "",
    email_primary: bool | None = None,
    department: str | None = None,
) -> User:
    """Apply the identity provider's view of a person: profile fields, ``externalId``
    and ``active``. Turning ``active`` off starts the offboarding at once; turning
    it on again reactivates them (their accounts stay handed back)."""
    user = User.objects.select_for_update().get(pk=user_id)
    email = profile.get("email")
    if email is not None and _email_taken(str(email), exclude_id=user.pk):
        raise Conflict(gettext("Someone already signs in with this email address."), code="uniqueness")
    user_profile_update(actor=None, user_id=user.pk, changes=profile, source=source_of(client))
    if email is not None:
        EmailAddress.objects.filter(user=user).exclude(email__iexact=email).delete()
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    link = _link(user, client)
    link.external_id, link.user_name = external_id[:255], user_name[:255]
    link.manager_id = _manager(manager_id, exclude_id=user.pk)
    link.preferred_language, link.time_zone = preferred_language, time_zone
    link.email_type, link.email_primary = email_type, email_primary
    link.save(
        update_fields=[
            "external_id",
            "user_name",
            "manager",
            "preferred_language",
            "time_zone",
            "email_type",
            "email_primary",
            "updated_at",
        ]
    )
    user.refresh_from_db()
    _department_apply(client=client, user=user, department=department)
    if user.is_active and not active:
        scim_user_deactivate(client=client, user_id=user.pk)
    elif active and not user.is_active:
        user_reactivate(actor=None, user_id=user.pk, source=source_of(client))
    user.refresh_from_db()
    return user


@transaction.atomic
def scim_user_deactivate(*, client: ScimClient, user_id: int) -> Offboarding | None:
    """The identity provider disabled someone: start their offboarding and hand-back
    (as the system, naming the client), and delete their API token."""
    reason = f"Deactivated by the identity provider ({source_of(client)})"
    corporate = list(
        ConnectedAccount.objects.filter(
            owner_id=user_id,
            ownership=ConnectedAccount.Ownership.CORPORATE,
            status__in=ConnectedAccount.LIVE_STATUSES,
        )
    )
    link = ScimLink.objects.filter(user_id=user_id).select_related("manager").first()
    manager = link.manager if link is not None else None
    successor = manager if manager is not None and manager.is_active and manager.pk != user_id else None
    successors = {account.pk: successor.pk for account in corporate} if successor else {}
    case = offboarding_start(actor=None, user_id=user_id, successors=successors, reason=reason)
    if corporate and successor is None:
        _tell_admins_corporate_accounts_wait(case, corporate)
    token = Token.objects.filter(user_id=user_id).first()
    if token is not None:
        created = token.created
        token.delete()
        audit_record(
            actor=None,
            action=AuditAction.TOKEN_REVOKED,
            target=case.user,
            subject=case.user,
            old={"created": created.isoformat()},
            new={"by": "identity provider", "source": source_of(client)},
        )
    return case


def _tell_admins_corporate_accounts_wait(case: Offboarding, accounts: list[ConnectedAccount]) -> None:
    """The IdP named no manager to take over: every admin is told which company
    accounts need a new custodian (custody transfer on the offboarding page)."""
    names = ", ".join(str(account) for account in accounts)
    for admin in User.objects.filter(role=Role.ADMIN, is_active=True):
        with recipient_locale(admin):
            title = gettext("Company accounts need a new custodian")
            body = gettext(
                "%(person)s was deactivated by the identity provider with no manager to take over "
                "%(accounts)s. Choose a new custodian."
            ) % {"person": case.user, "accounts": names}
        notify(
            user=admin,
            kind=Notification.Kind.CUSTODY,
            title=title,
            body=body,
            link=f"/offboarding/{case.pk}/",
            dedupe_key=f"scim-custody:{case.pk}",
        )


@transaction.atomic
def scim_user_delete(*, client: ScimClient, user_id: int) -> None:
    """The identity provider deleted someone. Candor keeps the person (the audit
    trail refers to them) but deactivates and offboards them, and SCIM no longer
    finds them. Erasure stays an admin's decision (``user_pseudonymise``)."""
    user = User.objects.select_for_update().get(pk=user_id)
    if user.is_active:
        scim_user_deactivate(client=client, user_id=user.pk)
    link = _link(user, client)
    link.deleted_at = timezone.now()
    link.save(update_fields=["deleted_at", "updated_at"])
    audit_record(
        actor=None,
        action=AuditAction.USER_PROFILE_CHANGED,
        target=user,
        subject=user,
        new={"changed": ["scim"], "scim_deleted": True, "source": source_of(client)},
    )
