""" "Share as is": one tap on the feed, one confirmation that shows the disclosure, then
the approved post goes to every connected account the draft targets. Already-shared
posts are marked, and sharing again on the same account asks first."""

from __future__ import annotations

import html

import pytest

from advocacy.sharing.models import Share
from tests.support.scenario import connect

pytestmark = pytest.mark.django_db

DISCLOSURE = "#employee · I work at Acme Robotics."


def test_the_feed_offers_share_as_is_and_the_confirmation_shows_the_disclosure(client, account, published):
    client.force_login(account.owner)

    feed = client.get("/feed/").content.decode()
    confirm = html.unescape(client.get(f"/feed/{published.pk}/share-as-is/").content.decode())

    assert f'href="/feed/{published.pk}/share-as-is/"' in feed
    assert DISCLOSURE in confirm
    assert f'value="{account.pk}" id="account-{account.pk}" checked' in confirm  # the only account, pre-selected
    assert not Share.objects.exists()  # nothing before the confirmation


def test_confirming_shares_the_approved_text_on_every_targeted_account(client, account, published):
    second = connect(account.owner, handle="emma.social", network="mastodon")
    client.force_login(account.owner)

    response = client.post(f"/feed/{published.pk}/share-as-is/", {"accounts": [account.pk, second.pk]})

    assert response.status_code == 302
    shares = Share.objects.order_by("network")
    assert [s.network for s in shares] == ["bluesky", "mastodon"]
    assert all(s.text.startswith(DISCLOSURE) and not s.edited for s in shares)
    assert {s.state for s in shares} == {Share.State.SCHEDULED}


def test_an_already_shared_post_is_marked_and_sharing_again_asks_first(client, account, published):
    client.force_login(account.owner)
    client.post(f"/feed/{published.pk}/share-as-is/", {"accounts": [account.pk]})

    feed = client.get("/feed/").content.decode()
    confirm = client.get(f"/feed/{published.pk}/share-as-is/").content.decode()
    asked = client.post(f"/feed/{published.pk}/share-as-is/", {"accounts": [account.pk]})
    again = client.post(f"/feed/{published.pk}/share-as-is/", {"accounts": [account.pk], "again": "yes"})

    assert 'data-testid="you-shared"' in feed
    assert 'data-testid="already-shared"' in confirm
    assert f'value="{account.pk}" id="account-{account.pk}" checked' not in confirm  # not pre-selected twice
    assert asked.status_code == 200
    assert "Share it there again?" in html.unescape(asked.content.decode())
    assert again.status_code == 302
    assert Share.objects.count() == 2


def test_choosing_no_account_is_explained(client, account, published):
    client.force_login(account.owner)

    response = client.post(f"/feed/{published.pk}/share-as-is/", {"accounts": []})

    assert response.status_code == 200
    assert "Choose at least one account." in response.content.decode()
    assert not Share.objects.exists()


def test_someone_who_has_not_joined_cannot_share_as_is(client, employee, published):
    connect(employee)
    client.force_login(employee)

    response = client.post(f"/feed/{published.pk}/share-as-is/", {"accounts": ["1"]})

    assert not Share.objects.exists()
    assert response.status_code in (200, 403)
