"""An employee's own figures, for their eyes only."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_my_impact_counts_only_my_own_shares_by_network_and_state(client, make_people, draft, post):
    me, other = make_people(2)
    [mastodon_me] = make_people(1, network="mastodon")
    post(me, draft)
    post(me, draft, outcome="failed")
    post(me, draft, outcome="scheduled")
    post(other, draft)
    post(other, draft)
    client.force_login(me[0])

    html = client.get("/my-impact/").content.decode()

    assert 'data-testid="my-total">3<' in html
    assert "Bluesky" in html
    assert "Mastodon" not in html  # no row for a network I did not use
    assert other[0].display_name not in html
    assert mastodon_me[0].display_name not in html
    assert "Only you can see this page" in html
    assert '<th scope="col">Failed</th>' in html
    assert '<th scope="col">Missed</th>' not in html  # no column for a state none of my shares is in


def test_my_impact_is_linked_from_the_menu_and_empty_for_a_newcomer(client, employee):
    client.force_login(employee)

    home = client.get("/").content.decode()
    page = client.get("/my-impact/").content.decode()

    assert 'href="/my-impact/"' in home
    assert "You have not shared anything yet." in page


def test_the_analytics_link_is_shown_only_to_comms_and_admins(client, employee, author, admin_user):
    for user, shown in [(employee, False), (author, True), (admin_user, True)]:
        client.force_login(user)
        assert ('href="/analytics/"' in client.get("/my-impact/").content.decode()) is shown, user
