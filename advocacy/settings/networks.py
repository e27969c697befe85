"""django-allauth providers for connecting LinkedIn and X posting accounts, read from
``CANDOR_NETWORK_APPS``. Both are posting accounts a signed-in person connects, never
sign-in methods: "hidden" keeps them off the sign-in page and the adapter refuses any
sign-in."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

# Where each network's Connect button leads (allowed as form targets in the CSP).
NETWORK_AUTHORIZE_ORIGINS = {"openid_connect": "https://www.linkedin.com", "twitter_oauth2": "https://x.com"}


def network_providers(apps: dict[str, dict[str, str]]) -> dict[str, Any]:
    """allauth provider settings for LinkedIn and X from ``CANDOR_NETWORK_APPS``-shaped
    values: a network is configured with both its client id and secret, left out with
    neither, and half of it is an error naming the missing variable."""
    providers: dict[str, Any] = {}
    for network, prefix in (("linkedin", "LINKEDIN"), ("x", "X")):
        app = apps.get(network) or {}
        if not (app.get("client_id") or app.get("client_secret")):
            continue
        missing = [f"{prefix}_CLIENT_{part.upper()}" for part in ("id", "secret") if not app.get(f"client_{part}")]
        if missing:
            raise ImproperlyConfigured(f"{missing[0]} is not set, but {prefix} is partly configured.")
        if network == "linkedin":
            # LinkedIn is an OpenID Connect provider (allauth's linkedin_oauth2 is deprecated).
            providers["openid_connect"] = {
                "APPS": [
                    {
                        "provider_id": "linkedin",
                        "name": "LinkedIn",
                        "client_id": app["client_id"],
                        "secret": app["client_secret"],
                        "settings": {
                            "server_url": "https://www.linkedin.com/oauth",
                            "hidden": True,
                            # Who the member is, and permission to post as them. No email address.
                            "scope": ["openid", "profile", "w_member_social"],
                            "token_auth_method": "client_secret_post",
                            "oauth_pkce_enabled": False,  # LinkedIn offers PKCE to native apps only
                        },
                    }
                ]
            }
        else:
            providers["twitter_oauth2"] = {
                "APPS": [
                    {
                        "client_id": app["client_id"],
                        "secret": app["client_secret"],
                        "settings": {
                            "hidden": True,
                            # offline.access brings a refresh token: X access tokens last two hours.
                            "scope": ["tweet.read", "tweet.write", "users.read", "offline.access"],
                            "oauth_pkce_enabled": True,
                        },
                    }
                ]
            }
    return providers


def add_network_providers(providers: dict[str, Any], apps: dict[str, dict[str, str]]) -> list[str]:
    """Add the posting networks' apps to ``providers`` (``SOCIALACCOUNT_PROVIDERS``, with
    enterprise SSO already in it); returns the origins their Connect buttons lead to.
    LinkedIn shares the openid_connect provider with enterprise SSO: it adds an app."""
    networks = network_providers(apps)
    sso_apps = providers.get("openid_connect", {}).get("APPS", [])
    if "openid_connect" in networks and any(app.get("provider_id") == "linkedin" for app in sso_apps):
        raise ImproperlyConfigured('OIDC_PROVIDER_ID "linkedin" is reserved for connecting LinkedIn accounts.')
    for name, provider in networks.items():
        providers.setdefault(name, {}).setdefault("APPS", []).extend(provider["APPS"])
    return [NETWORK_AUTHORIZE_ORIGINS[name] for name in networks]
