"""Connecting a Mastodon account from "My accounts", against a real mastodon_mock
server on loopback: Candor registers itself on the instance, sends the person to the
instance's consent page, and finishes the code flow on the callback.

mastodon_mock implements the whole code flow: ``GET /oauth/authorize`` shows an
account picker, choosing an account redirects to our callback with ``code`` and
``state``, and ``POST /oauth/token`` trades the code for a token. What it does not do:
check ``redirect_uri`` or the client secret at the token endpoint, offer a "deny"
button (a denial is sent to the callback by hand, as Mastodon would send it), or
advertise a character limit other than 500.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from advocacy.core.errors import ValidationFailed
from advocacy.ledger import crypto
from advocacy.ledger.connect import mastodon_instance_url
from advocacy.ledger.models import ConnectedAccount, MastodonApp
from advocacy.ledger.services import account_mark_needs_reconnect
from tests.connect.helpers import database_text, page_text
from tests.support.mastodon_mock import SEED_USERNAME, MastodonMock, free_loopback_port

pytestmark = pytest.mark.django_db
CALLBACK = "http://testserver/connections/mastodon/callback/"


def start(client, instance: str) -> str:
    """Submit the Mastodon form; return the "Continue to …" link the page then offers."""
    response = client.post("/connections/mastodon/", {"instance_url": instance})
    assert response.status_code == 302
    assert response["Location"].startswith("/connections/")
    page = page_text(client)
    links = re.findall(r'<a class="button" href="([^"]+/oauth/authorize\?[^"]+)"', page)
    assert len(links) == 1, "the page offers one link to the instance's consent page"
    return html.unescape(links[0])


def consent(authorize_url: str, *, username: str = SEED_USERNAME) -> dict[str, str]:
    """Do what the person does on the instance: open the consent page and pick the account.
    Returns the query the instance sends back to Candor's callback."""
    picker = requests.get(authorize_url, timeout=5)
    assert picker.status_code == 200
    assert f"@{username}" in picker.text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', picker.text))
    answer = requests.post(
        f"{authorize_url.split('/oauth/')[0]}/oauth/authorize",
        data={**fields, "username": username},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return {key: values[0] for key, values in parse_qs(back.query).items()}


def finish(client, query: dict[str, str]):
    return client.get("/connections/mastodon/callback/", query)


def test_it_connects_a_mastodon_account_through_the_code_flow(client, enrolled, mastodon: MastodonMock):
    client.force_login(enrolled)

    authorize_url = start(client, mastodon.base_url)

    app = MastodonApp.objects.get()
    assert app.instance_url == mastodon.base_url
    assert app.redirect_uri == CALLBACK
    client_secret = crypto.decrypt(app.client_secret_encrypted)["client_secret"]
    assert client_secret and client_secret not in app.client_secret_encrypted
    url = urlsplit(authorize_url)
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{mastodon.base_url}/oauth/authorize"
    assert query["client_id"] == [app.client_id]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["response_type"] == ["code"]
    assert set(query["scope"][0].split()) >= {"read:accounts", "write:statuses"}
    assert len(query["state"][0]) >= 32

    back = consent(authorize_url)
    assert back["state"] == query["state"][0]
    response = finish(client, back)

    assert response.status_code == 302
    assert response["Location"] == "/connections/"
    account = ConnectedAccount.objects.get()
    host = requests.get(f"{mastodon.base_url}/api/v2/instance", timeout=5).json()["domain"]  # as the server says
    assert (account.network, account.handle, account.owner) == ("mastodon", f"@{SEED_USERNAME}@{host}", enrolled)
    assert account.service_url == mastodon.base_url
    assert account.status == ConnectedAccount.Status.ACTIVE
    assert account.max_characters == 500  # what the instance advertises (the mock always says 500)
    token = crypto.decrypt(account.credentials_encrypted)["access_token"]
    me = requests.get(
        f"{mastodon.base_url}/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert me.json()["username"] == SEED_USERNAME, "the stored token is the one the instance issued"
    assert account.events.get().kind == "connected"
    page = page_text(client)
    assert f"Connected Mastodon @{SEED_USERNAME}@{host}" in page
    assert "Continue to" not in page, "the finished authorization is no longer offered"
    dump = database_text()
    assert token not in dump
    assert client_secret not in dump


def test_the_app_is_registered_once_per_instance(client, enrolled, other_employee, mastodon):
    client.force_login(enrolled)
    first = parse_qs(urlsplit(start(client, mastodon.base_url)).query)["client_id"]
    client.force_login(other_employee)
    second = parse_qs(urlsplit(start(client, f" {mastodon.base_url}/ ")).query)["client_id"]

    assert MastodonApp.objects.count() == 1
    assert first == second


def test_the_app_is_registered_again_when_candors_address_changes(client, enrolled, mastodon):
    client.force_login(enrolled)
    start(client, mastodon.base_url)
    old = MastodonApp.objects.get()

    client.post("/connections/mastodon/", {"instance_url": mastodon.base_url}, HTTP_HOST="localhost")

    app = MastodonApp.objects.get()
    assert app.redirect_uri == "http://localhost/connections/mastodon/callback/"
    assert app.client_id != old.client_id


def test_an_app_secret_no_key_opens_any_more_is_replaced_not_a_500(client, enrolled, mastodon):
    client.force_login(enrolled)
    back = consent(start(client, mastodon.base_url))
    MastodonApp.objects.update(client_secret_encrypted="gAAAAA-written-under-a-key-rotated-away")

    finish(client, back)
    assert "registration on" in page_text(client), "the half-done connection asks to start again"
    finish(client, consent(start(client, mastodon.base_url)))

    assert crypto.decrypt(MastodonApp.objects.get().client_secret_encrypted)["client_secret"]
    assert ConnectedAccount.objects.count() == 1


def test_a_callback_with_a_wrong_state_is_refused_and_the_real_one_still_works(client, enrolled, mastodon):
    client.force_login(enrolled)
    back = consent(start(client, mastodon.base_url))

    forged = finish(client, {**back, "state": "attacker-chosen"})

    assert forged["Location"].startswith("/connections/")
    assert not ConnectedAccount.objects.exists()
    assert "expired or was not started here" in page_text(client)
    assert finish(client, back)["Location"] == "/connections/"
    assert ConnectedAccount.objects.count() == 1


def test_a_callback_nobody_started_is_refused(client, enrolled, mastodon):
    client.force_login(enrolled)

    finish(client, {"code": f"mockcode_{SEED_USERNAME}", "state": "whatever"})

    assert not ConnectedAccount.objects.exists()
    assert "expired or was not started here" in page_text(client)


def test_a_state_is_good_for_one_callback_only(client, enrolled, mastodon):
    client.force_login(enrolled)
    back = consent(start(client, mastodon.base_url))
    finish(client, back)
    account = ConnectedAccount.objects.get()
    account_mark_needs_reconnect(account_id=account.pk, reason="test")

    finish(client, back)

    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.NEEDS_RECONNECT, "a replayed callback connects nothing"


def test_a_denied_authorisation_says_so(client, enrolled, mastodon):
    client.force_login(enrolled)
    state = parse_qs(urlsplit(start(client, mastodon.base_url)).query)["state"][0]

    denial = {"error": "access_denied", "error_description": "The resource owner denied the request."}
    response = finish(client, {**denial, "state": state})

    assert response.status_code == 302
    assert not ConnectedAccount.objects.exists()
    assert "You did not allow Candor to post to" in page_text(client)


def test_a_code_the_instance_refuses_is_a_message_not_a_500(client, enrolled, mastodon):
    client.force_login(enrolled)
    back = consent(start(client, mastodon.base_url))

    response = finish(client, {**back, "code": "mockcode_nobody-by-that-name"})

    assert response.status_code == 302
    assert not ConnectedAccount.objects.exists()
    assert "did not complete the sign-in" in page_text(client)


def test_an_unreachable_instance_is_a_message_not_a_500(client, enrolled):
    client.force_login(enrolled)
    nobody = f"http://127.0.0.1:{free_loopback_port()}"

    response = client.post("/connections/mastodon/", {"instance_url": nobody})

    assert response.status_code == 302
    page = page_text(client, response["Location"])
    assert "Could not register Candor on 127.0.0.1" in page
    assert "Connect again in a moment." in page
    assert "will try again" not in page  # nothing is queued: no retry is promised
    assert f'value="{nobody}"' in page, "what the person typed is still in the field"
    assert not MastodonApp.objects.exists()


def test_an_instance_that_fails_to_register_apps_is_a_message(client, enrolled, mastodon):
    client.force_login(enrolled)
    mastodon.fault(method="POST", path_regex="^/api/v1/apps$", effect={"type": "status", "status": 500})

    client.post("/connections/mastodon/", {"instance_url": mastodon.base_url})

    page = page_text(client)
    assert "Could not register Candor on" in page
    assert "will try again" not in page
    assert not MastodonApp.objects.exists()


def test_plain_http_to_a_remote_server_is_refused(client, enrolled, settings):
    settings.CANDOR_ALLOW_PLAIN_HTTP_NETWORKS = False  # as in production
    client.force_login(enrolled)

    client.post("/connections/mastodon/", {"instance_url": "http://mastodon.example"})

    assert "only connects to Mastodon servers over https://" in page_text(client)
    assert not MastodonApp.objects.exists()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("  https://Mastodon.Social/ ", "https://mastodon.social"),
        ("@emma@mastodon.social", "https://mastodon.social"),
        ("emma@chaos.social", "https://chaos.social"),
        ("https://social.example:8443", "https://social.example:8443"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ("http://localhost:3000/", "http://localhost:3000"),
        ("http://[::1]:3000", "http://[::1]:3000"),
    ],
)
def test_it_understands_how_people_name_their_server(typed, expected):
    assert mastodon_instance_url(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "http://mastodon.social",
        "https://mastodon.social/about",
        "https://mastodon.social/?x=1",
        "https://user:pw@mastodon.social",
        "ftp://mastodon.social",
        "javascript:alert(1)",
        "https://mastodon.social:99999",
    ],
)
def test_it_refuses_what_is_not_a_server_address(typed, settings):
    settings.CANDOR_ALLOW_PLAIN_HTTP_NETWORKS = False  # as in production
    with pytest.raises(ValidationFailed) as error:
        mastodon_instance_url(typed)
    assert "instance_url" in error.value.fields


def test_plain_http_is_accepted_in_development(settings):
    settings.DEBUG = True
    assert mastodon_instance_url("http://mastodon.local") == "http://mastodon.local"


def test_reconnect_starts_the_flow_again_and_revives_the_same_account(client, enrolled, mastodon):
    client.force_login(enrolled)
    finish(client, consent(start(client, mastodon.base_url)))
    account = ConnectedAccount.objects.get()
    old_token = crypto.decrypt(account.credentials_encrypted)["access_token"]
    account_mark_needs_reconnect(account_id=account.pk, reason="The instance says the token was revoked.")

    page = page_text(client)
    assert f'action="/connections/{account.pk}/reconnect/"' in page
    response = client.post(f"/connections/{account.pk}/reconnect/")
    assert response.status_code == 302
    links = re.findall(r'<a class="button" href="([^"]+/oauth/authorize\?[^"]+)"', page_text(client))
    finish(client, consent(html.unescape(links[0])))

    account.refresh_from_db()
    assert ConnectedAccount.objects.count() == 1
    assert account.status == ConnectedAccount.Status.ACTIVE
    assert crypto.decrypt(account.credentials_encrypted)["access_token"] != old_token
    assert [event.kind for event in account.events.all()] == ["connected", "needs_reconnect", "reconnected"]


def test_only_the_owner_can_reconnect_an_account(client, enrolled, other_employee, mastodon):
    client.force_login(enrolled)
    finish(client, consent(start(client, mastodon.base_url)))
    account = ConnectedAccount.objects.get()
    client.force_login(other_employee)

    assert client.post(f"/connections/{account.pk}/reconnect/").status_code == 404


def test_an_outsider_is_sent_to_sign_in(client, mastodon):
    for response in (
        client.post("/connections/mastodon/", {"instance_url": mastodon.base_url}),
        client.get("/connections/mastodon/callback/", {"code": "mockcode_testuser", "state": "x"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert not MastodonApp.objects.exists()


def test_cancel_forgets_the_started_authorization(client, enrolled, mastodon):
    client.force_login(enrolled)
    back = consent(start(client, mastodon.base_url))

    client.post("/connections/mastodon/cancel/")

    assert "Continue to" not in page_text(client)
    finish(client, back)
    assert not ConnectedAccount.objects.exists()
