"""What Candor accepts from the company's identity provider at sign-in (OpenID Connect
through allauth): whose email it vouches for, which role its groups claim maps to,
and whether it asserts that the person used more than one factor.

Pure rules over the provider's claims and settings; ``accounts.adapters`` applies
them during allauth's sign-in flow. See docs/identity.md for the settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from accounts.models import Role

# Highest first: someone in several mapped groups gets the most capable role.
ROLE_PRECEDENCE = (Role.ADMIN, Role.COMMS_REVIEWER, Role.COMMS_AUTHOR, Role.EMPLOYEE)


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split() if " " in value else [value]
    if isinstance(value, Iterable):
        return [str(item) for item in value]
    return [str(value)]


@dataclass(frozen=True)
class IdentityClaims:
    """The claims of one sign-in: the userinfo response where the provider sent one,
    then the ID token (where ``amr``, ``acr`` and often ``groups`` live)."""

    email: str = ""
    email_verified: bool = False
    name: str = ""
    groups: tuple[str, ...] = ()
    amr: tuple[str, ...] = ()
    acr: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_extra_data(cls, extra_data: Mapping[str, Any]) -> IdentityClaims:
        userinfo = extra_data.get("userinfo") or {}
        id_token = extra_data.get("id_token") or {}
        if not userinfo and not id_token:
            userinfo = extra_data  # SAML and allauth < 65.11 keep a flat dict

        def pick(name: str) -> Any:
            return userinfo.get(name, id_token.get(name))

        verified = pick("email_verified")
        if isinstance(verified, str):  # some providers send "true"
            verified = verified.strip().lower() == "true"
        groups_claim = settings.CANDOR_SSO_GROUPS_CLAIM
        return cls(
            email=str(pick("email") or "").strip().lower(),
            email_verified=verified is True,
            name=str(pick("name") or "").strip(),
            groups=tuple(_strings(pick(groups_claim))),
            amr=tuple(_strings(id_token.get("amr"))),
            acr=str(id_token.get("acr") or ""),
            raw={**id_token, **userinfo},
        )


def allowed_domains() -> list[str]:
    """The email domains people may sign in with through SSO (empty: any)."""
    return list(settings.CANDOR_SSO_ALLOWED_DOMAINS or settings.CANDOR_SIGNUP_DOMAINS)


def sign_in_refusal(claims: IdentityClaims) -> str | None:
    """Why Candor refuses this sign-in, in words for the person, or None to accept.
    Candor matches people by email, so it must be an address the provider vouches
    for and one of the organisation's."""
    if not claims.email:
        return gettext(
            "Your identity provider did not tell Candor your email address, so Candor cannot sign you in. "
            "Ask your IT team to release the email claim to Candor."
        )
    if not claims.email_verified:
        return gettext(
            "Your identity provider has not verified your email address (%(email)s), so Candor cannot sign you "
            "in with it. Ask your IT team to verify it, then try again."
        ) % {"email": claims.email}
    domains = allowed_domains()
    if domains and claims.email.rsplit("@", 1)[-1] not in domains:
        return gettext(
            "%(email)s is not a work address of this organisation (%(domains)s), so Candor does not sign it in. "
            "Sign in with your work account."
        ) % {"email": claims.email, "domains": ", ".join(domains)}
    return None


def role_for(claims: IdentityClaims) -> str | None:
    """The role the groups claim maps to, or None when no mapping is configured (then
    the provider does not decide roles: new people are employees, and an admin sets
    roles in Candor). With a mapping, someone in none of its groups is an employee."""
    mapping: Mapping[str, list[str]] = settings.CANDOR_SSO_ROLE_GROUPS
    if not mapping:
        return None
    groups = set(claims.groups)
    for role in ROLE_PRECEDENCE:
        if groups & set(mapping.get(role, ())):
            return role
    return Role.EMPLOYEE


def asserts_mfa(claims: IdentityClaims) -> bool:
    """Whether the provider says this sign-in used more than one factor: one of the
    ``amr`` values (RFC 8176) or the ``acr`` value that the settings trust."""
    if set(claims.amr) & set(settings.CANDOR_SSO_MFA_AMR):
        return True
    return bool(claims.acr) and claims.acr in settings.CANDOR_SSO_MFA_ACR
