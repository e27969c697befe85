"""Reviewers and admins must use an authenticator app (TOTP, with recovery codes)
before they can do anything; employees and authors never need one."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core.cache import cache
from rest_framework.authtoken.models import Token

from tests.factories import PASSWORD
from tests.test_configuration import PRODUCTION_ENV, manage

pytestmark = pytest.mark.django_db
SETUP_URL = "/accounts/2fa/totp/activate/"


@pytest.fixture(autouse=True)
def _mfa_on(settings):
    settings.CANDOR_REQUIRE_MFA = True
    cache.clear()  # allauth remembers used TOTP codes in the cache


def totp_code(secret: str) -> str:
    # allauth accepts only the current 30-second period (MFA_TOTP_TOLERANCE 0): a code
    # made in its last seconds can expire before the request reaches the check, on a
    # busy machine. Wait for the next period then, as a person would.
    left = 30 - time.time() % 30
    if left < 3:
        time.sleep(left + 0.05)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in_with_totp(client, user, secret: str):
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    return client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})


@pytest.mark.parametrize("role", ["reviewer", "admin_user"])
def test_a_reviewer_or_admin_without_totp_is_sent_to_set_it_up(request, client, role):
    client.force_login(request.getfixturevalue(role))

    for path in ["/", "/comms/", "/people/", "/admin/", "/feed/"]:
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, SETUP_URL), path


def test_the_set_up_sign_out_and_language_pages_stay_reachable(client, reviewer):
    client.force_login(reviewer)

    assert client.get("/accounts/2fa/").status_code == 200
    assert client.get("/accounts/reauthenticate/").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.post("/i18n/setlang/", {"language": "de", "next": "/"})["Location"] == "/"
    assert client.post("/accounts/logout/")["Location"] != SETUP_URL
    assert client.get("/comms/").status_code == 302  # signed out now: the login page


def test_the_api_refuses_them_with_mfa_required(client, api, reviewer):
    client.force_login(reviewer)
    token = Token.objects.create(user=reviewer)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    by_session = client.get("/api/auth/me/")
    by_token = api.get("/api/auth/me/")

    for response in (by_session, by_token):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "mfa_required"
        assert "authenticator" in response.json()["error"]["message"]


def test_an_htmx_request_is_redirected_by_htmx(client, reviewer):
    client.force_login(reviewer)

    response = client.get("/comms/", headers={"HX-Request": "true"})

    assert response["HX-Redirect"] == SETUP_URL


@pytest.mark.parametrize("role", ["employee", "author"])
def test_employees_and_authors_never_need_it(request, client, api, enrolled, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    assert client.get("/feed/").status_code == 200
    assert client.get("/api/auth/me/").status_code == 200
    assert api.get("/api/auth/me/").status_code == 200


def test_with_totp_and_a_totp_sign_in_they_get_through(client, api, reviewer):
    secret = generate_totp_secret()
    TOTP.activate(reviewer, secret)

    response = sign_in_with_totp(client, reviewer, secret)

    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/comms/review/").status_code == 200
    assert client.get("/api/auth/me/").json()["email"] == reviewer.email
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=reviewer).key}")
    assert api.get("/api/auth/me/").status_code == 200


def test_a_password_alone_no_longer_signs_them_in(client, reviewer):
    TOTP.activate(reviewer, generate_totp_secret())

    client.post("/accounts/login/", {"login": reviewer.email, "password": PASSWORD})

    assert client.get("/comms/review/")["Location"].startswith("/accounts/login/")


def test_setting_it_up_in_the_browser_offers_recovery_codes_and_lets_them_in(client, admin_user):
    client.post("/accounts/login/", {"login": admin_user.email, "password": PASSWORD})
    assert client.get("/people/")["Location"] == SETUP_URL
    assert client.get(SETUP_URL)["Location"].startswith("/accounts/reauthenticate/")
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert client.get(SETUP_URL).status_code == 200  # shows the QR code and creates the secret

    response = client.post(SETUP_URL, {"code": totp_code(client.session["mfa.totp.secret"])})

    assert response["Location"] == "/accounts/2fa/recovery-codes/"
    codes = client.get("/accounts/2fa/recovery-codes/")
    assert codes.status_code == 200 and "Recovery" in codes.content.decode()
    assert set(Authenticator.objects.filter(user=admin_user).values_list("type", flat=True)) == {
        "totp",
        "recovery_codes",
    }
    assert client.get("/people/").status_code == 200


def test_the_django_admin_login_cannot_skip_the_totp_step(client, admin_user):
    TOTP.activate(admin_user, generate_totp_secret())

    page = client.get("/admin/login/?next=/admin/")
    attempt = client.post("/admin/login/", {"username": admin_user.email, "password": PASSWORD, "next": "/admin/"})

    assert page["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert attempt["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_the_setting_off_lets_them_in_without_it(client, settings, reviewer):
    settings.CANDOR_REQUIRE_MFA = False
    client.force_login(reviewer)

    assert client.get("/comms/review/").status_code == 200


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({**PRODUCTION_ENV}, "True"),
        ({**PRODUCTION_ENV, "CANDOR_REQUIRE_MFA": "false"}, "False"),
        ({"DJANGO_SETTINGS_MODULE": "advocacy.settings.dev"}, "False"),
    ],
)
def test_production_requires_it_by_default_and_development_does_not(tmp_path, env, expected):
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.CANDOR_REQUIRE_MFA)",
        env=env,
        tmp_path=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
