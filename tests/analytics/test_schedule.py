"""The comms schedule: what is scheduled when, by post and never by person. A post's
count for a day is shown only when enough people scheduled it (and enough taking part
did not); no name, handle or address is ever on the page."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from advocacy.sharing.models import Share
from advocacy.sharing.services import share_cancel, share_create
from tests.analytics.conftest import composer_text

pytestmark = pytest.mark.django_db

MARCH = "/comms/schedule/?view=month&date=2026-03-01"


def schedule(person, draft, when: dt.datetime) -> Share:
    user, account = person
    return share_create(
        employee=user, draft_id=draft.pk, account_id=account.pk, text=composer_text(draft), scheduled_at=when
    )


def _page(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _entries(page: str) -> list[str]:
    """The text of each entry on the calendar, in order."""
    parts = page.split('data-testid="schedule-entry"')[1:]
    return [" ".join(re.sub("<[^>]+>", " ", part.split("</li>")[0].split(">", 1)[1]).split()) for part in parts]


@pytest.fixture
def march_tenth(clock):
    return dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


def test_the_calendar_shows_posts_with_group_counts_and_never_people(
    client, author, clock, make_people, make_draft, march_tenth
):
    launch, small = make_draft(title="Turin lab opening"), make_draft(title="Quiet news", campaign="")
    people = make_people(7)
    for person in people[:5]:
        schedule(person, launch, march_tenth)
    for person in people[5:]:
        schedule(person, small, march_tenth)
    client.force_login(author)

    page = _page(client.get(MARCH))

    assert _entries(page) == ["Quiet news too few to show", "Turin lab opening 5 shares"]
    assert f'href="/comms/drafts/{launch.pk}/"' in page
    for user, account in people:
        assert user.display_name not in page
        assert user.email not in page
        assert account.handle not in page


def test_a_lone_day_does_not_give_itself_away_as_a_difference(
    client, author, clock, make_people, make_draft, march_tenth
):
    launch = make_draft()
    people = make_people(6)
    for person in people[:5]:
        schedule(person, launch, march_tenth)
    schedule(people[5], launch, march_tenth + dt.timedelta(days=1))
    client.force_login(author)

    page = _page(client.get(MARCH))

    # The 11th (one person) is withheld, and so is the 10th: otherwise a total of the
    # post's shares elsewhere, minus 5, would tell the lone day's count.
    assert _entries(page) == ["Turin lab opening too few to show"] * 2


def test_cancelled_shares_are_not_on_the_calendar(client, author, clock, make_people, make_draft, march_tenth):
    launch = make_draft()
    (person,) = make_people(1)
    share = schedule(person, launch, march_tenth)
    share_cancel(employee=person[0], share_id=share.pk)
    client.force_login(author)

    page = _page(client.get(MARCH))

    assert _entries(page) == []
    assert 'data-testid="schedule-empty"' in page


def test_the_week_and_list_views_show_their_own_period(client, author, clock, make_people, make_draft, march_tenth):
    launch = make_draft()
    for person in make_people(5):
        schedule(person, launch, march_tenth)
    client.force_login(author)

    this_week = _page(client.get("/comms/schedule/?view=week&date=2026-03-11"))
    next_week = _page(client.get("/comms/schedule/?view=week&date=2026-03-16"))
    as_list = _page(client.get("/comms/schedule/?view=list&date=2026-03-20"))

    assert _entries(this_week) == ["Turin lab opening 5 shares"]
    assert 'datetime="2026-03-09"' in this_week and 'datetime="2026-03-15"' in this_week  # Monday to Sunday
    assert _entries(next_week) == []
    assert _entries(as_list) == ["Turin lab opening 5 shares"]
    assert as_list.count('class="schedule-day') == 1  # only the days with posts


def test_days_are_the_viewers_own(client, author, clock, make_people, make_draft):
    launch = make_draft()
    for person in make_people(5):
        schedule(person, launch, dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC))
    author.time_zone = "Europe/Rome"
    author.save(update_fields=["time_zone"])
    client.force_login(author)

    page = _page(client.get("/comms/schedule/?view=week&date=2026-03-10"))

    day_of_entry = page.split('data-testid="schedule-entry"')[0].rsplit("datetime=", 1)[1][1:11]
    assert day_of_entry == "2026-03-11"  # 00:30 in Rome


def test_a_bad_date_is_explained_and_today_shown(client, author, clock):
    client.force_login(author)

    page = _page(client.get("/comms/schedule/?view=month&date=31/02/2026"))

    assert "A date is written as year-month-day" in page
    assert "March 2026" in page  # the clock's today


def test_the_schedule_is_for_comms_only(client, employee, reviewer, clock):
    client.force_login(employee)
    refused = client.get("/comms/schedule/")
    client.force_login(reviewer)
    allowed = client.get("/comms/schedule/")

    assert refused.status_code == 403
    assert allowed.status_code == 200


@pytest.mark.parametrize(
    ("language", "title"), [("de", "Geplante Beiträge"), ("id", "Unggahan terjadwal"), ("it", "Post programmati")]
)
def test_the_schedule_speaks_the_viewers_language(
    client, author, clock, make_people, make_draft, language, title, march_tenth
):
    launch = make_draft()
    for person in make_people(5):
        schedule(person, launch, march_tenth)
    author.language = language
    author.save(update_fields=["language"])
    client.force_login(author)

    with translation.override(language):
        page = _page(client.get(MARCH, headers={"accept-language": language}))

    assert title in page
    assert "Scheduled posts" not in page and "5 shares" not in page


def test_the_schedule_costs_the_same_queries_however_many_shares(
    client, author, clock, make_people, make_draft, march_tenth, django_assert_num_queries
):
    launch = make_draft()
    people = make_people(10)
    for person in people[:5]:
        schedule(person, launch, march_tenth)
    client.force_login(author)
    client.get(MARCH)  # sessions and caches warmed
    with CaptureQueriesContext(connection) as few:
        client.get(MARCH)
    for person in people[5:]:
        schedule(person, launch, march_tenth + dt.timedelta(days=2))

    with django_assert_num_queries(len(few)):
        page = _page(client.get(MARCH))
    assert _entries(page) == ["Turin lab opening 5 shares"] * 2
