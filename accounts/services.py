"""State changes to people. Every path that changes a person (the Django admin, the
portal, the API, allauth's password pages, the shell) calls one of these; each checks
who may do it and writes its audit event in the same transaction.

See ``advocacy.ledger.offboarding.user_deactivate`` for deactivation and hand-back,
which must come before erasure."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.permissions import Capability, user_can
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from advocacy.core.security import mfa_missing
from advocacy.ledger.models import ConnectedAccount, Offboarding
from advocacy.ledger.offboarding import offboarding_start, user_deactivate
from advocacy.program.models import Enrollment

# Fields a person's name or address lives in. Their changes are recorded by name only:
# the audit log is append-only, and erasure (``user_pseudonymise``) must not leave the
# old values behind in it.
PERSONAL_FIELDS = ("email", "display_name", "first_name", "last_name")
PROFILE_FIELDS = (*PERSONAL_FIELDS, "time_zone", "language")


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
    if was_active:
        # Erasure deactivates; deactivating always goes through the hand-back, so the
        # enrollment ends and nothing pending is left for the erased person.
        user_deactivate(actor=actor, user_id=user.pk)
    user.email = email
    user.first_name = user.last_name = ""
    user.display_name = f"erased-{user.pk}"
    user.team = None
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
    if not user_can(actor, Capability.OFFBOARD):
        raise NotAllowed(gettext("Only admins can change roles."))
    return _role_write(user_id=user_id, role=role, actor=actor, source=None)


@transaction.atomic
def user_role_from_provider(*, user_id: int, role: str, provider: str) -> User:
    """Set the role the identity provider's groups claim maps to, at sign-in
    (``accounts.sso.role_for``). The provider is the authority once an admin has
    configured ``CANDOR_SSO_ROLE_GROUPS``, so there is no person as actor: the event
    names the provider as its source."""
    return _role_write(user_id=user_id, role=role, actor=None, source=provider)


def _role_write(*, user_id: int, role: str, actor: User | None, source: str | None) -> User:
    from accounts.models import Role

    if role not in Role.values:
        raise ValidationFailed(gettext("Unknown role."), fields={"role": [gettext("Choose one of the roles.")]})
    user = _locked(user_id)
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
        new={"role": role} if source is None else {"role": role, "source": source},
    )
    return user


def login_record(*, user: User | None, succeeded: bool) -> None:
    """Sign-ins and failed sign-ins go into the audit log (no password, no email typed)."""
    from advocacy.audit.services import audit_record_standalone

    action = AuditAction.USER_LOGGED_IN if succeeded else AuditAction.USER_LOGIN_FAILED
    audit_record_standalone(actor=user if succeeded else None, action=action, target=user, subject=user)


@transaction.atomic
def user_reactivate(*, actor: User | None, user_id: int, source: str = "") -> User:
    """Let a deactivated person sign in again (admins). ``actor`` None is the
    identity provider (SCIM), which must name itself in ``source``."""
    _require_admin_or_source(actor, source, gettext("Only admins can reactivate people."))
    user = User.objects.select_for_update().get(pk=user_id)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action=AuditAction.USER_REACTIVATED,
            target=user,
            subject=user,
            new={"source": source} if source else None,
        )
    return user


def _require_admin_or_source(actor: User | None, source: str, message: str) -> None:
    if actor is None:
        if not source:
            raise ValueError("A change without a person as actor must name its source.")
        return
    _require_admin(actor, message)


def _require_admin(actor: User, message: str) -> None:
    if not user_can(actor, Capability.OFFBOARD):
        raise NotAllowed(message)


def _locked(user_id: int) -> User:
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise ValidationFailed(gettext("No such person."), fields={"user": [gettext("Unknown person.")]})
    return user


def _validated_password(password: str, user: User) -> str:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), fields={"password": list(exc.messages)}) from None
    return password


def _clean_email(email: str, *, exclude_id: int | None = None) -> str:
    email = User.objects.normalize_email(email.strip()).lower()
    if not email or "@" not in email:
        raise ValidationFailed(gettext("Enter an email address."), fields={"email": [gettext("Required.")]})
    taken = User.objects.filter(email__iexact=email)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    if taken.exists():
        raise ValidationFailed(
            gettext("Someone already signs in with this email address."),
            fields={"email": [gettext("Already in use.")]},
        )
    return email


# What may be set when a person is created, besides email, role and display name.
CREATE_PROFILE_FIELDS = ("time_zone", "language")  # a team: accounts.teams.user_team_set


@transaction.atomic
def user_create(
    *,
    actor: User,
    email: str,
    role: str,
    password: str | None = None,
    display_name: str = "",
    profile: dict[str, Any] | None = None,
    source: str = "",
) -> User:
    """Create a person (admins only). ``password`` None gives them no usable password
    (they sign in through SSO or set one by reset). ``profile`` may hold their time
    zone and language (the caller checks the values; teams are ``accounts.teams``); ``source`` names the path
    in the audit event (``invitation``). Never grants staff or superuser: that is
    ``user_privileges_set``, recorded separately."""
    from accounts.models import Role

    _require_admin(actor, gettext("Only admins can add people."))
    if role not in Role.values:
        raise ValidationFailed(gettext("Unknown role."), fields={"role": [gettext("Choose one of the roles.")]})
    unknown = sorted(set(profile or {}) - set(CREATE_PROFILE_FIELDS))
    if unknown:
        raise ValueError(f"user_create cannot set {unknown}")
    user = User(email=_clean_email(email), role=role, display_name=display_name[:150], **(profile or {}))
    if password:
        user.set_password(_validated_password(password, user))
    else:
        user.set_unusable_password()
    user.save()
    audit_record(
        actor=actor,
        action=AuditAction.USER_CREATED,
        target=user,
        subject=user,
        new={"role": role, "is_active": user.is_active, "usable_password": bool(password)}
        | ({"source": source} if source else {}),
    )
    return user


def user_signed_up(*, user: User, source: str) -> None:
    """Record a person who created their own account: open self sign-up, or a first
    sign-in through SSO that provisions them (``source`` names which). allauth builds
    and saves the row; the caller (the allauth adapters) must call this inside the
    same transaction as that save."""
    audit_record(
        actor=user,
        action=AuditAction.USER_CREATED,
        target=user,
        subject=user,
        new={"role": user.role, "is_active": user.is_active, "usable_password": user.has_usable_password(),
             "source": source},
    )  # fmt: skip


@transaction.atomic
def user_profile_update(*, actor: User | None, user_id: int, changes: dict[str, Any], source: str = "") -> User:
    """Change someone's email, names, display name, time zone or language (admins,
    or the person themselves; ``actor`` None is the identity provider, which names
    itself in ``source``; teams are ``accounts.teams``). Unknown fields are refused, so role,
    privileges, active state and password cannot sneak in: they have their own
    services."""
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise ValidationFailed(gettext("These fields cannot be changed here: %(fields)s.") % {"fields": unknown})
    user = _locked(user_id)
    if actor is None or actor.pk != user.pk:
        _require_admin_or_source(actor, source, gettext("Only admins can change someone else's details."))
    if "email" in changes:
        changes = {**changes, "email": _clean_email(str(changes["email"]), exclude_id=user.pk)}
    changed = [field for field in PROFILE_FIELDS if field in changes and getattr(user, field) != changes[field]]
    if not changed:
        return user
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for field in changed:
        if field not in PERSONAL_FIELDS:
            old[field], new[field] = getattr(user, field), changes[field]
        setattr(user, field, changes[field])
    try:
        user.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as exc:
        raise ValidationFailed(gettext("These details cannot be saved."), fields=exc.message_dict) from None
    user.save(update_fields=changed)
    personal = [field for field in changed if field in PERSONAL_FIELDS]
    if personal:
        new["changed"] = personal
    if source:
        new["source"] = source
    audit_record(actor=actor, action=AuditAction.USER_PROFILE_CHANGED, target=user, subject=user, old=old, new=new)
    return user


@transaction.atomic
def user_privileges_set(
    *, actor: User, user_id: int, is_staff: bool | None = None, is_superuser: bool | None = None
) -> User:
    """Grant or withdraw Django-admin access (``is_staff``) and all permissions
    (``is_superuser``). Admins only; only a superuser may grant or withdraw
    superuser, and nobody changes their own (ask another admin). None leaves a flag
    as it is."""
    _require_admin(actor, gettext("Only admins can change who may use the Django admin."))
    user = _locked(user_id)
    wanted = {"is_staff": is_staff, "is_superuser": is_superuser}
    changed = [field for field, value in wanted.items() if value is not None and getattr(user, field) != value]
    if not changed:
        return user
    if user.pk == actor.pk:
        raise NotAllowed(gettext("You cannot change your own privileges; ask another admin."))
    if "is_superuser" in changed and not actor.is_superuser:
        raise NotAllowed(gettext("Only a superuser can grant or withdraw superuser status."))
    old = {field: getattr(user, field) for field in changed}
    for field in changed:
        setattr(user, field, wanted[field])
    user.save(update_fields=changed)
    audit_record(
        actor=actor,
        action=AuditAction.USER_PRIVILEGES_CHANGED,
        target=user,
        subject=user,
        old=old,
        new={field: getattr(user, field) for field in changed},
    )
    return user


@transaction.atomic
def user_password_set(*, actor: User, user_id: int, password: str | None) -> User:
    """Set a new password (the person themselves, or an admin), checked by Django's
    password validators. ``password`` None makes it unusable (SSO only). The audit
    event records that it changed, never the password or its hash."""
    user = _locked(user_id)
    if actor.pk != user.pk:
        _require_admin(actor, gettext("Only admins can set someone else's password."))
    had_usable = user.has_usable_password()
    if password:
        user.set_password(_validated_password(password, user))
    else:
        user.set_unusable_password()
    user.save(update_fields=["password"])
    audit_record(
        actor=actor,
        action=AuditAction.USER_PASSWORD_CHANGED,
        target=user,
        subject=user,
        old={"usable_password": had_usable},
        new={"usable_password": bool(password), "by": "self" if actor.pk == user.pk else "admin"},
    )
    return user


def _languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


@transaction.atomic
def preferences_save(*, actor: User, language: str, time_zone: str) -> User:
    """Save the actor's own language and time zone (nobody sets them for someone else)."""
    fields: dict[str, list[str]] = {}
    if language not in _languages():
        fields["language"] = [gettext("Choose one of the languages.")]
    if time_zone != "UTC" and time_zone not in available_timezones():
        fields["time_zone"] = [gettext("Choose one of the time zones.")]
    if fields:
        raise ValidationFailed(gettext("These preferences cannot be saved."), fields=fields)
    user = _locked(actor.pk)
    old = {"language": user.language, "time_zone": user.time_zone}
    new = {"language": language, "time_zone": time_zone}
    if old == new:
        return user
    user.language, user.time_zone = language, time_zone
    user.save(update_fields=["language", "time_zone"])
    audit_record(actor=actor, action=AuditAction.USER_PREFERENCES_SAVED, target=user, subject=user, old=old, new=new)
    return user


TOKEN_PERSONAL = "token_personal"


@transaction.atomic
def token_issue(*, actor: User, user: User) -> Token:
    """Create (or return) ``user``'s API token. Tokens are personal: a token acts as
    its owner everywhere, so only the person may create one, for themselves, and only
    once they have an authenticator where their role requires one. Admins cannot
    issue tokens for others; they may revoke them (``token_revoke``)."""
    if actor.pk != user.pk:
        raise NotAllowed(
            gettext(
                "API tokens are personal: only the person themselves can create one. "
                "Admins can revoke a token, never issue one for someone else."
            ),
            code=TOKEN_PERSONAL,
        )
    user = _locked(user.pk)
    if not user.is_active:
        raise NotAllowed(gettext("A deactivated person cannot get an API token."), code=TOKEN_PERSONAL)
    if mfa_missing(user):
        raise NotAllowed(
            gettext("Your role requires two-factor authentication. Set it up before creating an API token."),
            code="mfa_required",
        )
    token, created = Token.objects.get_or_create(user=user)
    if created:
        # The key itself never goes into the log: anyone who can read the log could post.
        audit_record(actor=actor, action=AuditAction.TOKEN_ISSUED, target=user, subject=user)
    return token


@transaction.atomic
def token_revoke(*, actor: User, user_id: int) -> bool:
    """Delete ``user_id``'s API token (the person themselves, or an admin). Returns
    whether there was one; revoking nothing records nothing."""
    user = _locked(user_id)
    if actor.pk != user.pk:
        _require_admin(actor, gettext("Only admins can revoke someone else's API token."))
    token = Token.objects.filter(user=user).first()
    if token is None:
        return False
    created = token.created
    token.delete()
    audit_record(
        actor=actor,
        action=AuditAction.TOKEN_REVOKED,
        target=user,
        subject=user,
        old={"created": created.isoformat()},
        new={"by": "self" if actor.pk == user.pk else "admin"},
    )
    return True


def holds_anything(user: User) -> bool:
    """Whether Candor still holds something for ``user`` that a hand-back ends: a
    live social account or an active enrollment (and with it pending shares)."""
    live = ConnectedAccount.objects.filter(
        owner=user, status__in=(ConnectedAccount.Status.ACTIVE, ConnectedAccount.Status.NEEDS_RECONNECT)
    )
    return live.exists() or Enrollment.objects.filter(user=user, status=Enrollment.Status.ACTIVE).exists()


@transaction.atomic
def user_inactive_seen(*, user_id: int) -> Offboarding | None:
    """A deactivated person showed up (a sign-in through SSO or allauth refused as
    inactive). If they were deactivated some other way than ``user_deactivate`` and
    Candor still holds something for them, start their hand-back now, as the
    system, rather than waiting for the sweep. Returns the offboarding, if any."""
    user = User.objects.select_for_update().filter(pk=user_id, is_active=False).first()
    if user is None or not holds_anything(user):
        return None
    return offboarding_start(actor=None, user_id=user.pk, reason="Deactivated account, seen at sign-in")
