"""Sessions and cookies: admin sessions end after 30 idle minutes, sessions last a
working day, and the CSRF cookie is out of JavaScript's reach while htmx still
sends the token."""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings
from django.test import Client

from advocacy.core.security import SESSION_LAST_SEEN_KEY

pytestmark = pytest.mark.django_db


def idle_for(client: Client, minutes: float) -> None:
    session = client.session
    session[SESSION_LAST_SEEN_KEY] = int(time.time() - minutes * 60)
    session.save()


def test_an_admin_session_ends_after_30_idle_minutes(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/people/").status_code == 200

    idle_for(client, 31)
    response = client.get("/people/?page=2")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fpeople%2F%3Fpage%3D2"
    assert "_auth_user_id" not in client.session
    assert "without activity" in client.get(response["Location"]).content.decode()


def test_an_active_admin_session_goes_on(client, admin_user):
    client.force_login(admin_user)
    client.get("/people/")

    idle_for(client, 29)
    assert client.get("/people/").status_code == 200
    idle_for(client, 29)
    assert client.get("/admin/").status_code == 200  # activity keeps it alive


def test_an_idle_admin_api_session_gets_a_json_401(client, admin_user):
    client.force_login(admin_user)
    client.get("/people/")
    idle_for(client, 45)

    response = client.get("/api/auth/me/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_expired"


def test_an_idle_employee_is_not_signed_out_early(client, employee):
    client.force_login(employee)
    idle_for(client, 120)

    assert client.get("/feed/").status_code == 200


def test_sessions_and_cookies_are_hardened():
    assert settings.SESSION_COOKIE_AGE <= 24 * 60 * 60
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.CSRF_COOKIE_HTTPONLY
    assert settings.CANDOR_ADMIN_IDLE_MINUTES == 30


def test_htmx_posts_carry_the_csrf_token_from_the_page(enrolled):
    client = Client(enforce_csrf_checks=True)
    client.force_login(enrolled)
    page = client.get("/feed/")
    token = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page.content.decode()).group(1)

    refused = client.post("/preview/", {"text": "Hello", "network": "bluesky"}, headers={"HX-Request": "true"})
    accepted = client.post(
        "/preview/", {"text": "Hello", "network": "bluesky"}, headers={"HX-Request": "true", "X-CSRFToken": token}
    )

    assert page.cookies[settings.CSRF_COOKIE_NAME]["httponly"]
    assert refused.status_code == 403
    assert accepted.status_code == 200
