"""A person creates and revokes their own API token in the portal, sees the key once,
and the key works against the API until it is revoked."""

from __future__ import annotations

import re

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from advocacy.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _key(response) -> str:
    return re.search(r'<code class="token" id="token-key">([0-9a-f]{40})</code>', response.content.decode())[1]


def test_a_person_creates_a_token_sees_it_once_and_it_works(client, employee):
    client.force_login(employee)
    assert "You have no API token." in client.get("/api-token/").content.decode()

    created = client.post("/api-token/", {"action": "create"})
    key = _key(created)
    later = client.get("/api-token/").content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert created["Cache-Control"] == "no-store"
    assert key not in later  # shown once only
    assert "You have an API token, created" in later
    assert api.get("/api/auth/me/").json()["email"] == employee.email
    assert AuditEvent.objects.filter(action="token.issued", subject_id=employee.pk).count() == 1


def test_revoking_the_token_stops_it_at_once(client, employee):
    client.force_login(employee)
    key = _key(client.post("/api-token/", {"action": "create"}))

    revoked = client.post("/api-token/", {"action": "revoke"}, follow=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert "Your API token is revoked." in revoked.content.decode()
    assert not Token.objects.filter(user=employee).exists()
    assert api.get("/api/auth/me/").status_code in (401, 403)
    assert AuditEvent.objects.filter(action="token.revoked", subject_id=employee.pk).count() == 1


def test_creating_a_second_token_says_to_revoke_the_first(client, employee):
    client.force_login(employee)
    first = _key(client.post("/api-token/", {"action": "create"}))

    again = client.post("/api-token/", {"action": "create"}, follow=True)

    assert "Revoke it first to get a new one." in again.content.decode()
    assert first not in again.content.decode()
    assert Token.objects.get(user=employee).key == first


def test_an_unknown_action_is_explained_not_a_500(client, employee):
    client.force_login(employee)

    response = client.post("/api-token/", {"action": "steal"}, follow=True)

    assert response.status_code == 200
    assert "Choose to create or to revoke your API token." in response.content.decode()
    assert not Token.objects.filter(user=employee).exists()


def test_a_role_that_needs_an_authenticator_gets_no_token_before_setting_one_up(client, settings, reviewer):
    settings.CANDOR_REQUIRE_MFA = True
    client.force_login(reviewer)

    response = client.post("/api-token/", {"action": "create"}, follow=True)

    assert not Token.objects.filter(user=reviewer).exists()
    assert response.status_code == 200
    assert "2fa" in response.redirect_chain[-1][0]  # sent to set up the authenticator first


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/api-token/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(("language", "words"), [("de", "API-Token"), ("id", "Token API"), ("it", "Token API")])
def test_the_token_page_speaks_the_readers_language(client, employee, language, words):
    client.force_login(employee)
    page = client.get("/api-token/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert words in page
    assert "You have no API token." not in page
