"""Bluesky plug-in: record keys, facets and error mapping on their own, then the
whole plug-in against the real reference PDS (``bluesky_pds``, loopback only)."""

from __future__ import annotations

import base64
import json
import re
import socket
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from atproto_client.exceptions import (
    BadRequestError,
    InvokeTimeoutError,
    NetworkError,
    RateLimitExceededError,
    RequestException,
    UnauthorizedError,
)
from atproto_client.models.common import XrpcError
from atproto_client.request import Response
from hypothesis import assume, given
from hypothesis import strategies as st

from advocacy.networks.base import (
    AccountSession,
    AuthError,
    MediaAttachment,
    OutcomeUnknown,
    PermanentError,
    PublishRequest,
    RateLimited,
    TransientError,
)
from advocacy.networks.bluesky import client as bluesky
from advocacy.networks.bluesky.client import (
    MAIN_PASSWORD,
    REFUSED,
    TAKEN_DOWN,
    TID_ALPHABET,
    BlueskyClient,
    _translate,
    record_key_for,
)
from advocacy.networks.bluesky.facets import build_facets
from tests.support.pds import PdsServer, free_loopback_port

TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
LINK = "https://example.com/karriere"
# Umlauts and an emoji before every facet, so character and byte offsets differ.
GERMAN = f"Werbung: Ich arbeite bei Müller & Söhne 🎉 Schöne Grüße! Mehr unter {LINK} #Karriere"


def byte_slice(text: str, facet: dict) -> str:
    index = facet["index"]
    return text.encode("utf-8")[index["byteStart"] : index["byteEnd"]].decode("utf-8")


def feature(facet: dict) -> dict:
    (only,) = facet["features"]
    return only


# -- record keys -------------------------------------------------------------------


@given(st.text())
def test_record_key_is_a_deterministic_tid(key: str) -> None:
    rkey = record_key_for(key)
    assert TID.match(rkey)
    assert record_key_for(key) == rkey


@given(st.text(), st.text())
def test_different_keys_get_different_record_keys(first: str, second: str) -> None:
    assume(first != second)
    assert record_key_for(first) != record_key_for(second)


@given(st.text())
def test_record_key_never_claims_a_future_timestamp(key: str) -> None:
    value = 0
    for char in record_key_for(key):
        value = value * 32 + TID_ALPHABET.index(char)
    microseconds = value >> 10  # a TID is a microsecond timestamp followed by a 10-bit clock id
    assert microseconds < time.time() * 1_000_000


# -- facets ------------------------------------------------------------------------


def test_facets_use_utf8_byte_offsets() -> None:
    text = f"{GERMAN} Danke @kollegin.test"
    facets = build_facets(text, resolve_handle={"kollegin.test": "did:plc:kollegin"}.get)

    by_type = {feature(facet)["$type"].split("#")[1]: facet for facet in facets}
    assert byte_slice(text, by_type["link"]) == LINK
    assert feature(by_type["link"])["uri"] == LINK
    assert byte_slice(text, by_type["tag"]) == "#Karriere"
    assert feature(by_type["tag"])["tag"] == "Karriere"
    assert byte_slice(text, by_type["mention"]) == "@kollegin.test"
    assert feature(by_type["mention"])["did"] == "did:plc:kollegin"
    assert by_type["link"]["index"]["byteStart"] > text.index(LINK)  # bytes, not characters
    assert [f["index"]["byteStart"] for f in facets] == sorted(f["index"]["byteStart"] for f in facets)


def test_mentions_without_resolver_or_did_stay_plain_text() -> None:
    text = "Grüße an @kollegin.test und @niemand.test"
    assert build_facets(text) == []
    only_one = build_facets(text, resolve_handle={"kollegin.test": "did:plc:k"}.get)
    assert [byte_slice(text, facet) for facet in only_one] == ["@kollegin.test"]


def test_each_handle_is_resolved_once() -> None:
    calls: list[str] = []

    def resolve(handle: str) -> str:
        calls.append(handle)
        return "did:plc:k"

    facets = build_facets("@Kollegin.test und nochmal @kollegin.test", resolve_handle=resolve)
    assert calls == ["kollegin.test"]
    assert len(facets) == 2


def test_trailing_punctuation_is_not_part_of_a_link() -> None:
    text = f"Lies das: {LINK}."
    (facet,) = build_facets(text)
    assert feature(facet)["uri"] == LINK
    assert byte_slice(text, facet) == LINK


# -- error mapping -----------------------------------------------------------------


def sdk_error(cls: type, status: int, error: str = "", message: str = "", headers: dict | None = None):
    content = XrpcError(error=error, message=message) if error else None
    return cls(Response(success=False, status_code=status, content=content, headers=headers or {}))


def test_rate_limit_reset_header_gives_retry_after() -> None:
    reset = str(int(time.time()) + 120)
    error = _translate(sdk_error(RateLimitExceededError, 429, headers={"ratelimit-reset": reset}), write=True)
    assert isinstance(error, RateLimited)
    assert 100 < error.retry_after <= 120


def test_retry_after_header_is_used_without_reset() -> None:
    error = _translate(sdk_error(RateLimitExceededError, 429, headers={"retry-after": "30"}), write=False)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 30


def test_server_errors_are_unknown_outcomes_only_for_writes() -> None:
    boom = sdk_error(RequestException, 503, "InternalServerError", "down")
    assert isinstance(_translate(boom, write=True), OutcomeUnknown)
    read = _translate(boom, write=False)
    assert isinstance(read, TransientError)
    assert not isinstance(read, OutcomeUnknown)


def test_invalid_request_is_permanent_with_the_servers_words() -> None:
    error = _translate(sdk_error(BadRequestError, 400, "InvalidRequest", "Invalid langs"), write=True)
    assert type(error) is PermanentError
    assert "Invalid langs" in error.message


def test_expired_token_is_an_auth_error() -> None:
    error = _translate(sdk_error(BadRequestError, 400, "ExpiredToken", "Token has expired"), write=True)
    assert isinstance(error, AuthError)
    assert isinstance(_translate(sdk_error(UnauthorizedError, 401, "AuthRequired"), write=False), AuthError)


def test_connection_refused_is_transient_but_a_timeout_after_sending_is_unknown() -> None:
    refused = NetworkError()
    refused.__cause__ = httpx.ConnectError("refused")
    assert type(_translate(refused, write=True)) is TransientError
    timeout = InvokeTimeoutError()
    timeout.__cause__ = httpx.ReadTimeout("slow")
    assert isinstance(_translate(timeout, write=True), OutcomeUnknown)


# -- against the real PDS ----------------------------------------------------------


@dataclass
class Account:
    handle: str
    password: str
    did: str
    app_password: str
    app_password_name: str = "Candor"


@pytest.fixture
def account(bluesky_pds: PdsServer) -> Account:
    handle, password, did = bluesky_pds.create_account("emma")
    return Account(handle, password, did, bluesky_pds.create_app_password(handle, password, "Candor"))


@pytest.fixture
def session(bluesky_pds: PdsServer, account: Account) -> AccountSession:
    connected = bluesky.connect(
        handle=account.handle,
        app_password=account.app_password,
        service_url=bluesky_pds.url,
        app_password_name=account.app_password_name,
    )
    return AccountSession(
        network="bluesky",
        handle=connected.handle,
        external_id=connected.external_id,
        service_url=connected.service_url,
        credentials=dict(connected.credentials),
    )


def fake_jwt(did: str, expires_in: float) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    claims = {"scope": "com.atproto.appPass", "sub": did, "exp": int(time.time() + expires_in)}
    return f"{part({'alg': 'ES256K', 'typ': 'at+jwt'})}.{part(claims)}.c2lnbmF0dXJl"


def with_session_parts(saved: str, **parts: str) -> str:
    handle, did, access, refresh, endpoint = saved.split(":::")
    fields = {"handle": handle, "did": did, "access": access, "refresh": refresh, "endpoint": endpoint}
    return ":::".join({**fields, **parts}.values())


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def refresh_works(pds: PdsServer, session: AccountSession) -> bool:
    refresh = session.credentials["session"].split(":::")[3]
    answer = httpx.post(
        f"{pds.url}/xrpc/com.atproto.server.refreshSession", headers={"Authorization": f"Bearer {refresh}"}
    )
    return answer.status_code == 200


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.pds
def test_connect_returns_identity_and_a_reusable_session(bluesky_pds: PdsServer, account: Account) -> None:
    connected = bluesky.connect(handle=account.handle, app_password=account.app_password, service_url=bluesky_pds.url)
    assert connected.handle == account.handle
    assert connected.external_id == account.did
    assert connected.credentials["app_password"] == account.app_password
    assert connected.credentials["session"].split(":::")[1] == account.did
    assert connected.scopes == ("com.atproto.appPass",)
    assert connected.max_characters is None  # the 300-grapheme limit is the same on every PDS


@pytest.mark.pds
def test_connect_with_a_wrong_password_is_refused(bluesky_pds: PdsServer, account: Account) -> None:
    with pytest.raises(AuthError) as refused:
        bluesky.connect(handle=account.handle, app_password="aaaa-bbbb-cccc-dddd", service_url=bluesky_pds.url)
    assert refused.value.message == REFUSED


@pytest.mark.pds
def test_connect_refuses_the_main_password(bluesky_pds: PdsServer, account: Account) -> None:
    with pytest.raises(AuthError) as refused:
        bluesky.connect(handle=account.handle, app_password=account.password, service_url=bluesky_pds.url)
    assert refused.value.message == MAIN_PASSWORD


def test_connect_to_an_unreachable_server_is_transient() -> None:
    with pytest.raises(TransientError) as failed:
        bluesky.connect(handle="emma.test", app_password="x", service_url=f"http://127.0.0.1:{free_loopback_port()}")
    assert not isinstance(failed.value, OutcomeUnknown)


@pytest.mark.pds
def test_publish_puts_exactly_one_post_with_byte_exact_facets(
    bluesky_pds: PdsServer, account: Account, session: AccountSession
) -> None:
    other_handle, _, other_did = bluesky_pds.create_account("kollegin")
    text = f"{GERMAN} Danke @{other_handle}"

    result = bluesky.publish(session, PublishRequest(text=text, idempotency_key="share-1", language="de"))

    (post,) = bluesky_pds.list_posts(account.did)
    record = post["value"]
    assert post["uri"] == result.external_id
    assert record["text"].startswith(text)
    assert record["langs"] == ["de"]
    assert datetime.fromisoformat(record["createdAt"]).tzinfo == UTC
    slices = {byte_slice(record["text"], facet): feature(facet) for facet in record["facets"]}
    assert slices[LINK]["uri"] == LINK
    assert slices["#Karriere"]["tag"] == "Karriere"
    assert slices[f"@{other_handle}"]["did"] == other_did
    assert not session.credentials_changed  # the stored session was reused, no new login
    rkey = record_key_for("share-1")
    assert result.external_id == f"at://{account.did}/app.bsky.feed.post/{rkey}"
    # A self-hosted PDS: "View post" opens the record on the account's own server.
    assert result.url.startswith(f"{session.service_url.rstrip('/')}/xrpc/com.atproto.repo.getRecord?")
    assert httpx.get(result.url, timeout=10).json()["value"]["text"] == record["text"]


def test_a_post_on_bsky_social_is_viewed_in_the_bluesky_app():
    from advocacy.networks.bluesky.client import post_url

    uri = "at://did:plc:abc/app.bsky.feed.post/3kxyz"
    assert post_url(service_url="https://bsky.social", handle="emma.bsky.social", uri=uri) == (
        "https://bsky.app/profile/emma.bsky.social/post/3kxyz"
    )
    assert post_url(service_url="https://morel.us-east.host.bsky.network", handle="emma.test", uri=uri).startswith(
        "https://bsky.app/"
    )
    assert post_url(service_url="https://pds.acme.example", handle="emma.acme.example", uri=uri) == (
        "https://pds.acme.example/xrpc/com.atproto.repo.getRecord?repo=did%3Aplc%3Aabc"
        "&collection=app.bsky.feed.post&rkey=3kxyz"
    )


@pytest.mark.pds
def test_the_same_key_twice_leaves_one_post_and_is_found(
    bluesky_pds: PdsServer, account: Account, session: AccountSession
) -> None:
    request = PublishRequest(text="Werbung: einmal und nicht öfter", idempotency_key="share-twice")
    first = bluesky.publish(session, request)

    with pytest.raises(OutcomeUnknown):
        bluesky.publish(session, request)

    assert len(bluesky_pds.list_posts(account.did)) == 1
    assert bluesky.find_existing(session, "share-twice") == first


@pytest.mark.pds
def test_find_existing_returns_none_for_an_unknown_key(session: AccountSession) -> None:
    assert bluesky.find_existing(session, "never-published") is None


@pytest.mark.pds
def test_a_link_missing_from_the_text_becomes_a_link_card(
    bluesky_pds: PdsServer, account: Account, session: AccountSession
) -> None:
    text = "Werbung: Wir stellen ein"
    bluesky.publish(session, PublishRequest(text=text, idempotency_key="card", link=LINK))

    (post,) = bluesky_pds.list_posts(account.did)
    assert post["value"]["text"] == text
    assert post["value"]["embed"]["external"]["uri"] == LINK


@pytest.mark.pds
def test_an_image_is_embedded_with_alt_text_and_the_link_appended(
    bluesky_pds: PdsServer, account: Account, session: AccountSession
) -> None:
    image = MediaAttachment(content=tiny_png(), mime_type="image/png", alt_text="Unser Team im Büro")
    text = "Werbung: Grüße aus dem Büro"
    request = PublishRequest(text=text, idempotency_key="img", link=LINK, image=image)
    bluesky.publish(session, request)

    (post,) = bluesky_pds.list_posts(account.did)
    record = post["value"]
    (embedded,) = record["embed"]["images"]
    assert embedded["alt"] == "Unser Team im Büro"
    assert embedded["image"]["mimeType"] == "image/png"
    assert record["text"].startswith(text) and record["text"].endswith(LINK)
    assert [byte_slice(record["text"], facet) for facet in record["facets"]] == [LINK]


@pytest.mark.pds
def test_a_post_over_300_characters_is_refused_in_plain_words(session: AccountSession) -> None:
    with pytest.raises(PermanentError) as refused:
        bluesky.publish(session, PublishRequest(text="Werbung: " + "ä" * 300, idempotency_key="long"))
    assert refused.value.message == "The post is 309 characters long; Bluesky allows at most 300."


@pytest.mark.pds
@pytest.mark.parametrize("expires_in", [-60, 3600], ids=["expired", "rejected-by-server"])
def test_a_dead_access_token_is_refreshed_and_credentials_follow(
    bluesky_pds: PdsServer, account: Account, session: AccountSession, expires_in: int
) -> None:
    old = with_session_parts(session.credentials["session"], access=fake_jwt(account.did, expires_in))
    session.credentials["session"] = old

    bluesky.publish(session, PublishRequest(text="Werbung: frisch", idempotency_key=f"refresh-{expires_in}"))

    assert session.credentials_changed
    assert session.credentials["session"].split(":::")[3] != old.split(":::")[3]  # new refresh token
    assert len(bluesky_pds.list_posts(account.did)) == 1


@pytest.mark.pds
def test_a_bogus_token_without_a_working_password_is_an_auth_error(account: Account, session: AccountSession) -> None:
    bogus = fake_jwt(account.did, 3600)
    session.credentials = {
        "session": with_session_parts(session.credentials["session"], access=bogus, refresh=bogus),
        "app_password": "aaaa-bbbb-cccc-dddd",
    }
    with pytest.raises(AuthError):
        bluesky.publish(session, PublishRequest(text="Werbung: nein", idempotency_key="bogus"))


@pytest.mark.pds
def test_a_taken_down_account_gets_auth_errors(
    bluesky_pds: PdsServer, account: Account, session: AccountSession
) -> None:
    bluesky_pds.takedown(account.did)

    with pytest.raises(AuthError) as refused:
        bluesky.publish(session, PublishRequest(text="Werbung: zu spät", idempotency_key="down"))
    assert refused.value.message == TAKEN_DOWN
    with pytest.raises(AuthError):
        bluesky.verify(session)


@pytest.mark.pds
def test_verify_reports_the_account(account: Account, session: AccountSession) -> None:
    verified = bluesky.verify(session)
    assert (verified.handle, verified.external_id) == (account.handle, account.did)


@pytest.mark.pds
def test_delete_removes_the_post_and_can_be_repeated(
    bluesky_pds: PdsServer, account: Account, session: AccountSession
) -> None:
    result = bluesky.publish(session, PublishRequest(text="Werbung: kurz da", idempotency_key="gone"))
    bluesky.delete(session, result.external_id)
    bluesky.delete(session, result.external_id)
    assert bluesky_pds.list_posts(account.did) == []
    assert bluesky.find_existing(session, "gone") is None


@pytest.mark.pds
def test_revoke_kills_the_app_password_and_can_be_repeated(
    bluesky_pds: PdsServer, account: Account, session: AccountSession
) -> None:
    result = bluesky.revoke(session)
    assert result.revoked
    assert "2 hours" in result.detail

    with pytest.raises(AuthError):
        bluesky.connect(handle=account.handle, app_password=account.app_password, service_url=bluesky_pds.url)
    assert not refresh_works(bluesky_pds, session)
    assert bluesky.revoke(session).revoked


@pytest.mark.pds
def test_revoke_without_the_app_password_name_says_what_still_works(
    bluesky_pds: PdsServer, session: AccountSession
) -> None:
    del session.credentials["app_password_name"]

    result = bluesky.revoke(session)

    assert not result.revoked
    assert "App passwords" in result.detail and "2 hours" in result.detail
    assert not refresh_works(bluesky_pds, session)
    bluesky.revoke(session)


def test_no_answer_after_sending_a_post_is_an_unknown_outcome(silent_server: str) -> None:
    did = "did:plc:silent"
    token = fake_jwt(did, 3600)
    session = AccountSession(
        network="bluesky",
        handle="emma.test",
        external_id=did,
        service_url=silent_server,
        credentials={"session": f"emma.test:::{did}:::{token}:::{token}:::{silent_server}/xrpc"},
    )
    impatient = BlueskyClient(timeout=0.5)

    with pytest.raises(OutcomeUnknown):
        impatient.publish(session, PublishRequest(text="Werbung: hallo?", idempotency_key="silent"))
    with pytest.raises(TransientError) as lookup:
        impatient.find_existing(session, "silent")
    assert not isinstance(lookup.value, OutcomeUnknown)
