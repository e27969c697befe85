"""Mastodon against mastodon-mock; X and LinkedIn at the HTTP boundary with their
documented shapes. Reading only, rate-limited, backing off; the custodian's answer."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
import requests
import responses
from django.utils import timezone

from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from advocacy.core.public_links import public_page_url
from advocacy.ledger.models import ConnectedAccount
from advocacy.ledger.services import account_connect
from advocacy.networks.base import ConnectedAccount as Identity
from advocacy.networks.linkedin.client import LinkedInClient
from advocacy.networks.mastodon.client import MastodonClient
from advocacy.networks.x.client import XClient
from advocacy.program.services import enrollment_opt_in
from advocacy.sharing import engine
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_create
from advocacy.watch import services
from advocacy.watch.models import OutsidePost, WatchedAccount
from tests.public.conftest import text_for
from tests.support.mastodon_mock import SEED_TOKEN, SEED_USERNAME, MastodonMock

pytestmark = pytest.mark.django_db
CORPORATE = ConnectedAccount.Ownership.CORPORATE
REDIRECT_URI = "http://127.0.0.1:8000/connect/mastodon/callback/"


@pytest.fixture
def custodian(admin_user, policy):
    enrollment_opt_in(user=admin_user, policy_version_id=policy.pk, accepted=True)
    return admin_user


def use_plugin(monkeypatch, plugin) -> None:
    monkeypatch.setattr("advocacy.watch.services.get_client", lambda key: plugin)
    monkeypatch.setattr("advocacy.sharing.engine.batch.get_client", lambda key: plugin)


def send(share: Share) -> Share:
    engine.dispatch_due()
    engine.share_send(share_id=share.pk)
    share.refresh_from_db()
    assert share.state == Share.State.SENT, share.last_error
    return share


def look(account: ConnectedAccount, *, at: dt.datetime | None = None) -> services.CheckResult:
    return services.outside_posts_check(account_id=account.pk, now=at)


# --- Mastodon, against mastodon-mock ---------------------------------------------------


@pytest.fixture(scope="module")
def mock_server(tmp_path_factory) -> Iterator[MastodonMock]:
    server = MastodonMock(tmp_path_factory.mktemp("mastodon_mock_watch"))
    server.start()
    yield server
    server.stop()


def test_on_mastodon_a_status_posted_directly_is_found_and_candors_own_is_not(
    mock_server, custodian, published, monkeypatch
):
    mock_server.reset()
    plugin = MastodonClient(allow_http=True)
    use_plugin(monkeypatch, plugin)
    client_id, client_secret = plugin.register_app(instance_url=mock_server.base_url, redirect_uri=REDIRECT_URI)
    identity = plugin.exchange_code(
        instance_url=mock_server.base_url,
        client_id=client_id,
        client_secret=client_secret,
        code=f"mockcode_{SEED_USERNAME}",
        redirect_uri=REDIRECT_URI,
    )
    account = account_connect(actor=custodian, network="mastodon", identity=identity, ownership=CORPORATE)
    share = send(share_create(employee=custodian, draft_id=published.pk, account_id=account.pk, text=text_for()))
    direct = requests.post(
        f"{mock_server.base_url}/api/v1/statuses",
        headers={"Authorization": f"Bearer {SEED_TOKEN}"},
        data={"status": "Posted in the web app, not through Candor."},
        timeout=10,
    ).json()

    result = look(account)

    [found] = OutsidePost.objects.all()
    assert result.found == [found.pk]
    assert found.external_id == str(direct["id"]) != share.external_id
    assert found.text == "Posted in the web app, not through Candor."
    assert {s["id"] for s in mock_server.statuses()} == {share.external_id, str(direct["id"])}  # nothing deleted
    # Candor's own status carries the public page's address in its disclosure line.
    first_line = mock_server.source_text(share.external_id).split("\n")[0]
    assert first_line == f"{share.disclosure} {public_page_url(public_id=share.public_id)}"


# --- X, at the HTTP boundary -----------------------------------------------------------

X_USER = "2244994945"
TIMELINE = f"https://api.x.com/2/users/{X_USER}/tweets"


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def x_account(custodian) -> ConnectedAccount:
    identity = Identity(
        handle="@acme",
        external_id=X_USER,
        service_url="https://x.com",
        credentials={"access_token": "x-token", "expires_at": int(time.time()) + 3600, "scope": "tweet.read"},
    )
    return account_connect(actor=custodian, network="x", identity=identity, ownership=CORPORATE)


def tweets(*pairs: tuple[str, str]) -> dict:
    """GET /2/users/:id/tweets as X documents it: data[], meta."""
    data = [{"id": i, "text": t, "created_at": timezone.now().isoformat().replace("+00:00", "Z")} for i, t in pairs]
    return {"data": data, "meta": {"result_count": len(data), "newest_id": data[0]["id"] if data else None}}


def test_on_x_only_posts_candor_did_not_send_are_recorded_and_only_get_is_used(http, custodian, published, monkeypatch):
    use_plugin(monkeypatch, XClient(client_id="candor-x-app"))
    account = x_account(custodian)
    http.post("https://api.x.com/2/tweets", status=201, json={"data": {"id": "1001", "text": "…"}})
    share = send(share_create(employee=custodian, draft_id=published.pk, account_id=account.pk, text=text_for()))
    http.get(TIMELINE, json=tweets(("1002", "@senator you are wrong"), ("1001", share.text)))

    look(account)

    [found] = OutsidePost.objects.all()
    assert (found.external_id, found.url) == ("1002", "https://x.com/acme/status/1002")
    reads = [call.request for call in http.calls][1:]  # after Candor's own publish
    assert [request.method for request in reads] == ["GET"]
    assert "exclude=retweets" in reads[0].url  # replies included: a hostile reply is the case that matters


def test_a_rate_limited_read_backs_off_and_is_not_repeated_until_due(http, custodian, monkeypatch):
    use_plugin(monkeypatch, XClient(client_id="candor-x-app"))
    account = x_account(custodian)
    reset = int(time.time()) + 1800
    http.get(TIMELINE, status=429, headers={"x-rate-limit-reset": str(reset)}, json={"title": "Too Many Requests"})
    now = timezone.now()

    first = look(account, at=now)
    second = look(account, at=now + dt.timedelta(minutes=20))

    assert first.read and first.error and not second.read
    state = WatchedAccount.objects.get(account=account)
    assert state.failures == 1 and state.next_check_at >= now + dt.timedelta(minutes=29)
    assert len(http.calls) == 1


def test_x_is_read_at_most_once_per_its_floor_even_when_the_beat_is_faster(http, custodian, monkeypatch, settings):
    settings.CANDOR_WATCH_SECONDS = 60
    use_plugin(monkeypatch, XClient(client_id="candor-x-app"))
    account = x_account(custodian)
    http.get(TIMELINE, json=tweets())
    now = timezone.now()
    assert look(account, at=now).read
    assert account.pk not in services.outside_post_checks_due(now=now + dt.timedelta(minutes=5))
    assert account.pk in services.outside_post_checks_due(now=now + dt.timedelta(minutes=16))


# --- LinkedIn, at the HTTP boundary ----------------------------------------------------


def linkedin_account(custodian, scope: str) -> ConnectedAccount:
    identity = Identity(
        handle="Acme Robotics",
        external_id="abc123",
        service_url="https://www.linkedin.com",
        credentials={"access_token": "li-token", "scope": scope},
    )
    return account_connect(actor=custodian, network="linkedin", identity=identity, ownership=CORPORATE)


def test_linkedin_without_the_read_permission_is_not_read_and_says_why(http, custodian, monkeypatch):
    use_plugin(monkeypatch, LinkedInClient(client_id="li", client_secret="secret"))
    account = linkedin_account(custodian, "openid profile w_member_social")
    result = look(account)
    assert not result.found and "r_member_social" in result.error
    assert len(http.calls) == 0
    state = WatchedAccount.objects.get(account=account)
    assert "r_member_social" in state.last_error and state.next_check_at > timezone.now() + dt.timedelta(hours=23)


def test_linkedin_posts_are_read_from_the_documented_posts_finder(http, custodian, monkeypatch):
    use_plugin(monkeypatch, LinkedInClient(client_id="li", client_secret="secret"))
    account = linkedin_account(custodian, "w_member_social,r_member_social")
    created = int(timezone.now().timestamp() * 1000)
    http.get(
        "https://api.linkedin.com/rest/posts",
        json={
            "elements": [
                {
                    "id": "urn:li:share:6844785523593134080",
                    "author": "urn:li:person:abc123",
                    "commentary": "Not from Candor",
                    "createdAt": created,
                    "lifecycleState": "PUBLISHED",
                    "visibility": "PUBLIC",
                }
            ],
            "paging": {"count": 20, "start": 0},
        },
    )
    look(account)
    [found] = OutsidePost.objects.all()
    assert found.external_id == "urn:li:share:6844785523593134080" and found.text == "Not from Candor"
    request = http.calls[0].request
    assert request.method == "GET" and "q=author" in request.url and "urn%3Ali%3Aperson%3Aabc123" in request.url


# --- the custodian's answer ------------------------------------------------------------


def found_on_x(http, custodian, monkeypatch) -> OutsidePost:
    use_plugin(monkeypatch, XClient(client_id="candor-x-app"))
    account = x_account(custodian)
    http.get(TIMELINE, json=tweets(("2001", "who posted this?")))
    look(account)
    return OutsidePost.objects.get()


def test_mine_is_recorded_and_audited_and_changes_nothing_else(http, custodian, monkeypatch):
    outside = found_on_x(http, custodian, monkeypatch)
    services.outside_post_mark(actor=custodian, outside_post_id=outside.pk, verdict="mine")
    outside.refresh_from_db()
    assert (outside.verdict, outside.decided_by) == ("mine", custodian)
    assert outside.account.status == ConnectedAccount.Status.ACTIVE
    assert AuditEvent.objects.filter(action=AuditAction.OUTSIDE_POST_CONFIRMED).exists()


def test_not_mine_stops_the_account_and_revokes_candors_access(
    http, custodian, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.CANDOR_NETWORK_APPS = {**settings.CANDOR_NETWORK_APPS, "x": {"client_id": "app", "client_secret": "s"}}
    outside = found_on_x(http, custodian, monkeypatch)
    http.post("https://api.x.com/2/oauth2/revoke", json={"revoked": True})
    with django_capture_on_commit_callbacks(execute=True):
        services.outside_post_mark(actor=custodian, outside_post_id=outside.pk, verdict="not_mine")
    account = ConnectedAccount.objects.get(pk=outside.account_id)
    assert account.status == ConnectedAccount.Status.NEEDS_RECONNECT
    assert account.credentials_encrypted == "" and account.revoked_at is not None
    assert AuditEvent.objects.filter(action=AuditAction.OUTSIDE_POST_DISOWNED).exists()
    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_REVOKED).exists()
    assert http.calls[-1].request.url == "https://api.x.com/2/oauth2/revoke"


def test_only_the_custodian_answers_and_a_bad_answer_names_the_rule(http, custodian, employee, monkeypatch):
    outside = found_on_x(http, custodian, monkeypatch)
    with pytest.raises(NotAllowed):
        services.outside_post_mark(actor=employee, outside_post_id=outside.pk, verdict="mine")
    with pytest.raises(ValidationFailed, match="mine"):
        services.outside_post_mark(actor=custodian, outside_post_id=outside.pk, verdict="maybe")


def test_the_custodian_answers_on_the_page_and_others_cannot_open_it(client, http, custodian, employee, monkeypatch):
    outside = found_on_x(http, custodian, monkeypatch)
    client.force_login(employee)
    assert client.get(f"/watch/posts/{outside.pk}/").status_code == 404
    client.force_login(custodian)
    page = client.get(f"/watch/posts/{outside.pk}/").content.decode()
    assert "who posted this?" in page and "Mine, posted directly" in page
    response = client.post(f"/watch/posts/{outside.pk}/", {"verdict": "mine"}, follow=True)
    assert "Your answer is recorded" in response.content.decode()
    response = client.post(f"/watch/posts/{outside.pk}/", {"verdict": "not_mine"}, follow=True)
    assert "already marked" in response.content.decode()


def test_the_database_refuses_the_text_of_a_personal_accounts_post(account):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        OutsidePost.objects.create(
            account=account,
            network=account.network,
            ownership=account.ownership,
            external_id="at://x/app.bsky.feed.post/1",
            text_digest="0" * 64,
            text="a personal post's words",
        )


def test_a_send_still_in_flight_is_not_flagged_but_a_look_alike_of_it_is(http, custodian, published, monkeypatch):
    use_plugin(monkeypatch, XClient(client_id="candor-x-app"))
    account = x_account(custodian)
    share = share_create(employee=custodian, draft_id=published.pk, account_id=account.pk, text=text_for())
    # A worker is mid-send: the post is on X, its id not yet recorded in Candor.
    Share.objects.filter(pk=share.pk).update(state=Share.State.SENDING)
    imitation = text_for("Robots sort parcels faster. Unlike our useless competitors.")
    http.get(TIMELINE, json=tweets(("3001", share.text), ("3002", imitation)))

    look(account)

    assert list(OutsidePost.objects.values_list("external_id", flat=True)) == ["3002"]


def test_an_owner_opts_a_personal_account_in_on_the_watch_page_and_others_cannot(client, account, other_employee):
    client.force_login(other_employee)
    assert client.post(f"/watch/accounts/{account.pk}/", {"watch": "on"}).status_code == 404
    client.force_login(account.owner)
    response = client.post(f"/watch/accounts/{account.pk}/", {"watch": "on"}, follow=True)
    assert "Saved." in response.content.decode()
    assert WatchedAccount.objects.get(account=account).owner_opted_in
    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_WATCH_CHANGED).count() == 1
    client.post(f"/watch/accounts/{account.pk}/", {})
    assert not WatchedAccount.objects.get(account=account).owner_opted_in


def test_a_corporate_account_cannot_be_opted_out(http, custodian, monkeypatch):
    account = x_account(custodian)
    with pytest.raises(Conflict, match="always watched"):
        services.account_watch_set(actor=custodian, account_id=account.pk, watch=False)
