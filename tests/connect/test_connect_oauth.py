"""Connecting LinkedIn and X accounts through django-allauth, tested at the HTTP
boundary with ``responses`` (an unregistered request fails, so nothing leaves the
machine). The answers use the networks' documented shapes: LinkedIn's OpenID Connect
discovery document, token response (with an ``id_token``) and ``/v2/userinfo``; X's
OAuth 2.0 token response and ``/2/users/me``.

What is checked is what matters: the token ends up in the ownership ledger,
encrypted, and nowhere else — not in allauth's SocialToken table, not in any other
row, not in a session, not in a log line."""

from __future__ import annotations

import base64
import logging
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import responses
from allauth.socialaccount.models import SocialAccount, SocialToken

from accounts.models import User
from advocacy.ledger import crypto
from advocacy.ledger.models import ConnectedAccount
from advocacy.ledger.services import account_mark_needs_reconnect
from tests.connect.helpers import NETWORK_APPS, database_text, page_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("networks_configured")]

LINKEDIN_DISCOVERY = "https://www.linkedin.com/oauth/.well-known/openid-configuration"
LINKEDIN_AUTHORIZE = "https://www.linkedin.com/oauth/v2/authorization"
LINKEDIN_TOKEN = "https://www.linkedin.com/oauth/v2/accessToken"
LINKEDIN_USERINFO = "https://api.linkedin.com/v2/userinfo"
LINKEDIN_CALLBACK = "/accounts/oidc/linkedin/login/callback/"
LINKEDIN_MEMBER = "782bbtaQ"
X_AUTHORIZE = "https://x.com/i/oauth2/authorize"
X_TOKEN = "https://api.x.com/2/oauth2/token"
X_ME = "https://api.x.com/2/users/me"
X_CALLBACK = "/accounts/twitter_oauth2/login/callback/"
X_USER_ID = "2244994945"
PLANTED_ACCESS = "AQX-planted-access-token-7f3c9e1d"
PLANTED_REFRESH = "planted-refresh-token-5b8a2c4e"
X_SCOPES = ["tweet.read", "tweet.write", "users.read", "offline.access"]


@pytest.fixture
def web():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def linkedin_answers(web: responses.RequestsMock, *, access_token: str = PLANTED_ACCESS, **token: object) -> None:
    web.get(
        LINKEDIN_DISCOVERY,
        json={
            "issuer": "https://www.linkedin.com/oauth",
            "authorization_endpoint": LINKEDIN_AUTHORIZE,
            "token_endpoint": LINKEDIN_TOKEN,
            "userinfo_endpoint": LINKEDIN_USERINFO,
            "jwks_uri": "https://www.linkedin.com/oauth/openid/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email"],
            "claims_supported": ["iss", "aud", "iat", "exp", "sub", "name", "given_name", "family_name", "picture"],
        },
    )
    now = int(time.time())
    id_token = jwt.encode(
        {
            "iss": "https://www.linkedin.com/oauth",
            "aud": NETWORK_APPS["linkedin"]["client_id"],
            "iat": now,
            "exp": now + 3600,
            "sub": LINKEDIN_MEMBER,
            "name": "Emma Employee",
        },
        "not-linkedins-key-but-unchecked-over-tls-0123456789",
        algorithm="HS256",
        headers={"kid": "d929668a-bab1-4c69-9598-4373149723ff"},
    )
    web.post(
        LINKEDIN_TOKEN,
        json={
            "access_token": access_token,
            "expires_in": 5184000,
            "scope": "openid,profile,w_member_social",
            "token_type": "Bearer",
            "id_token": id_token,
            **token,
        },
    )
    web.get(
        LINKEDIN_USERINFO,
        json={
            "sub": LINKEDIN_MEMBER,
            "name": "Emma Employee",
            "given_name": "Emma",
            "family_name": "Employee",
            "picture": "https://media.licdn.com/dms/image/emma/profile-displayphoto-shrink_100_100/0/",
            "locale": {"country": "US", "language": "en"},
        },
    )


def x_answers(web: responses.RequestsMock, *, access_token: str = PLANTED_ACCESS, **token: object) -> None:
    answer = {
        "token_type": "bearer",
        "expires_in": 7200,
        "access_token": access_token,
        "scope": " ".join(X_SCOPES),
        "refresh_token": PLANTED_REFRESH,
        **token,
    }
    web.post(X_TOKEN, json={key: value for key, value in answer.items() if value is not None})
    web.get(X_ME, json={"data": {"id": X_USER_ID, "name": "Emma Employee", "username": "emma_at_acme"}})


def begin(client, path: str, authorize: str) -> dict[str, str]:
    """Press a Connect (or Reconnect) button; return the query sent to the network."""
    response = client.post(path)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == authorize
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def test_it_connects_a_linkedin_account_and_keeps_the_token_only_encrypted(client, enrolled, web, caplog):
    caplog.set_level(logging.DEBUG)
    linkedin_answers(web)
    client.force_login(enrolled)

    query = begin(client, "/connections/linkedin/", LINKEDIN_AUTHORIZE)
    assert query["client_id"] == NETWORK_APPS["linkedin"]["client_id"]
    assert query["redirect_uri"] == f"http://testserver{LINKEDIN_CALLBACK}"
    assert sorted(query["scope"].split()) == ["openid", "profile", "w_member_social"]
    assert "code_challenge" not in query
    response = client.get(LINKEDIN_CALLBACK, {"code": "linkedin-code-1", "state": query["state"]})

    assert response.status_code == 302
    assert response["Location"] == "/connections/"
    exchange = parse_qs(next(call.request.body for call in web.calls if call.request.url == LINKEDIN_TOKEN))
    assert exchange["grant_type"] == ["authorization_code"]
    assert exchange["code"] == ["linkedin-code-1"]
    assert exchange["client_secret"] == [NETWORK_APPS["linkedin"]["client_secret"]]
    account = ConnectedAccount.objects.get()
    assert (account.network, account.external_id, account.handle) == ("linkedin", LINKEDIN_MEMBER, "Emma Employee")
    assert account.owner == enrolled
    assert account.scopes == ["openid", "profile", "w_member_social"]
    assert abs(account.token_expires_at.timestamp() - (time.time() + 5184000)) < 60
    credentials = crypto.decrypt(account.credentials_encrypted)
    assert credentials["access_token"] == PLANTED_ACCESS
    assert "client_secret" not in credentials, "Candor's app secret comes from settings, never from a row"
    assert "Connected LinkedIn Emma Employee" in page_text(client)
    assert SocialToken.objects.count() == 0
    assert SocialAccount.objects.count() == 0
    assert PLANTED_ACCESS not in database_text()
    assert PLANTED_ACCESS not in caplog.text


def test_it_connects_an_x_account_with_pkce_and_keeps_both_tokens_only_encrypted(client, enrolled, web, caplog):
    caplog.set_level(logging.DEBUG)
    x_answers(web)
    client.force_login(enrolled)

    query = begin(client, "/connections/x/", X_AUTHORIZE)
    assert query["client_id"] == NETWORK_APPS["x"]["client_id"]
    assert query["redirect_uri"] == f"http://testserver{X_CALLBACK}"
    assert sorted(query["scope"].split()) == sorted(X_SCOPES)
    assert query["code_challenge_method"] == "S256"
    client.get(X_CALLBACK, {"code": "x-code-1", "state": query["state"]})

    token_call = next(call.request for call in web.calls if call.request.url == X_TOKEN)
    basic = base64.b64encode(b"candor-x-app:candor-x-secret").decode()
    assert token_call.headers["Authorization"] == f"Basic {basic}"
    assert parse_qs(token_call.body)["code_verifier"], "PKCE: the verifier goes with the code"
    account = ConnectedAccount.objects.get()
    assert (account.network, account.external_id, account.handle) == ("x", X_USER_ID, "@emma_at_acme")
    assert account.scopes == X_SCOPES
    credentials = crypto.decrypt(account.credentials_encrypted)
    assert (credentials["access_token"], credentials["refresh_token"]) == (PLANTED_ACCESS, PLANTED_REFRESH)
    assert abs(credentials["expires_at"] - (time.time() + 7200)) < 60
    assert "Connected X @emma_at_acme" in page_text(client)
    assert SocialToken.objects.count() == 0
    assert SocialAccount.objects.count() == 0
    dump = database_text()
    assert PLANTED_ACCESS not in dump
    assert PLANTED_REFRESH not in dump
    assert PLANTED_ACCESS not in caplog.text
    assert PLANTED_REFRESH not in caplog.text


def test_a_reconnect_keeps_the_refresh_token_when_the_network_sends_none(client, enrolled, web):
    x_answers(web)
    client.force_login(enrolled)
    client.get(X_CALLBACK, {"code": "x-code-1", "state": begin(client, "/connections/x/", X_AUTHORIZE)["state"]})
    account = ConnectedAccount.objects.get()
    account_mark_needs_reconnect(account_id=account.pk, reason="X says the token was revoked.")
    assert f'action="/connections/{account.pk}/reconnect/"' in page_text(client)
    web.reset()
    x_answers(web, access_token="new-access-token-after-reconnect", refresh_token=None)

    query = begin(client, f"/connections/{account.pk}/reconnect/", X_AUTHORIZE)
    client.get(X_CALLBACK, {"code": "x-code-2", "state": query["state"]})

    account.refresh_from_db()
    assert ConnectedAccount.objects.count() == 1
    assert account.status == ConnectedAccount.Status.ACTIVE
    credentials = crypto.decrypt(account.credentials_encrypted)
    assert credentials["access_token"] == "new-access-token-after-reconnect"
    assert credentials["refresh_token"] == PLANTED_REFRESH
    assert [event.kind for event in account.events.all()] == ["connected", "needs_reconnect", "reconnected"]


def test_a_linkedin_reconnect_goes_back_to_linkedin(client, enrolled, web):
    linkedin_answers(web)
    client.force_login(enrolled)
    state = begin(client, "/connections/linkedin/", LINKEDIN_AUTHORIZE)["state"]
    client.get(LINKEDIN_CALLBACK, {"code": "c", "state": state})
    account = ConnectedAccount.objects.get()
    account_mark_needs_reconnect(account_id=account.pk, reason="LinkedIn access expired.")

    query = begin(client, f"/connections/{account.pk}/reconnect/", LINKEDIN_AUTHORIZE)
    client.get(LINKEDIN_CALLBACK, {"code": "c2", "state": query["state"]})

    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.ACTIVE


@pytest.mark.parametrize(
    ("login", "callback"),
    [("/accounts/twitter_oauth2/login/", X_CALLBACK), ("/accounts/oidc/linkedin/login/", LINKEDIN_CALLBACK)],
)
def test_an_anonymous_sign_in_through_linkedin_or_x_is_refused(client, web, login, callback):
    users = User.objects.count()

    for response in (
        client.get(login, {"process": "login"}),
        client.post(f"{login}?process=login"),
        client.get(callback, {"code": "stolen-or-guessed", "state": "s"}),
    ):
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/"

    assert len(web.calls) == 0, "nobody was sent to the network, and no code was exchanged"
    assert "is not a way to sign in to Candor" in page_text(client, "/accounts/login/")
    assert User.objects.count() == users
    assert not SocialAccount.objects.exists()


def test_a_signed_in_person_cannot_use_x_to_sign_in_as_someone_else(client, enrolled, web):
    x_answers(web)
    client.force_login(enrolled)

    # allauth's own URL with process=login, not Candor's Connect button.
    response = client.post("/accounts/twitter_oauth2/login/?process=login")
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    response = client.get(X_CALLBACK, {"code": "x-code-1", "state": state})

    assert response["Location"] == "/connections/"
    assert client.session["_auth_user_id"] == str(enrolled.pk), "still the same person"
    assert not ConnectedAccount.objects.exists()
    assert not SocialAccount.objects.exists()
    assert "is not a way to sign in to Candor" in page_text(client)


def test_a_cancelled_consent_says_so(client, enrolled, web):
    client.force_login(enrolled)
    state = begin(client, "/connections/x/", X_AUTHORIZE)["state"]

    response = client.get(X_CALLBACK, {"error": "access_denied", "state": state})

    assert response["Location"] == "/connections/"
    assert "You did not allow Candor to post to X" in page_text(client)
    assert not ConnectedAccount.objects.exists()


def test_a_refused_code_exchange_is_a_message_not_a_500(client, enrolled, web):
    web.post(
        X_TOKEN,
        status=400,
        json={"error": "invalid_request", "error_description": "Value passed for the authorization code was invalid."},
    )
    client.force_login(enrolled)
    state = begin(client, "/connections/x/", X_AUTHORIZE)["state"]

    response = client.get(X_CALLBACK, {"code": "expired", "state": state})

    assert response["Location"] == "/connections/"
    assert "X did not complete the connection" in page_text(client)
    assert not ConnectedAccount.objects.exists()


def test_an_unknown_state_is_a_message_not_a_500(client, enrolled, web):
    client.force_login(enrolled)

    response = client.get(X_CALLBACK, {"code": "x-code", "state": "never-issued"})

    assert response["Location"] == "/connections/"
    assert "expired or was already used" in page_text(client)


def test_linkedin_being_unreachable_is_a_message_not_a_500(client, enrolled, web):
    client.force_login(enrolled)  # no answers registered: the discovery document cannot be fetched

    response = client.post("/connections/linkedin/")

    assert response["Location"] == "/connections/"
    assert "Could not reach LinkedIn" in page_text(client)


def test_an_account_connected_by_someone_else_is_refused(client, enrolled, other_employee, web):
    x_answers(web)
    client.force_login(other_employee)
    client.get(X_CALLBACK, {"code": "a", "state": begin(client, "/connections/x/", X_AUTHORIZE)["state"]})
    client.force_login(enrolled)

    client.get(X_CALLBACK, {"code": "b", "state": begin(client, "/connections/x/", X_AUTHORIZE)["state"]})

    assert ConnectedAccount.objects.get().owner == other_employee
    assert "already connected by someone else" in page_text(client)
