"""State changes to people. See ``advocacy.ledger.offboarding.user_deactivate`` for
deactivation and hand-back, which must come before erasure."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.db import transaction
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.permissions import Capability, user_can
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from advocacy.ledger.models import ConnectedAccount


def erased_email(user_id: int) -> str:
    return f"erased-{user_id}@invalid"


@transaction.atomic
def user_pseudonymise(*, actor: User, user_id: int) -> User:
    """GDPR erasure of a person who has left: their email, names and display name are
    replaced, the password made unusable, the account deactivated, and the rows that
    tie them to an outside identity (email addresses, SSO links, authenticators, API
    token) deleted. The person row itself stays, because the audit trail refers to
    it by id; the chain hashes only ids, so it still verifies.

    Refused while Candor still holds any of their social accounts: deactivate and
    hand back first (``user_deactivate``), so no credential outlives the erasure.
    Running it twice is harmless (the second run records nothing new).
    """
    if not user_can(actor, Capability.OFFBOARD):
        raise NotAllowed(gettext("Only admins can erase a person's personal data."))
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise ValidationFailed(gettext("No such person."), fields={"user": [gettext("Unknown person.")]})
    if user.pk == actor.pk:
        raise NotAllowed(gettext("You cannot erase yourself; ask another admin."))
    live = ConnectedAccount.objects.filter(owner=user, status__in=ConnectedAccount.LIVE_STATUSES)
    if live.exists():
        raise Conflict(
            gettext(
                "Candor still holds social accounts of this person. Deactivate and hand back first; "
                "erase once every account is handed back or revoked."
            ),
            code="accounts_not_handed_back",
        )
    email = erased_email(user.pk)
    if user.email == email and not user.is_active and not user.has_usable_password():
        return user
    was_active = user.is_active
    user.email = email
    user.first_name = user.last_name = ""
    user.display_name = f"erased-{user.pk}"
    user.team = ""
    user.is_active = user.is_staff = user.is_superuser = False
    user.set_unusable_password()
    user.save(
        update_fields=[
            "email",
            "first_name",
            "last_name",
            "display_name",
            "team",
            "is_active",
            "is_staff",
            "is_superuser",
            "password",
        ]
    )
    EmailAddress.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()
    # Only which fields were erased: the old values must not land in the log.
    audit_record(
        actor=actor,
        action=AuditAction.USER_PSEUDONYMISED,
        target=user,
        subject=user,
        old={"is_active": was_active},
        new={"erased": ["email", "first_name", "last_name", "display_name", "team", "password"], "is_active": False},
    )
    return user


@transaction.atomic
def user_role_set(*, actor: User, user_id: int, role: str) -> User:
    """Change someone's role (what they may do), on the record."""
    from accounts.models import Role

    if not user_can(actor, Capability.OFFBOARD):
        raise NotAllowed(gettext("Only admins can change roles."))
    if role not in Role.values:
        raise ValidationFailed(gettext("Unknown role."), fields={"role": [gettext("Choose one of the roles.")]})
    user = User.objects.select_for_update().get(pk=user_id)
    if user.role == role:
        return user
    old = user.role
    user.role = role
    user.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action=AuditAction.USER_ROLE_CHANGED,
        target=user,
        subject=user,
        old={"role": old},
        new={"role": role},
    )
    return user


def login_record(*, user: User | None, succeeded: bool) -> None:
    """Sign-ins and failed sign-ins go into the audit log (no password, no email typed)."""
    from advocacy.audit.services import audit_record_standalone

    action = AuditAction.USER_LOGGED_IN if succeeded else AuditAction.USER_LOGIN_FAILED
    audit_record_standalone(actor=user if succeeded else None, action=action, target=user, subject=user)


@transaction.atomic
def user_reactivate(*, actor: User, user_id: int) -> User:
    if not user_can(actor, Capability.OFFBOARD):
        raise NotAllowed(gettext("Only admins can reactivate people."))
    user = User.objects.select_for_update().get(pk=user_id)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit_record(actor=actor, action=AuditAction.USER_REACTIVATED, target=user, subject=user)
    return user
