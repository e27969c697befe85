"""The "My accounts" page offers one way to connect each network, says plainly when
an administrator has not set one up, and offers Reconnect for accounts whose access
stopped working. LinkedIn and X are configured from the environment, are never
offered as ways to sign in, and are allowed as form targets only when configured."""

from __future__ import annotations

import re

import pytest

from advocacy.ledger.models import ConnectedAccount
from advocacy.ledger.services import account_mark_needs_reconnect
from tests.connect.helpers import page_text
from tests.support.scenario import connect
from tests.test_configuration import manage

pytestmark = pytest.mark.django_db


def forms_posting_to(page: str) -> set[str]:
    return set(re.findall(r'<form method="post"[^>]*action="([^"]+)"', page))


def test_every_network_has_one_way_to_connect_when_configured(client, enrolled, networks_configured):
    client.force_login(enrolled)

    page = page_text(client)

    assert {"/connections/mastodon/", "/connections/linkedin/", "/connections/x/"} <= forms_posting_to(page)
    assert 'name="app_password"' in page, "the Bluesky form stays"
    assert "Connect LinkedIn" in page
    assert "Connect X" in page
    assert "not set up in Candor yet" not in page


def test_unconfigured_networks_are_explained_instead_of_offered(client, enrolled, networks_unconfigured):
    client.force_login(enrolled)

    page = page_text(client)

    assert "/connections/linkedin/" not in forms_posting_to(page)
    assert "/connections/x/" not in forms_posting_to(page)
    assert "LinkedIn is not set up in Candor yet" in page
    assert "X is not set up in Candor yet" in page
    assert "LINKEDIN_CLIENT_ID" not in page, "employees are not shown configuration details"
    assert "/connections/mastodon/" in forms_posting_to(page), "Mastodon needs no set-up"


def test_admins_are_told_what_to_configure(client, admin_user, networks_unconfigured):
    client.force_login(admin_user)

    page = page_text(client)

    assert "LINKEDIN_CLIENT_ID" in page
    assert "X_CLIENT_SECRET" in page


@pytest.mark.parametrize("path", ["/connections/x/", "/accounts/twitter_oauth2/login/"])
def test_starting_an_unconfigured_network_is_a_message_not_a_500(client, enrolled, networks_unconfigured, path):
    client.force_login(enrolled)

    response = client.post(path)

    assert response.status_code == 302
    assert response["Location"] == "/connections/"
    assert "X is not set up in Candor yet" in page_text(client)


def test_an_unknown_network_is_not_found(client, enrolled):
    client.force_login(enrolled)

    assert client.post("/connections/myspace/").status_code == 404


def test_linkedin_and_x_are_never_offered_on_the_sign_in_page(client, networks_configured):
    page = page_text(client, "/accounts/login/")

    assert "linkedin" not in page.lower()
    assert "twitter" not in page.lower()
    assert "/accounts/oidc/" not in page


def test_only_accounts_needing_it_show_reconnect(client, enrolled):
    working = connect(enrolled, handle="emma.test")
    broken = connect(enrolled, handle="emma-old.test")
    account_mark_needs_reconnect(account_id=broken.pk, reason="Bluesky refused the app password.")
    client.force_login(enrolled)

    page = page_text(client)

    assert f"/connections/{broken.pk}/reconnect/" in forms_posting_to(page)
    assert f"/connections/{working.pk}/reconnect/" not in forms_posting_to(page)
    assert "Bluesky refused the app password." in page


def test_reconnecting_bluesky_points_to_the_app_password_form(client, enrolled):
    account = connect(enrolled)
    account_mark_needs_reconnect(account_id=account.pk, reason="expired")
    client.force_login(enrolled)

    response = client.post(f"/connections/{account.pk}/reconnect/")

    assert response["Location"] == "/connections/#connect"
    assert "Create a new app password for emma.test" in page_text(client)
    assert ConnectedAccount.objects.get().status == ConnectedAccount.Status.NEEDS_RECONNECT


def test_reconnect_is_post_only_and_for_the_owner(client, enrolled, other_employee):
    account = connect(enrolled)
    client.force_login(other_employee)

    assert client.get(f"/connections/{account.pk}/reconnect/").status_code == 405
    assert client.post(f"/connections/{account.pk}/reconnect/").status_code == 404


NETWORK_ENV = {
    "DJANGO_SETTINGS_MODULE": "advocacy.settings.test",
    "LINKEDIN_CLIENT_ID": "li-id",
    "LINKEDIN_CLIENT_SECRET": "li-secret",
    "X_CLIENT_ID": "x-id",
    "X_CLIENT_SECRET": "x-secret",
}
SHOW = (
    "from django.conf import settings; p = settings.SOCIALACCOUNT_PROVIDERS; "
    "print([(name, a.get('provider_id', ''), a['settings'].get('hidden', False)) for name in sorted(p) "
    "for a in p[name]['APPS']]); "
    "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']); "
    "print(settings.SOCIALACCOUNT_STORE_TOKENS)"
)


@pytest.mark.django_db(False)
def test_the_environment_configures_linkedin_and_x_beside_sso(tmp_path):
    env = {
        **NETWORK_ENV,
        "OIDC_SERVER_URL": "https://login.example.com/tenant/v2.0",
        "OIDC_CLIENT_ID": "candor",
        "OIDC_CLIENT_SECRET": "not-a-real-secret",
    }

    result = manage("shell", "-c", SHOW, env=env, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    *_, apps, form_action, store_tokens = result.stdout.strip().splitlines()
    assert apps == (
        "[('openid_connect', 'sso', False), ('openid_connect', 'linkedin', True), ('twitter_oauth2', '', True)]"
    ), "LinkedIn joins the SSO provider as a second, hidden app; X is hidden too"
    assert form_action == "[\"'self'\", 'https://login.example.com', 'https://www.linkedin.com', 'https://x.com']"
    assert store_tokens == "False"


@pytest.mark.django_db(False)
def test_a_half_configured_network_stops_start_up(tmp_path):
    env = {**NETWORK_ENV, "X_CLIENT_SECRET": ""}

    result = manage("check", env=env, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "X_CLIENT_SECRET is not set, but X is partly configured" in result.stderr
