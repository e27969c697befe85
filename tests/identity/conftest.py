"""Fixtures for sign-in and provisioning through the company's identity provider:
a real OpenID Connect provider (npm ``oidc-provider``) on loopback, and Candor
configured to use it."""

from __future__ import annotations

import json

import pytest

from advocacy.identity.services import scim_client_create
from advocacy.settings.environment import CandorEnv
from advocacy.settings.sso import sso_providers
from tests.browser.conftest import (  # noqa: F401 - fixtures
    browser_context_args,
    browser_type_launch_args,
    celery_worker_process,
    shoot,
)
from tests.support.idp import running_idp

PROVIDER_ID = "acme"
PROVIDER_NAME = "Acme SSO"


@pytest.fixture(scope="session")
def oidc_idp(live_server, tmp_path_factory):
    """One real OpenID Connect provider for the session, with Candor's live server as
    its one client."""
    callback = f"{live_server.url}/accounts/oidc/{PROVIDER_ID}/login/callback/"
    with running_idp(workdir=tmp_path_factory.mktemp("oidc-idp"), redirect_uris=[callback]) as server:
        yield server


@pytest.fixture
def sso(oidc_idp, settings, monkeypatch):
    """Candor signs people in through ``oidc_idp``, as its environment variables would
    configure it; tests change the CANDOR_SSO_* settings on top."""
    monkeypatch.setenv("OIDC_SERVER_URL", oidc_idp.url)
    monkeypatch.setenv("OIDC_CLIENT_ID", oidc_idp.client_id)
    monkeypatch.setenv("OIDC_CLIENT_SECRET", oidc_idp.client_secret)
    monkeypatch.setenv("OIDC_PROVIDER_ID", PROVIDER_ID)
    monkeypatch.setenv("OIDC_PROVIDER_NAME", PROVIDER_NAME)
    monkeypatch.setenv("OIDC_SCOPES", "openid,profile,email,groups")
    settings.SOCIALACCOUNT_PROVIDERS = sso_providers(CandorEnv())
    settings.CANDOR_SSO_ALLOWED_DOMAINS = ["acme.example"]
    return oidc_idp


@pytest.fixture
def sso_sign_in(live_server):
    """Sign in through the provider as a person would: Candor's sign-in page, the
    provider's own form, and back."""

    def sign_in(page, login: str, password: str = "idp-password-123") -> None:
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_role("link", name=PROVIDER_NAME).click()
        page.get_by_role("button", name="Continue").click()
        page.fill("#idp-login", login)
        page.fill("#idp-password", password)
        page.click("#idp-submit")
        page.wait_for_url(f"{live_server.url}/**")

    return sign_in


@pytest.fixture
def okta(admin_user):
    client, token = scim_client_create(actor=admin_user, name="Okta")
    return client, token


@pytest.fixture
def scim(client, okta):
    """Send a SCIM request as the Okta provisioning client; returns (status, body)."""

    def send(method: str, path: str, body=None, *, token: str | None = None, raw: str | None = None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {okta[1] if token is None else token}"}
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs = {"content_type": "application/scim+json"} if data is not None else {}
        response = getattr(client, method.lower())(f"/scim/v2{path}", data=data, **kwargs, **headers)
        content = response.content.decode()
        return response.status_code, (json.loads(content) if content else None)

    return send
