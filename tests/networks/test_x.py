"""The X plug-in at the HTTP boundary, with the X API v2's documented shapes.

Most tests answer through ``responses`` (an unregistered request fails, so nothing
leaves the machine). The last two use real loopback sockets to check how the shared
HTTP helper tells "could not connect" from "sent, but no answer".
"""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError

from advocacy.networks.base import (
    AccountSession,
    AuthError,
    OutcomeUnknown,
    PermanentError,
    PublishRequest,
    PublishResult,
    RateLimited,
    TransientError,
)
from advocacy.networks.x import XClient

TWEETS = "https://api.x.com/2/tweets"
TOKEN = "https://api.x.com/2/oauth2/token"
REVOKE = "https://api.x.com/2/oauth2/revoke"
ME = "https://api.x.com/2/users/me"
TIMELINE = "https://api.x.com/2/users/2244994945/tweets"
POST_ID = "1445880548472328192"
TEXT = "#ad I work at Acme. Our new bike lanes open today: https://acme.example/lanes?a=1&b=2"
SCOPE = "tweet.read tweet.write users.read offline.access"


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def plugin() -> XClient:
    return XClient(client_id="candor-x-app")


def user(*, expires_in: int = 3600, refresh_token: str | None = "x-refresh") -> AccountSession:
    credentials: dict[str, object] = {
        "access_token": "x-token",
        "expires_at": int(time.time()) + expires_in,
        "scope": SCOPE,
    }
    if refresh_token:
        credentials["refresh_token"] = refresh_token
    return AccountSession(network="x", handle="@acme_ada", external_id="2244994945", credentials=credentials)


def share(text: str = TEXT) -> PublishRequest:
    return PublishRequest(text=text, idempotency_key="share-1")


def form(request: requests.PreparedRequest) -> dict[str, list[str]]:
    """The form fields a request sent."""
    return parse_qs(str(request.body))


def query(request: requests.PreparedRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(request.url)).query)


def sent_json(request: requests.PreparedRequest) -> Any:
    return json.loads(cast(bytes, request.body))


def created(api: responses.RequestsMock) -> None:
    api.post(TWEETS, status=201, json={"data": {"id": POST_ID, "text": TEXT}})


# -- publishing -----------------------------------------------------------------------------


def test_it_creates_a_post_with_the_documented_request(api: responses.RequestsMock, plugin: XClient) -> None:
    created(api)
    session = user()

    result = plugin.publish(session, share())

    assert result == PublishResult(POST_ID, f"https://x.com/acme_ada/status/{POST_ID}")
    request = api.calls[0].request
    assert request.headers["Authorization"] == "Bearer x-token"
    assert request.headers["Content-Type"] == "application/json"
    assert sent_json(request) == {"text": TEXT}
    assert not session.credentials_changed


def test_images_are_refused_before_calling_x(api: responses.RequestsMock, plugin: XClient) -> None:
    from advocacy.networks.base import MediaAttachment

    request = PublishRequest(
        text=TEXT, idempotency_key="k", image=MediaAttachment(content=b"\x89PNG", mime_type="image/png")
    )
    with pytest.raises(PermanentError):
        plugin.publish(user(), request)
    assert len(api.calls) == 0


# -- error mapping ---------------------------------------------------------------------------


def test_401_without_a_refresh_token_is_an_auth_error(api: responses.RequestsMock, plugin: XClient) -> None:
    api.post(
        TWEETS,
        status=401,
        json={"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
    )

    with pytest.raises(AuthError) as caught:
        plugin.publish(user(refresh_token=None), share())
    assert caught.value.status == 401


def test_a_duplicate_is_refused_in_xs_words(api: responses.RequestsMock, plugin: XClient) -> None:
    body = {
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
    }
    api.post(TWEETS, status=403, json=body)

    with pytest.raises(PermanentError) as caught:
        plugin.publish(user(), share())
    assert not isinstance(caught.value, AuthError)  # the token is fine; the text is not
    assert "duplicate content" in caught.value.message


def test_403_for_the_wrong_kind_of_token_is_an_auth_error(api: responses.RequestsMock, plugin: XClient) -> None:
    body = {
        "title": "Unsupported Authentication",
        "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.",
        "type": "https://api.twitter.com/2/problems/unsupported-authentication",
        "status": 403,
    }
    api.post(TWEETS, status=403, json=body)

    with pytest.raises(AuthError):
        plugin.publish(user(), share())


def test_429_waits_until_the_15_minute_window_resets(api: responses.RequestsMock, plugin: XClient) -> None:
    reset = int(time.time()) + 600
    headers = {"x-rate-limit-limit": "200", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}
    api.post(
        TWEETS,
        status=429,
        json={"title": "Too Many Requests", "detail": "Too Many Requests"},
        headers=headers,
    )

    with pytest.raises(RateLimited) as caught:
        plugin.publish(user(), share())
    assert caught.value.retry_after is not None
    assert 590 <= caught.value.retry_after <= 600


def test_429_on_the_daily_cap_waits_for_the_24_hour_reset(api: responses.RequestsMock, plugin: XClient) -> None:
    now = int(time.time())
    headers = {
        "x-rate-limit-remaining": "150",
        "x-rate-limit-reset": str(now + 600),
        "x-user-limit-24hour-limit": "100",
        "x-user-limit-24hour-remaining": "0",
        "x-user-limit-24hour-reset": str(now + 7200),
    }
    api.post(TWEETS, status=429, json={"title": "Too Many Requests"}, headers=headers)

    with pytest.raises(RateLimited) as caught:
        plugin.publish(user(), share())
    assert caught.value.retry_after is not None
    assert 7190 <= caught.value.retry_after <= 7200


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_while_posting_is_an_unknown_outcome(
    api: responses.RequestsMock, plugin: XClient, status: int
) -> None:
    api.post(TWEETS, status=status, json={"title": "Service Unavailable", "status": status})

    with pytest.raises(OutcomeUnknown) as caught:
        plugin.publish(user(), share())
    assert caught.value.status == status


def test_a_server_error_while_reading_is_transient(api: responses.RequestsMock, plugin: XClient) -> None:
    api.get(ME, status=503, json={"title": "Service Unavailable"})

    with pytest.raises(TransientError) as caught:
        plugin.verify(user())
    assert not isinstance(caught.value, OutcomeUnknown)


def test_a_read_timeout_while_posting_is_an_unknown_outcome(api: responses.RequestsMock, plugin: XClient) -> None:
    api.post(TWEETS, body=requests.ReadTimeout("Read timed out. (read timeout=30.0)"))

    with pytest.raises(OutcomeUnknown):
        plugin.publish(user(), share())


def test_a_connect_error_is_transient(api: responses.RequestsMock, plugin: XClient) -> None:
    # What requests raises when the TCP connection is refused: nothing was sent.
    refused_at = "Failed to establish a new connection: [Errno 111] Connection refused"
    refusal = NewConnectionError(None, refused_at)  # type: ignore[arg-type]
    api.post(TWEETS, body=requests.ConnectionError(MaxRetryError(None, TWEETS, refusal)))  # type: ignore[arg-type]

    with pytest.raises(TransientError) as caught:
        plugin.publish(user(), share())
    assert not isinstance(caught.value, OutcomeUnknown)


def test_an_invalid_post_is_permanent_with_xs_reason(api: responses.RequestsMock, plugin: XClient) -> None:
    body = {
        "errors": [{"parameters": {"text": [""]}, "message": "The `text` field cannot be empty."}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    api.post(TWEETS, status=400, json=body)

    with pytest.raises(PermanentError) as caught:
        plugin.publish(user(), share(text=""))
    assert caught.value.status == 400
    assert "cannot be empty" in caught.value.message


# -- tokens ----------------------------------------------------------------------------------


def test_an_expired_token_is_refreshed_first_and_the_new_one_used(api: responses.RequestsMock, plugin: XClient) -> None:
    api.post(
        TOKEN,
        json={
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": "fresh",
            "scope": SCOPE,
            "refresh_token": "rotated",
        },
    )
    created(api)
    session = user(expires_in=-5)

    plugin.publish(session, share())

    refresh = api.calls[0].request
    assert form(refresh) == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["x-refresh"],
        "client_id": ["candor-x-app"],  # a public client names itself in the form
    }
    assert api.calls[1].request.headers["Authorization"] == "Bearer fresh"
    assert session.credentials_changed
    assert session.credentials["access_token"] == "fresh"
    assert session.credentials["refresh_token"] == "rotated"
    assert session.credentials["expires_at"] > time.time() + 7000


def test_a_refresh_without_a_new_refresh_token_keeps_the_old_one(api: responses.RequestsMock, plugin: XClient) -> None:
    api.post(TOKEN, json={"token_type": "bearer", "expires_in": 7200, "access_token": "fresh", "scope": SCOPE})
    created(api)
    session = user(expires_in=-5)

    plugin.publish(session, share())

    assert session.credentials["refresh_token"] == "x-refresh"
    assert session.credentials["access_token"] == "fresh"


def test_a_confidential_client_refreshes_with_basic_auth(api: responses.RequestsMock) -> None:
    api.post(TOKEN, json={"token_type": "bearer", "expires_in": 7200, "access_token": "fresh"})
    created(api)

    XClient(client_id="id", client_secret="secret").publish(user(expires_in=-5), share())

    refresh = api.calls[0].request
    assert refresh.headers["Authorization"] == "Basic " + base64.b64encode(b"id:secret").decode()
    assert "client_id" not in form(refresh)


def test_a_401_is_retried_once_with_a_refreshed_token(api: responses.RequestsMock, plugin: XClient) -> None:
    api.post(TWEETS, status=401, json={"title": "Unauthorized", "status": 401})
    api.post(
        TOKEN,
        json={"token_type": "bearer", "expires_in": 7200, "access_token": "fresh", "refresh_token": "r2"},
    )
    created(api)
    session = user()

    assert plugin.publish(session, share()).external_id == POST_ID
    assert [c.request.url for c in api.calls] == [TWEETS, TOKEN, TWEETS]
    assert session.credentials_changed


def test_a_refused_refresh_token_means_reconnect(api: responses.RequestsMock, plugin: XClient) -> None:
    api.post(
        TOKEN,
        status=400,
        json={"error": "invalid_request", "error_description": "Value passed for the token was invalid."},
    )
    session = user(expires_in=-5)

    with pytest.raises(AuthError) as caught:
        plugin.publish(session, share())
    assert "reconnect" in caught.value.message
    assert session.credentials["refresh_token"] == "x-refresh"
    assert not session.credentials_changed


def test_a_failed_refresh_is_transient_and_keeps_the_tokens(api: responses.RequestsMock, plugin: XClient) -> None:
    api.post(TOKEN, status=503, json={"title": "Service Unavailable"})
    session = user(expires_in=-5)

    with pytest.raises(TransientError) as caught:
        plugin.publish(session, share())
    assert not isinstance(caught.value, AuthError | OutcomeUnknown)
    assert session.credentials["refresh_token"] == "x-refresh"
    assert session.credentials["access_token"] == "x-token"


def test_rejected_app_credentials_do_not_blame_the_user(api: responses.RequestsMock, plugin: XClient) -> None:
    api.post(
        TOKEN,
        status=401,
        json={"error": "unauthorized_client", "error_description": "Missing valid authorization header"},
    )

    with pytest.raises(PermanentError) as caught:
        plugin.publish(user(expires_in=-5), share())
    assert not isinstance(caught.value, AuthError)


# -- identity, reconciling, deleting -----------------------------------------------------------


def test_verify_reads_users_me(api: responses.RequestsMock, plugin: XClient) -> None:
    api.get(ME, json={"data": {"id": "2244994945", "name": "Ada at Acme", "username": "acme_ada"}})

    account = plugin.verify(user())

    assert (account.handle, account.external_id, account.display_name) == (
        "@acme_ada",
        "2244994945",
        "Ada at Acme",
    )
    assert "tweet.write" in account.scopes


def test_find_existing_matches_the_exact_text_of_a_recent_post(api: responses.RequestsMock, plugin: XClient) -> None:
    # X shortens links to t.co and HTML-escapes "&" in the text it returns.
    tco = "https://t.co/56a0vZUx7i"
    ours = {
        "id": POST_ID,
        "text": "#ad I work at Acme. Our new bike lanes open today: " + tco,
        "entities": {
            "urls": [{"start": 51, "end": 74, "url": tco, "expanded_url": "https://acme.example/lanes?a=1&b=2"}]
        },
    }
    other = {"id": "1", "text": "Lunch &amp; learn at 12"}
    api.get(TIMELINE, json={"data": [other, ours], "meta": {"result_count": 2}})

    assert plugin.find_existing(user(), "share-1", text=TEXT) == PublishResult(
        POST_ID, f"https://x.com/acme_ada/status/{POST_ID}"
    )
    assert plugin.find_existing(user(), "share-1", text="Lunch & learn at 12") is not None
    assert plugin.find_existing(user(), "share-2", text="Never posted") is None

    sent = query(api.calls[0].request)
    assert sent["exclude"] == ["retweets,replies"]
    assert sent["tweet.fields"] == ["entities"]


def test_find_existing_is_unknown_when_x_will_not_list_posts(api: responses.RequestsMock, plugin: XClient) -> None:
    body = {
        "client_id": "123",
        "reason": "client-not-enrolled",
        "title": "Client Forbidden",
        "detail": "Your client app is not configured with the appropriate oauth1 app permissions for this endpoint.",
        "type": "https://api.twitter.com/2/problems/client-forbidden",
    }
    api.get(TIMELINE, status=403, json=body)

    with pytest.raises(OutcomeUnknown):
        plugin.find_existing(user(), "share-1", text=TEXT)


def test_find_existing_needs_the_text(plugin: XClient) -> None:
    with pytest.raises(OutcomeUnknown):
        plugin.find_existing(user(), "share-1")


def test_delete_is_safe_to_repeat(api: responses.RequestsMock, plugin: XClient) -> None:
    api.delete(f"{TWEETS}/{POST_ID}", json={"data": {"deleted": True}})
    api.delete(f"{TWEETS}/{POST_ID}", status=404, json={"title": "Not Found Error"})

    plugin.delete(user(), POST_ID)
    plugin.delete(user(), POST_ID)
    assert len(api.calls) == 2


# -- revoking ---------------------------------------------------------------------------------


def test_revoke_revokes_both_tokens_and_is_safe_to_repeat(api: responses.RequestsMock, plugin: XClient) -> None:
    api.post(REVOKE, json={"revoked": True})

    assert plugin.revoke(user()).revoked
    assert plugin.revoke(user()).revoked

    forms = [form(c.request) for c in api.calls[:2]]
    assert forms == [
        {"token": ["x-refresh"], "token_type_hint": ["refresh_token"], "client_id": ["candor-x-app"]},
        {"token": ["x-token"], "token_type_hint": ["access_token"], "client_id": ["candor-x-app"]},
    ]


def test_revoke_without_a_client_id_is_honest(api: responses.RequestsMock) -> None:
    result = XClient().revoke(user())

    assert not result.revoked
    assert len(api.calls) == 0


# -- real sockets: what the shared HTTP helper concludes -------------------------------------------


@contextmanager
def silent_server() -> Iterator[str]:
    """A loopback server whose kernel accepts connections that nobody ever answers."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=8)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def test_a_post_that_gets_no_answer_is_unknown_but_a_read_is_transient() -> None:
    with silent_server() as base:
        plugin = XClient(client_id="id", api_base=base, timeout=(1.0, 0.3))
        with pytest.raises(OutcomeUnknown):
            plugin.publish(user(), share())
        with pytest.raises(TransientError) as caught:
            plugin.verify(user())
        assert not isinstance(caught.value, OutcomeUnknown)


def test_a_refused_connection_is_transient_even_for_a_post() -> None:
    with silent_server() as base:
        pass  # closed again: the port now refuses connections
    plugin = XClient(client_id="id", api_base=base, timeout=(1.0, 0.3))

    with pytest.raises(TransientError) as caught:
        plugin.publish(user(), share())
    assert not isinstance(caught.value, OutcomeUnknown)
