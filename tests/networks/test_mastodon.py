"""The Mastodon plug-in against a real mastodon_mock server on loopback.

Each test starts from a freshly seeded server (``testuser``) and connects Candor the
way a user would: app registration, authorization-code exchange.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

import pytest
import requests

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
from advocacy.networks.mastodon import MastodonClient
from tests.support.mastodon_mock import SEED_USERNAME, MastodonMock, free_loopback_port

REDIRECT_URI = "https://candor.example/connect/mastodon/callback"
TEXT = "#ad I work at Acme. Our new bike lanes open today: https://acme.example/lanes"
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def mock_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MastodonMock]:
    server = MastodonMock(tmp_path_factory.mktemp("mastodon_mock"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(mock_server: MastodonMock) -> MastodonMock:
    mock_server.reset()
    return mock_server


@pytest.fixture
def plugin() -> MastodonClient:
    # Short read timeout so the "no answer" test does not wait long.
    return MastodonClient(allow_http=True, timeout=(2.0, 1.5))


def connect(plugin: MastodonClient, server: MastodonMock) -> AccountSession:
    client_id, client_secret = plugin.register_app(instance_url=server.base_url, redirect_uri=REDIRECT_URI)
    account = plugin.exchange_code(
        instance_url=server.base_url,
        client_id=client_id,
        client_secret=client_secret,
        code=f"mockcode_{SEED_USERNAME}",  # what the mock's consent page hands back
        redirect_uri=REDIRECT_URI,
    )
    return AccountSession(
        network="mastodon",
        handle=account.handle,
        external_id=account.external_id,
        service_url=account.service_url,
        credentials=dict(account.credentials),
    )


@pytest.fixture
def session(plugin: MastodonClient, server: MastodonMock) -> AccountSession:
    return connect(plugin, server)


def share(text: str = TEXT, key: str = "share-1", **extra: object) -> PublishRequest:
    return PublishRequest(text=text, idempotency_key=key, **extra)  # type: ignore[arg-type]


# -- connecting ---------------------------------------------------------------------


def test_it_connects_with_the_authorization_code_flow(plugin: MastodonClient, server: MastodonMock) -> None:
    client_id, client_secret = plugin.register_app(instance_url=server.base_url, redirect_uri=REDIRECT_URI)
    url = plugin.authorization_url(
        instance_url=server.base_url, client_id=client_id, redirect_uri=REDIRECT_URI, state="st4te"
    )
    assert url.startswith(f"{server.base_url}/oauth/authorize?")
    assert f"client_id={client_id}" in url
    assert "state=st4te" in url
    assert "write%3Astatuses" in url

    account = plugin.exchange_code(
        instance_url=server.base_url,
        client_id=client_id,
        client_secret=client_secret,
        code=f"mockcode_{SEED_USERNAME}",
        redirect_uri=REDIRECT_URI,
    )
    # The domain the server calls itself (the mock says localhost:<port>), not the address typed.
    domain = requests.get(f"{server.base_url}/api/v2/instance", timeout=5).json()["domain"]
    assert account.handle == f"@{SEED_USERNAME}@{domain}"
    assert account.display_name == "Test User"
    assert account.credentials["client_id"] == client_id
    assert account.credentials["client_secret"] == client_secret
    assert account.credentials["access_token"]
    assert "write:statuses" in account.scopes


def test_a_refused_code_is_a_permanent_error(plugin: MastodonClient, server: MastodonMock) -> None:
    client_id, client_secret = plugin.register_app(instance_url=server.base_url, redirect_uri=REDIRECT_URI)
    with pytest.raises(PermanentError):
        plugin.exchange_code(
            instance_url=server.base_url,
            client_id=client_id,
            client_secret=client_secret,
            code="not-a-code",
            redirect_uri=REDIRECT_URI,
        )


@pytest.mark.parametrize(
    "effect",
    [
        {"type": "malformed"},  # a web page, not the API
        {"type": "status", "status": 422, "body": {"error": "Validation failed: Redirect URI is invalid"}},
    ],
)
def test_an_app_registration_refusal_is_permanent(
    plugin: MastodonClient, server: MastodonMock, effect: dict[str, object]
) -> None:
    server.fault(method="POST", path_regex=r"^/api/v1/apps$", effect=effect)

    with pytest.raises(PermanentError):
        plugin.register_app(instance_url=server.base_url, redirect_uri=REDIRECT_URI)


def test_it_reads_the_instance_character_limit(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    assert plugin.verify(session).max_characters == 500

    bigger = {"configuration": {"statuses": {"max_characters": 1000}}}
    server.fault(
        method="GET",
        path_regex=r"^/api/v2/instance/?$",
        effect={"type": "status", "status": 200, "body": bigger},
    )
    assert plugin.verify(session).max_characters == 1000

    server.fault(method="GET", path_regex=r"^/api/v2/instance/?$", effect={"type": "status", "status": 200, "body": {}})
    assert plugin.verify(session).max_characters == 500  # Mastodon's default when not advertised


# -- publishing -----------------------------------------------------------------------


def test_it_publishes_exactly_one_status_with_the_text(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    result = plugin.publish(session, share(language="de"))

    statuses = server.statuses()
    assert [s["id"] for s in statuses] == [result.external_id]
    assert server.source_text(result.external_id) == TEXT
    assert statuses[0]["language"] == "de"
    assert statuses[0]["visibility"] == "public"
    assert result.url == statuses[0]["url"]


def test_the_same_key_twice_still_makes_one_status(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    first = plugin.publish(session, share(key="share-7"))
    again = plugin.publish(session, share(key="share-7"))

    assert again == first
    assert len(server.statuses()) == 1


def test_different_keys_make_different_statuses(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    plugin.publish(session, share(key="share-1"))
    plugin.publish(session, share(key="share-2"))

    assert len(server.statuses()) == 2


def test_it_uploads_an_image_with_its_alt_text(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    image = MediaAttachment(content=PNG_1X1, mime_type="image/png", alt_text="A red bike on a new lane")
    plugin.publish(session, share(image=image))

    (status,) = server.statuses()
    assert [m["description"] for m in status["media_attachments"]] == ["A red bike on a new lane"]


def test_delete_removes_the_status_and_is_safe_to_repeat(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    result = plugin.publish(session, share())

    plugin.delete(session, result.external_id)
    plugin.delete(session, result.external_id)

    assert server.statuses() == []


# -- reconciling ----------------------------------------------------------------------


def test_find_existing_finds_the_post_by_its_text(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    result = plugin.publish(session, share())

    assert plugin.find_existing(session, "share-1", text=TEXT) == result
    assert plugin.find_existing(session, "share-2", text="Something never posted") is None


def test_find_existing_uses_the_source_when_the_html_differs(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    # The mock renders **bold** as <strong>, so the HTML alone no longer shows the asterisks.
    text = "#ad I work at Acme. **Big** news for cyclists"
    result = plugin.publish(session, share(text=text))

    assert plugin.find_existing(session, "share-1", text=text) == result


def test_find_existing_needs_the_text(plugin: MastodonClient, session: AccountSession) -> None:
    with pytest.raises(OutcomeUnknown):
        plugin.find_existing(session, "share-1")


def test_an_unanswered_post_is_unknown_and_reconciling_then_retrying_makes_one_status(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    # The server takes 3 s to act; the client stops waiting after 1.5 s.
    server.fault(method="POST", path_regex=r"^/api/v1/statuses$", effect={"type": "latency", "delay_ms": 3000})
    with pytest.raises(OutcomeUnknown):
        plugin.publish(session, share())
    time.sleep(2)  # let the slow request finish (the mock drops it when the client hangs up)

    # What the engine does next: reconcile, and only post if nothing is there.
    result = plugin.find_existing(session, "share-1", text=TEXT) or plugin.publish(session, share())

    assert [s["id"] for s in server.statuses()] == [result.external_id]


# -- revoking -------------------------------------------------------------------------


def test_revoke_cuts_access_and_is_safe_to_repeat(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    first = plugin.revoke(session)
    assert first.revoked

    with pytest.raises(AuthError):
        plugin.publish(session, share())
    assert server.statuses() == []

    assert plugin.revoke(session).revoked


def test_a_refused_revocation_is_reported_not_raised(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    refusal = {
        "error": "unauthorized_client",
        "error_description": "You are not authorized to revoke this token",
    }
    server.fault(
        method="POST",
        path_regex=r"^/oauth/revoke$",
        effect={"type": "status", "status": 403, "body": refusal},
    )

    result = plugin.revoke(session)

    assert not result.revoked
    assert "unauthorized_client" in result.detail  # Mastodon.py keeps only the "error" field


def test_revoke_without_app_credentials_says_so(plugin: MastodonClient, server: MastodonMock) -> None:
    session = AccountSession(
        network="mastodon", handle="", service_url=server.base_url, credentials={"access_token": "mock_token"}
    )
    result = plugin.revoke(session)

    assert not result.revoked
    assert "Authorized apps" in result.detail


# -- error mapping --------------------------------------------------------------------


def test_a_server_error_while_posting_is_an_unknown_outcome(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    server.fault(method="POST", path_regex=r"^/api/v1/statuses$", effect={"type": "status", "status": 500})

    with pytest.raises(OutcomeUnknown) as caught:
        plugin.publish(session, share())
    assert caught.value.status == 500


def test_an_unreadable_success_while_posting_is_an_unknown_outcome(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    server.fault(method="POST", path_regex=r"^/api/v1/statuses$", effect={"type": "malformed"})

    with pytest.raises(OutcomeUnknown):
        plugin.publish(session, share())


def test_a_server_error_while_reading_is_transient(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    server.fault(
        method="GET",
        path_regex=r"^/api/v1/accounts/verify_credentials$",
        effect={"type": "status", "status": 503},
    )

    with pytest.raises(TransientError) as caught:
        plugin.verify(session)
    assert not isinstance(caught.value, OutcomeUnknown)


def test_a_rate_limit_says_when_to_come_back(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    # The mock answers 429 with X-RateLimit-Reset five minutes ahead.
    server.fault(method="POST", path_regex=r"^/api/v1/statuses$", effect={"type": "ratelimit"})

    with pytest.raises(RateLimited) as caught:
        plugin.publish(session, share())
    assert caught.value.retry_after is not None
    assert 240 < caught.value.retry_after <= 301


def test_a_too_long_post_is_refused_in_the_instances_words(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    with pytest.raises(PermanentError) as caught:
        plugin.publish(session, share(text="x" * 501))

    assert not isinstance(caught.value, AuthError)
    assert caught.value.status == 422
    assert "too long" in caught.value.message
    assert server.statuses() == []


def test_a_bad_token_is_an_auth_error(plugin: MastodonClient, server: MastodonMock) -> None:
    session = AccountSession(
        network="mastodon", handle="", service_url=server.base_url, credentials={"access_token": "nope"}
    )
    with pytest.raises(AuthError):
        plugin.verify(session)
    with pytest.raises(AuthError):
        plugin.publish(session, share())


def test_a_missing_scope_is_an_auth_error(
    plugin: MastodonClient, server: MastodonMock, session: AccountSession
) -> None:
    denied = {"error": "This action is outside the authorized scopes"}
    server.fault(
        method="POST",
        path_regex=r"^/api/v1/statuses$",
        effect={"type": "status", "status": 403, "body": denied},
    )

    with pytest.raises(AuthError) as caught:
        plugin.publish(session, share())
    assert "outside the authorized scopes" in caught.value.message


def test_an_unreachable_instance_is_transient_even_for_a_post(plugin: MastodonClient) -> None:
    closed = f"http://127.0.0.1:{free_loopback_port()}"  # nothing listens there
    session = AccountSession(network="mastodon", handle="", service_url=closed, credentials={"access_token": "t"})

    with pytest.raises(TransientError) as caught:
        plugin.publish(session, share())
    assert not isinstance(caught.value, OutcomeUnknown)  # nothing was sent
