"""Enterprise single sign-on providers for django-allauth, read from the environment.

One OpenID Connect provider (Entra ID, Okta, Google Workspace, Keycloak...) and/or
one SAML identity provider. Both are off unless their variables are set; a half
configured provider is an error naming the missing variable, not a silent no-op.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


def _require(env: Any, prefix: str, names: list[str]) -> dict[str, str]:
    values = {name: env.str(f"{prefix}_{name}", default="").strip() for name in names}
    missing = [f"{prefix}_{name}" for name, value in values.items() if not value]
    if missing:
        raise ImproperlyConfigured(f"{missing[0]} is not set, but {prefix} sign-on is partly configured.")
    return values


def oidc_provider(env: Any) -> dict[str, Any] | None:
    if not env.str("OIDC_SERVER_URL", default=""):
        return None
    values = _require(env, "OIDC", ["SERVER_URL", "CLIENT_ID", "CLIENT_SECRET"])
    return {
        "APPS": [
            {
                "provider_id": env.str("OIDC_PROVIDER_ID", default="sso"),
                "name": env.str("OIDC_PROVIDER_NAME", default="Company single sign-on"),
                "client_id": values["CLIENT_ID"],
                "secret": values["CLIENT_SECRET"],
                "settings": {
                    "server_url": values["SERVER_URL"],
                    "fetch_userinfo": True,
                    # "groups" for the role mapping (Okta, Keycloak); Entra ID and
                    # Google send groups without a scope of their own.
                    "scope": env.list("OIDC_SCOPES", default=["openid", "profile", "email"]),
                },
            }
        ],
        "OAUTH_PKCE_ENABLED": True,
    }


def saml_provider(env: Any) -> dict[str, Any] | None:
    if not env.str("SAML_IDP_ENTITY_ID", default=""):
        return None
    values = _require(env, "SAML_IDP", ["ENTITY_ID", "SSO_URL", "X509CERT"])
    return {
        "APPS": [
            {
                "provider_id": env.str("SAML_IDP_ENTITY_ID"),
                "name": env.str("SAML_PROVIDER_NAME", default="Company SAML"),
                "client_id": env.str("SAML_ORGANIZATION_SLUG", default="company"),
                "settings": {
                    # SAML has no standard "email verified" attribute: the address the
                    # company's own IdP asserts counts as verified, so sign-in needs no
                    # confirmation email and finds a person by it. Addresses outside the
                    # organisation's domains are refused (accounts.adapters).
                    "verified_email": True,
                    "attribute_mapping": {
                        "uid": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
                        "email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
                        "first_name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
                        "last_name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
                    },
                    "idp": {
                        "entity_id": values["ENTITY_ID"],
                        "sso_url": values["SSO_URL"],
                        "x509cert": values["X509CERT"],
                    },
                },
            }
        ]
    }


def sso_providers(env: Any) -> dict[str, Any]:
    providers: dict[str, Any] = {}
    if (oidc := oidc_provider(env)) is not None:
        providers["openid_connect"] = oidc
    if (saml := saml_provider(env)) is not None:
        providers["saml"] = saml
    return providers


SSO_ROLES = ("employee", "comms_author", "comms_reviewer", "admin")


def sso_role_groups(env: Any) -> dict[str, list[str]]:
    """``CANDOR_SSO_ROLE_GROUPS``: a JSON object from Candor role to the identity
    provider's group names (or ids, as Entra ID sends them) that grant it, e.g.
    ``{"admin": ["Candor Admins"], "comms_reviewer": ["Comms"]}``. Empty: the
    provider does not decide roles."""
    raw = env.str("CANDOR_SSO_ROLE_GROUPS", default="").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"CANDOR_SSO_ROLE_GROUPS is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured("CANDOR_SSO_ROLE_GROUPS must be a JSON object from role to a list of groups.")
    unknown = sorted(set(value) - set(SSO_ROLES))
    if unknown:
        raise ImproperlyConfigured(f"CANDOR_SSO_ROLE_GROUPS names unknown roles {unknown}; use {', '.join(SSO_ROLES)}.")
    groups: dict[str, list[str]] = {}
    for role, names in value.items():
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise ImproperlyConfigured(f"CANDOR_SSO_ROLE_GROUPS[{role!r}] must be a list of group names.")
        groups[role] = names
    return groups


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def sso_origins(env: Any) -> list[str]:
    """The identity providers' origins. Sign-in with SSO posts a form to Candor that
    redirects to the provider; browsers apply the CSP's form-action to that redirect."""
    return sorted({o for o in (_origin(env.str(v, default="")) for v in ("OIDC_SERVER_URL", "SAML_IDP_SSO_URL")) if o})
