"""Tracked links: a short Candor URL that redirects with UTM parameters and counts a
click as ``+1`` on a per-day counter, keeping nothing about the person who clicked."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection

from advocacy.analytics.models import LinkClickDaily, TrackedLink
from advocacy.analytics.services import tracked_url
from advocacy.sharing.models import Share
from tests.analytics.conftest import LINK

pytestmark = pytest.mark.django_db

IP = "203.0.113.77"
AGENT = "Mozilla/5.0 (X11; Linux x86_64) PrivacyProbe/9.9.9"


def code_of(url: str) -> str:
    return url.rsplit("/l/", 1)[1]


def test_it_mints_one_absolute_short_url_per_draft_and_network(draft, settings):
    first = tracked_url(draft=draft, network="all")
    again = tracked_url(draft=draft, network="all")
    for_x = tracked_url(draft=draft, network="x")

    assert first == again
    assert first.startswith(f"{settings.CANDOR_SITE_URL}/l/")
    assert for_x != first
    assert TrackedLink.objects.count() == 2


def test_a_draft_without_a_link_gets_no_tracked_link(make_draft):
    draft = make_draft(title="No link", link="")

    assert tracked_url(draft=draft, network="all") == ""
    assert not TrackedLink.objects.exists()


def test_the_redirect_carries_utm_parameters_and_keeps_the_links_own(client, draft):
    url = tracked_url(draft=draft, network="x")

    response = client.get(f"/l/{code_of(url)}")

    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == LINK.split("?")[0]
    assert parse_qs(target.query) == {
        "ref": ["intranet"],
        "utm_source": ["x"],
        "utm_medium": ["employee_advocacy"],
        "utm_campaign": ["turin-lab"],
    }


def test_without_a_campaign_the_utm_campaign_is_the_draft(client, make_draft):
    draft = make_draft(title="Solo", campaign="")
    response = client.get(f"/l/{code_of(tracked_url(draft=draft, network='all'))}")

    assert parse_qs(urlsplit(response["Location"]).query)["utm_campaign"] == [f"draft-{draft.pk}"]


def test_click_counting_keeps_no_ip_no_user_agent_and_sets_no_cookie(client, draft):
    code = code_of(tracked_url(draft=draft, network="all"))
    client.cookies["returning"] = "visitor-cookie-value"

    response = client.get(f"/l/{code}", REMOTE_ADDR=IP, HTTP_USER_AGENT=AGENT)

    assert response.status_code == 302
    assert not response.cookies  # no Set-Cookie at all
    assert response["Cache-Control"] == "no-store"
    # The models cannot hold anything about a person...
    assert {f.name for f in LinkClickDaily._meta.get_fields()} == {"id", "link", "day", "clicks"}
    assert {f.name for f in TrackedLink._meta.get_fields()} == {
        "id",
        "code",
        "draft",
        "network",
        "target_url",
        "created_at",
        "daily_clicks",
    }
    # ...and nothing about them is anywhere in the database.
    assert list(LinkClickDaily.objects.values("clicks")) == [{"clicks": 1}]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            dump = repr(cursor.fetchall())
            assert IP not in dump, table
            assert "PrivacyProbe" not in dump, table
            assert "visitor-cookie-value" not in dump, table


def test_clicks_add_up_per_day_with_an_atomic_increment(client, draft, clock, django_assert_num_queries):
    code = code_of(tracked_url(draft=draft, network="all"))
    for _ in range(3):
        client.get(f"/l/{code}")
    clock.now += dt.timedelta(days=1)
    client.get(f"/l/{code}")

    rows = list(LinkClickDaily.objects.order_by("day").values_list("day", "clicks"))
    assert rows == [(dt.date(2026, 3, 2), 3), (dt.date(2026, 3, 3), 1)]
    # An existing day's row is one UPDATE ... SET clicks = clicks + 1 (no read-modify-write).
    with django_assert_num_queries(2) as queries:  # find the link, increment the counter
        client.get(f"/l/{code}")
    assert 'clicks" + 1' in queries.captured_queries[-1]["sql"].replace("`", '"')


@pytest.mark.parametrize(
    "agent",
    [
        "Mastodon/4.3.0 (http.rb/5.2.0; +https://social.example/)",
        "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0)",
    ],
)
def test_link_preview_fetchers_are_redirected_but_not_counted(client, draft, agent):
    code = code_of(tracked_url(draft=draft, network="all"))

    response = client.get(f"/l/{code}", HTTP_USER_AGENT=agent)

    assert response.status_code == 302
    assert not LinkClickDaily.objects.exists()


def test_a_head_request_is_not_a_click(client, draft):
    code = code_of(tracked_url(draft=draft, network="all"))

    assert client.head(f"/l/{code}").status_code == 302
    assert not LinkClickDaily.objects.exists()


def test_an_unknown_code_gets_a_friendly_404(client, draft):
    response = client.get("/l/notacode")

    assert response.status_code == 404
    assert "This link does not lead anywhere" in response.content.decode()
    assert not LinkClickDaily.objects.exists()


def test_the_share_composer_offers_the_tracked_link_instead_of_the_raw_one(client, make_people, draft, post):
    [(emma, account)] = make_people(1)
    client.force_login(emma)

    page = client.get(f"/feed/{draft.pk}/share/").content.decode()

    short = tracked_url(draft=draft, network="all")
    assert short in page
    assert LINK.replace("&", "&amp;") not in page
    share = post((emma, account), draft)
    assert short in share.text
    assert Share.objects.get().state == "sent"
