"""Analytics pages for the comms team and admins: group figures only, withheld below
the minimum group size, the same numbers in the CSV, and a cost that does not grow
with the data."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from accounts.models import User
from advocacy.analytics.figures import Cell, suppress
from advocacy.analytics.services import tracked_url
from advocacy.program.services import enrollment_leave

pytestmark = pytest.mark.django_db

TOO_FEW = "too few to show"
FIGURE = re.compile(r'data-figure="([^"]+)">(?:<span class="hint">)?([^<]*)<')


def page_figures(html: str) -> dict[str, str]:
    found = {key: value.strip() for key, value in FIGURE.findall(html)}
    assert found, "no figures on the page"
    return found


def csv_figures(body: bytes) -> dict[str, str]:
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    return {f"{row['section']}:{row['key']}": row["value"] for row in rows if row["section"] != "summary"} | {
        f"summary:{row['key']}": row["value"] for row in rows if row["key"] == "people"
    }


def click(client, draft, times: int = 1) -> None:
    code = tracked_url(draft=draft, network="all").rsplit("/", 1)[1]
    for _ in range(times):
        assert client.get(f"/l/{code}").status_code == 302


# --- who may look ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["author", "reviewer", "admin_user"])
def test_comms_and_admins_see_the_analytics_pages(client, draft, who, request):
    client.force_login(request.getfixturevalue(who))

    for url in ["/analytics/", f"/analytics/drafts/{draft.pk}/", f"/analytics/campaigns/{draft.campaign_id}/"]:
        assert client.get(url).status_code == 200, url
    assert client.get(f"/analytics/drafts/{draft.pk}/export.csv").status_code == 200


def test_an_employee_cannot_see_the_analytics_pages(client, employee, draft):
    client.force_login(employee)

    for url in [
        "/analytics/",
        f"/analytics/drafts/{draft.pk}/",
        f"/analytics/drafts/{draft.pk}/export.csv",
        f"/analytics/campaigns/{draft.campaign_id}/",
        f"/analytics/campaigns/{draft.campaign_id}/export.csv",
    ]:
        assert client.get(url).status_code == 403, url


def test_signed_out_visitors_are_sent_to_log_in(client, draft):
    response = client.get(f"/analytics/drafts/{draft.pk}/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- the minimum group size -----------------------------------------------------------


def test_a_draft_shared_by_fewer_than_the_minimum_shows_no_numbers(client, author, make_people, draft, post):
    for person in make_people(3):
        post(person, draft)
    click(client, draft, 4)
    client.force_login(author)

    html = client.get(f"/analytics/drafts/{draft.pk}/").content.decode()
    exported = csv_figures(client.get(f"/analytics/drafts/{draft.pk}/export.csv").content)

    assert "too few to show any figures" in html
    assert set(page_figures(html).values()) == {TOO_FEW}
    assert set(exported.values()) == {TOO_FEW}
    assert "<svg" not in html  # no chart either: its shape would give the numbers away


@pytest.mark.parametrize(
    ("shared", "taking_part", "shown"),
    [
        (7, 7, False),  # everyone shared: each one's choice is known
        (5, 10, True),  # five did, five did not
        (4, 10, False),  # too few shared (4 did, 6 did not)
        (6, 10, False),  # too few did not
    ],
)
def test_a_draft_is_shown_only_when_those_who_shared_and_those_who_did_not_are_both_enough(
    client, author, policy, make_people, draft, post, shared, taking_part, shown
):
    for person in make_people(shared):
        post(person, draft)
    # make_people enrolled five who never share: add or remove some to reach taking_part.
    others = taking_part - shared - 5
    if others > 0:
        make_people(others)
    for bystander in User.objects.filter(email__startswith="bystander").order_by("email")[: max(0, -others)]:
        enrollment_leave(user=bystander)
    client.force_login(author)

    html = client.get(f"/analytics/drafts/{draft.pk}/").content.decode()
    exported = csv_figures(client.get(f"/analytics/drafts/{draft.pk}/export.csv").content)
    overview = client.get("/analytics/").content.decode()

    assert ("too few to show any figures" not in html) is shown
    assert (exported["summary:people"] == str(shared)) is shown
    assert (page_figures(html)["summary:people"] == str(shared)) is shown
    if not shown:
        assert set(exported.values()) == {TOO_FEW}
        assert set(page_figures(html).values()) == {TOO_FEW}
        assert "<svg" not in html
    assert (page_figures(overview)[f"draft:{draft.pk}"] == str(shared)) is shown


def test_a_group_at_the_minimum_shows_its_figures_but_a_small_cell_and_its_complement_are_withheld(
    client, author, make_people, draft, post, clock
):
    people = make_people(5) + make_people(1, network="mastodon")
    for person in people[:5]:
        post(person, draft)
    post(people[5], draft, outcome="failed")
    client.force_login(author)

    figures = page_figures(client.get(f"/analytics/drafts/{draft.pk}/").content.decode())

    assert figures["summary:people"] == "6"
    assert figures["state:total"] == "6"
    # One failed share is one person: withheld. Showing "sent: 5" would give it back
    # (6 - 5), so the smallest other cell is withheld too.
    assert figures["state:failed"] == TOO_FEW
    assert figures["state:sent"] == TOO_FEW
    assert figures["state:scheduled"] == "0"
    assert figures["network:bluesky"] == TOO_FEW
    assert figures["network:mastodon"] == TOO_FEW
    # Sent shares per day add up to "sent", so they are withheld with it.
    assert figures["sent_per_day:2026-03-02"] == TOO_FEW
    assert figures["sent_per_day:total"] == TOO_FEW


def test_the_csv_has_exactly_the_numbers_of_the_page(client, author, make_people, draft, post, clock):
    people = make_people(6) + make_people(5, network="mastodon")
    for person in people[:6]:
        post(person, draft)
    click(client, draft, 3)
    clock.now += dt.timedelta(days=1)
    for person in people[6:]:
        post(person, draft, outcome="scheduled")
    click(client, draft, 2)
    client.force_login(author)

    html = client.get(f"/analytics/drafts/{draft.pk}/").content.decode()
    response = client.get(f"/analytics/drafts/{draft.pk}/export.csv")

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    on_page = page_figures(html)
    assert on_page == csv_figures(response.content)
    assert on_page["state:sent"] == "6"
    assert on_page["state:scheduled"] == "5"
    assert on_page["network:bluesky"] == "6"
    assert on_page["network:mastodon"] == "5"
    assert on_page["clicks_per_day:2026-03-02"] == "3"
    assert on_page["clicks_per_day:2026-03-03"] == "2"
    assert on_page["clicks_per_day:total"] == "5"
    assert on_page["sent_per_day:2026-03-02"] == "6"
    assert on_page["sent_per_day:total"] == "6"
    assert on_page["scheduled_per_day:2026-03-04"] == "5"  # scheduled on day 2 for the next day


def test_pages_and_csv_never_name_anyone(client, author, make_people, draft, post):
    people = make_people(5)
    for person in people:
        post(person, draft)
    client.force_login(author)

    pages = [
        client.get("/analytics/").content.decode(),
        client.get(f"/analytics/drafts/{draft.pk}/").content.decode(),
        client.get(f"/analytics/drafts/{draft.pk}/export.csv").content.decode(),
        client.get(f"/analytics/campaigns/{draft.campaign_id}/").content.decode(),
    ]

    for user, account in people:
        for text in pages:
            assert user.display_name not in text
            assert user.email not in text
            assert account.handle not in text


def test_early_clicks_from_one_persons_post_stay_hidden(client, author, make_people, draft, post, clock):
    first, *others = make_people(6)
    post(first, draft)
    click(client, draft, 3)  # day 1: only one person's post was out
    clock.now += dt.timedelta(days=1)
    for person in others:
        post(person, draft)
    click(client, draft, 4)
    clock.now += dt.timedelta(days=1)
    click(client, draft, 5)
    client.force_login(author)

    figures = page_figures(client.get(f"/analytics/drafts/{draft.pk}/").content.decode())

    assert figures["clicks_per_day:2026-03-02"] == TOO_FEW
    # Day 2 is withheld too, or the total minus day 3 would give day 1 back.
    assert figures["clicks_per_day:2026-03-03"] == TOO_FEW
    assert figures["clicks_per_day:2026-03-04"] == "5"
    assert figures["clicks_per_day:total"] == "12"


def test_a_campaign_counts_only_drafts_that_meet_the_minimum_on_their_own(
    client, author, make_people, make_draft, draft, post
):
    small = make_draft(title="Small news")
    people = make_people(6)
    for person in people:
        post(person, draft)
    for person in people[:2]:
        post(person, small)
    client.force_login(author)

    figures = page_figures(client.get(f"/analytics/campaigns/{draft.campaign_id}/").content.decode())

    assert figures["state:total"] == "6"  # the small draft's 2 shares are left out
    assert figures[f"by_draft:{draft.pk}"] == "6"
    assert figures[f"by_draft:{small.pk}"] == TOO_FEW
    overview = page_figures(client.get("/analytics/").content.decode())
    assert overview[f"campaign:{draft.campaign_id}"] == "6"
    assert overview[f"draft:{draft.pk}"] == "6"
    assert overview[f"draft:{small.pk}"] == TOO_FEW


def test_the_page_has_accessible_charts_with_a_table_of_the_same_numbers(client, author, make_people, draft, post):
    for person in make_people(5):
        post(person, draft)
    click(client, draft, 2)
    client.force_login(author)

    html = client.get(f"/analytics/drafts/{draft.pk}/").content.decode()

    # Shares and clicks over time (each drawn wide and narrow), by state, per network.
    assert html.count('role="img"') == 6
    for chart in ("chart-shares", "chart-shares-narrow", "chart-clicks", "chart-states", "chart-networks"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
        assert f'<title id="{chart}-title">' in html
        assert f'<desc id="{chart}-desc">' in html
    assert "<script" not in html.split("</head>", 1)[1]  # no inline script (CSP)
    assert "cdn" not in html.lower()


def test_charts_keep_svg_numbers_unlocalised_in_german(client, author, make_people, draft, post):
    author.language = "de"
    author.save(update_fields=["language"])
    for person in make_people(5):
        post(person, draft)
    client.force_login(author)

    html = client.get(f"/analytics/drafts/{draft.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert 'lang="de"' in html
    coordinates = re.findall(r' (?:cx|cy|x|y|x1|x2|y1|y2|width|height)="([^"]+)"', html)
    assert coordinates
    assert all(re.fullmatch(r"-?\d+(\.\d+)?%?", value) for value in coordinates), coordinates


# --- cost -----------------------------------------------------------------------------


def test_analytics_pages_use_a_fixed_number_of_queries(
    client, author, make_people, make_draft, draft, post, clock, django_assert_max_num_queries
):
    client.force_login(author)
    other = make_draft(title="Second story")
    urls = [
        "/analytics/",
        f"/analytics/drafts/{draft.pk}/",
        f"/analytics/drafts/{draft.pk}/export.csv",
        f"/analytics/campaigns/{draft.campaign_id}/",
        f"/analytics/campaigns/{draft.campaign_id}/export.csv",
    ]
    for person in make_people(5):
        post(person, draft)
    click(client, draft)
    cost = {}
    for url in urls:
        # One of them reads who takes part: the other side of the minimum-group rule.
        with django_assert_max_num_queries(8) as queries:
            assert client.get(url).status_code == 200
        cost[url] = len(queries.captured_queries)

    for day in range(4):
        clock.now += dt.timedelta(days=1)
        for person in make_people(3):
            post(person, draft)
            post(person, other)
        click(client, draft, day + 1)
        click(client, other)
    client.force_login(author)  # sessions last 12 hours; the clock moved on
    for url in urls:
        with django_assert_max_num_queries(cost[url]):
            assert client.get(url).status_code == 200


# --- the suppression rule itself --------------------------------------------------------


def test_suppress_withholds_small_cells_and_enough_others_to_protect_them():
    cells = [
        Cell("a", "A", 10, frozenset(range(10))),
        Cell("b", "B", 7, frozenset(range(10, 17))),
        Cell("c", "C", 2, frozenset({20, 21})),
        Cell("d", "D", 0, frozenset()),
    ]

    values = {f.key: f.value for f in suppress(cells, minimum=5)}

    assert values == {"a": 10, "b": None, "c": None, "d": 0}


def test_suppress_leaves_a_breakdown_alone_when_every_cell_is_large_enough():
    cells = [Cell("a", "A", 5, frozenset(range(5))), Cell("b", "B", 9, frozenset(range(5, 14)))]

    assert [f.value for f in suppress(cells, minimum=5)] == [5, 9]


def test_withheld_cells_that_together_reach_the_minimum_need_no_more_withholding():
    cells = [
        Cell("a", "A", 3, frozenset({1, 2, 3})),
        Cell("b", "B", 2, frozenset({4, 5})),
        Cell("c", "C", 8, frozenset(range(10, 18))),
    ]

    assert [f.value for f in suppress(cells, minimum=5)] == [None, None, 8]
