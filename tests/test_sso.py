"""Enterprise SSO providers are read from the environment."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from advocacy.settings.environment import CandorEnv
from advocacy.settings.sso import sso_providers


@pytest.fixture
def env(monkeypatch):
    for name in ["OIDC_SERVER_URL", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "SAML_IDP_ENTITY_ID"]:
        monkeypatch.delenv(name, raising=False)
    return CandorEnv()


def test_no_provider_without_variables(env):
    assert sso_providers(env) == {}


def test_it_reads_an_openid_connect_provider(env, monkeypatch):
    monkeypatch.setenv("OIDC_SERVER_URL", "https://login.example.com/realms/acme")
    monkeypatch.setenv("OIDC_CLIENT_ID", "candor")
    monkeypatch.setenv("OIDC_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("OIDC_PROVIDER_NAME", "Acme SSO")

    app = sso_providers(env)["openid_connect"]["APPS"][0]

    assert app["client_id"] == "candor"
    assert app["name"] == "Acme SSO"
    assert app["settings"]["server_url"] == "https://login.example.com/realms/acme"


def test_it_reads_a_saml_provider(env, monkeypatch):
    monkeypatch.setenv("SAML_IDP_ENTITY_ID", "https://idp.example.com/metadata")
    monkeypatch.setenv("SAML_IDP_SSO_URL", "https://idp.example.com/sso")
    monkeypatch.setenv("SAML_IDP_X509CERT", "MIIC...")

    idp = sso_providers(env)["saml"]["APPS"][0]["settings"]["idp"]

    assert idp == {
        "entity_id": "https://idp.example.com/metadata",
        "sso_url": "https://idp.example.com/sso",
        "x509cert": "MIIC...",
    }


def test_a_half_configured_provider_is_an_error(env, monkeypatch):
    monkeypatch.setenv("SAML_IDP_ENTITY_ID", "https://idp.example.com/metadata")

    with pytest.raises(ImproperlyConfigured, match="SAML_IDP_SSO_URL"):
        sso_providers(env)


@pytest.mark.django_db
def test_the_login_page_offers_the_configured_provider(client, settings, env, monkeypatch):
    monkeypatch.setenv("OIDC_SERVER_URL", "https://login.example.com")
    monkeypatch.setenv("OIDC_CLIENT_ID", "candor")
    monkeypatch.setenv("OIDC_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("OIDC_PROVIDER_NAME", "Acme SSO")
    settings.SOCIALACCOUNT_PROVIDERS = sso_providers(env)

    page = client.get("/accounts/login/").content.decode()

    assert "Acme SSO" in page
