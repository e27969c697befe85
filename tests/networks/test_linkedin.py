"""The LinkedIn plug-in at the HTTP boundary, with LinkedIn's documented shapes.

``responses`` answers every request; an unregistered request fails, so nothing
leaves the machine.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from hypothesis import given
from hypothesis import strategies as st
from urllib3.exceptions import MaxRetryError, NewConnectionError

from advocacy.networks.base import (
    AccountSession,
    AuthError,
    MediaAttachment,
    OutcomeUnknown,
    PermanentError,
    PublishRequest,
    PublishResult,
    RateLimited,
    TransientError,
)
from advocacy.networks.http import merge_token_response
from advocacy.networks.linkedin import LinkedInClient
from advocacy.networks.linkedin.client import API_VERSION, escape_little, unescape_little

POSTS = "https://api.linkedin.com/rest/posts"
USERINFO = "https://api.linkedin.com/v2/userinfo"
REVOKE = "https://www.linkedin.com/oauth/v2/revoke"
URN = "urn:li:share:7141138937766391808"
TEXT = "#ad I work at Acme (really). Our new bike_lanes open today!"


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def plugin() -> LinkedInClient:
    return LinkedInClient(client_id="candor-app", client_secret="app-secret")


def member(**credentials: object) -> AccountSession:
    creds = {"access_token": "li-token", "expires_at": int(time.time()) + 86_400, **credentials}
    return AccountSession(network="linkedin", handle="Ada Lovelace", external_id="782bbtaQ", credentials=creds)


def share(text: str = TEXT, **extra: object) -> PublishRequest:
    return PublishRequest(text=text, idempotency_key="share-1", **extra)  # type: ignore[arg-type]


def form(request: requests.PreparedRequest) -> dict[str, list[str]]:
    """The form fields a request sent."""
    return parse_qs(str(request.body))


def query(request: requests.PreparedRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(request.url)).query)


def sent_json(request: requests.PreparedRequest) -> Any:
    return json.loads(cast(bytes, request.body))


def refused(api: responses.RequestsMock, status: int, body: dict[str, object], **headers: str) -> None:
    api.post(POSTS, status=status, json=body, headers=headers)


# -- the little text format -------------------------------------------------------------


def test_reserved_characters_are_escaped() -> None:
    assert escape_little("Hi (all) #ad @me [x] {y} <z> *a* _b_ ~c~ | \\") == (
        r"Hi \(all\) \#ad \@me \[x\] \{y\} \<z\> \*a\* \_b\_ \~c\~ \| \\"
    )


@given(st.text())
def test_unescaping_the_escaped_text_gives_the_original(text: str) -> None:
    assert unescape_little(escape_little(text)) == text


@given(st.text(alphabet=st.sampled_from("ab \\|{}@[]()<>#*_~\n")))
def test_no_reserved_character_is_left_bare(text: str) -> None:
    escaped = escape_little(text)
    bare = re.sub(r"\\.", "", escaped, flags=re.DOTALL)  # drop every escape pair
    assert not set(bare) & set("\\|{}@[]()<>#*_~")


# -- publishing ---------------------------------------------------------------------------


def test_it_publishes_a_member_post_with_the_documented_request(
    api: responses.RequestsMock, plugin: LinkedInClient
) -> None:
    api.post(POSTS, status=201, headers={"x-restli-id": URN})

    result = plugin.publish(member(), share())

    assert result == PublishResult(external_id=URN, url=f"https://www.linkedin.com/feed/update/{URN}/")
    request = api.calls[0].request
    assert request.headers["Authorization"] == "Bearer li-token"
    assert request.headers["LinkedIn-Version"] == API_VERSION
    assert re.fullmatch(r"\d{6}", API_VERSION)
    assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert request.headers["Content-Type"] == "application/json"
    assert sent_json(request) == {
        "author": "urn:li:person:782bbtaQ",
        "commentary": r"\#ad I work at Acme \(really\). Our new bike\_lanes open today!",
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }


def test_an_answer_without_the_post_id_is_an_unknown_outcome(
    api: responses.RequestsMock, plugin: LinkedInClient
) -> None:
    api.post(POSTS, status=201)

    with pytest.raises(OutcomeUnknown):
        plugin.publish(member(), share())


def test_an_expired_token_is_refused_before_calling_linkedin(
    api: responses.RequestsMock, plugin: LinkedInClient
) -> None:
    with pytest.raises(AuthError) as caught:
        plugin.publish(member(expires_at=int(time.time()) - 1), share())
    assert len(api.calls) == 0
    assert "60 days" in caught.value.message


def test_images_are_refused_before_calling_linkedin(api: responses.RequestsMock, plugin: LinkedInClient) -> None:
    image = MediaAttachment(content=b"\x89PNG", mime_type="image/png", alt_text="A bike")
    with pytest.raises(PermanentError):
        plugin.publish(member(), share(image=image))
    assert len(api.calls) == 0


# -- error mapping ------------------------------------------------------------------------


def test_401_is_an_auth_error(api: responses.RequestsMock, plugin: LinkedInClient) -> None:
    body = {
        "status": 401,
        "serviceErrorCode": 65601,
        "code": "REVOKED_ACCESS_TOKEN",
        "message": "The token used in the request has been revoked by the user",
    }
    refused(api, 401, body)

    with pytest.raises(AuthError) as caught:
        plugin.publish(member(), share())
    assert "revoked by the user" in caught.value.message


def test_403_missing_permission_is_an_auth_error(api: responses.RequestsMock, plugin: LinkedInClient) -> None:
    body = {
        "status": 403,
        "serviceErrorCode": 100,
        "code": "ACCESS_DENIED",
        "message": "Not enough permissions to access: partnerApiPostsExternal.CREATE.20260501",
    }
    refused(api, 403, body)

    with pytest.raises(AuthError) as caught:
        plugin.publish(member(), share())
    assert caught.value.status == 403
    assert "Not enough permissions" in caught.value.message


def test_429_waits_as_long_as_linkedin_asks(api: responses.RequestsMock, plugin: LinkedInClient) -> None:
    body = {"status": 429, "serviceErrorCode": 101, "code": "TOO_MANY_REQUESTS", "message": "Throttled"}
    refused(api, 429, body, **{"Retry-After": "3600"})

    with pytest.raises(RateLimited) as caught:
        plugin.publish(member(), share())
    assert caught.value.retry_after == 3600


def test_429_without_a_hint_leaves_the_wait_to_the_engine(api: responses.RequestsMock, plugin: LinkedInClient) -> None:
    refused(api, 429, {"status": 429, "message": "Throttled"})

    with pytest.raises(RateLimited) as caught:
        plugin.publish(member(), share())
    assert caught.value.retry_after is None


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_while_posting_is_an_unknown_outcome(
    api: responses.RequestsMock, plugin: LinkedInClient, status: int
) -> None:
    refused(api, status, {"status": status, "message": "Internal Server Error"})

    with pytest.raises(OutcomeUnknown) as caught:
        plugin.publish(member(), share())
    assert caught.value.status == status


def test_a_server_error_while_reading_is_transient(api: responses.RequestsMock, plugin: LinkedInClient) -> None:
    api.get(USERINFO, status=503, json={"status": 503, "message": "Service Unavailable"})

    with pytest.raises(TransientError) as caught:
        plugin.verify(member())
    assert not isinstance(caught.value, OutcomeUnknown)


def test_a_read_timeout_while_posting_is_an_unknown_outcome(
    api: responses.RequestsMock, plugin: LinkedInClient
) -> None:
    api.post(POSTS, body=requests.ReadTimeout("Read timed out. (read timeout=30.0)"))

    with pytest.raises(OutcomeUnknown):
        plugin.publish(member(), share())


def test_a_connect_error_is_transient_because_nothing_was_sent(
    api: responses.RequestsMock, plugin: LinkedInClient
) -> None:
    # What requests raises when the TCP connection is refused: nothing was sent.
    refused_at = "Failed to establish a new connection: [Errno 111] Connection refused"
    refusal = NewConnectionError(None, refused_at)  # type: ignore[arg-type]
    api.post(POSTS, body=requests.ConnectionError(MaxRetryError(None, POSTS, refusal)))  # type: ignore[arg-type]

    with pytest.raises(TransientError) as caught:
        plugin.publish(member(), share())
    assert not isinstance(caught.value, OutcomeUnknown)


def test_a_duplicate_is_refused_in_linkedins_words(api: responses.RequestsMock, plugin: LinkedInClient) -> None:
    body = {
        "errorDetailType": "com.linkedin.common.error.BadRequest",
        "message": "com.linkedin.content.common.exception.BadRequestResponseException: "
        f"Content is a duplicate of {URN}",
        "errorDetails": {
            "inputErrors": [{"description": "Duplicate post is detected", "input": {}, "code": "DUPLICATE_POST"}]
        },
        "status": 422,
    }
    refused(api, 422, body)

    with pytest.raises(PermanentError) as caught:
        plugin.publish(member(), share())
    assert not isinstance(caught.value, AuthError)
    assert f"Content is a duplicate of {URN}" in caught.value.message
    assert "Duplicate post is detected" in caught.value.message
    assert "Exception" not in caught.value.message


def test_a_validation_error_is_permanent_with_the_reason(api: responses.RequestsMock, plugin: LinkedInClient) -> None:
    body = {
        "errorDetailType": "com.linkedin.common.error.BadRequest",
        "message": "/commentary :: length of string is 3105, must be at most 3000",
        "status": 400,
    }
    refused(api, 400, body)

    with pytest.raises(PermanentError) as caught:
        plugin.publish(member(), share())
    assert caught.value.status == 400
    assert "must be at most 3000" in caught.value.message


# -- identity, reconciling, deleting ----------------------------------------------------------


def test_verify_reads_the_member_from_openid_userinfo(api: responses.RequestsMock, plugin: LinkedInClient) -> None:
    api.get(USERINFO, json={"sub": "782bbtaQ", "name": "Ada Lovelace", "given_name": "Ada", "locale": "en_GB"})

    account = plugin.verify(member(scope="openid,profile,w_member_social"))

    assert (account.external_id, account.handle, account.display_name) == (
        "782bbtaQ",
        "Ada Lovelace",
        "Ada Lovelace",
    )
    assert account.scopes == ("openid", "profile", "w_member_social")
    request = api.calls[0].request
    assert request.headers["Authorization"] == "Bearer li-token"
    assert "LinkedIn-Version" not in request.headers  # OIDC userinfo is not a versioned API


def test_without_read_permission_find_existing_asks_a_person(
    api: responses.RequestsMock, plugin: LinkedInClient
) -> None:
    with pytest.raises(OutcomeUnknown) as caught:
        plugin.find_existing(member(scope="openid,profile,w_member_social"), "share-1", text=TEXT)
    assert len(api.calls) == 0
    assert "check the LinkedIn profile" in caught.value.message


def test_with_read_permission_find_existing_matches_the_text(
    api: responses.RequestsMock, plugin: LinkedInClient
) -> None:
    older = {"id": "urn:li:share:1", "commentary": "Something else"}
    ours = {"id": URN, "commentary": escape_little(TEXT)}
    api.get(POSTS, json={"elements": [ours, older], "paging": {"start": 0, "count": 20}})
    session = member(scope="openid,profile,w_member_social,r_member_social")

    assert plugin.find_existing(session, "share-1", text=TEXT) == PublishResult(
        URN, f"https://www.linkedin.com/feed/update/{URN}/"
    )
    assert plugin.find_existing(session, "share-2", text="Never posted") is None

    sent = query(api.calls[0].request)
    assert sent["q"] == ["author"]
    assert sent["author"] == ["urn:li:person:782bbtaQ"]


def test_delete_is_safe_to_repeat(api: responses.RequestsMock, plugin: LinkedInClient) -> None:
    url = f"{POSTS}/urn%3Ali%3Ashare%3A7141138937766391808"
    api.delete(url, status=204)
    api.delete(url, status=404, json={"status": 404, "message": "Not Found"})

    plugin.delete(member(), URN)
    plugin.delete(member(), URN)
    assert len(api.calls) == 2


# -- revoking --------------------------------------------------------------------------------


def test_revoke_posts_the_documented_form_and_is_safe_to_repeat(
    api: responses.RequestsMock, plugin: LinkedInClient
) -> None:
    api.post(REVOKE, status=200)

    assert plugin.revoke(member()).revoked
    assert plugin.revoke(member()).revoked
    assert form(api.calls[0].request) == {
        "client_id": ["candor-app"],
        "client_secret": ["app-secret"],
        "token": ["li-token"],
    }


def test_revoke_uses_app_credentials_from_the_session(api: responses.RequestsMock) -> None:
    api.post(REVOKE, status=200)

    assert LinkedInClient().revoke(member(client_id="from-session", client_secret="s3")).revoked
    assert form(api.calls[0].request)["client_id"] == ["from-session"]


def test_revoke_without_app_credentials_is_honest(api: responses.RequestsMock) -> None:
    result = LinkedInClient().revoke(member())

    assert len(api.calls) == 0
    assert not result.revoked
    assert "stays valid" in result.detail


def test_a_refused_revocation_is_reported(api: responses.RequestsMock, plugin: LinkedInClient) -> None:
    api.post(
        REVOKE,
        status=401,
        json={"error": "invalid_client", "error_description": "Client authentication failed"},
    )

    result = plugin.revoke(member())

    assert not result.revoked
    assert "Client authentication failed" in result.detail


def test_an_expired_token_needs_no_revocation(api: responses.RequestsMock, plugin: LinkedInClient) -> None:
    result = plugin.revoke(member(expires_at=int(time.time()) - 10))

    assert len(api.calls) == 0
    assert result.revoked


def test_a_token_response_records_when_the_60_days_end() -> None:
    token = {"access_token": "new", "expires_in": 5_184_000, "scope": "openid,profile,w_member_social"}

    credentials = merge_token_response({}, token, now=1_700_000_000)

    assert credentials == {
        "access_token": "new",
        "expires_at": 1_700_000_000 + 5_184_000,
        "scope": "openid,profile,w_member_social",
    }
