"""The comms draft composer and schedule in Chromium: at 390x844 neither pans sideways
and the schedule's calendar collapses to a list of the days with posts; at 1280x800 the
month is a seven-column grid; the composer's live preview counts each network's own
variant as it is typed. Axe finds nothing serious on either page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role
from advocacy.drafts.content import final_text
from advocacy.program.selectors import disclosure_for
from advocacy.program.services import enrollment_opt_in
from advocacy.sharing.services import share_create
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_layout import MEASURE
from tests.factories import UserFactory
from tests.support.scenario import connect, publish_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": (390, 844), "desktop": (1280, 800)}


@pytest.fixture
def busy_schedule(author, reviewer, policy):
    """A long-titled post that ten of fifteen people taking part scheduled for tomorrow:
    enough on both sides to show its count."""
    draft = publish_draft(author, reviewer, title="Robots sort parcels faster than ever before in Kraków and Turin")
    when = (timezone.now() + dt.timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    text = final_text(disclosure=disclosure_for(language="en"), body=draft.published_version.body)
    for n in range(15):
        user = UserFactory(email=f"staff{n}@example.com", role=Role.EMPLOYEE)
        enrollment_opt_in(user=user, policy_version_id=policy.pk, accepted=True)
        if n >= 10:
            continue
        account = connect(user, handle=f"staff{n}.bsky.social")
        share_create(employee=user, draft_id=draft.pk, account_id=account.pk, text=text, scheduled_at=when)
    return when.date()


def _no_sideways_scroll(page) -> None:
    found = page.evaluate(MEASURE)
    assert found["scroll"] <= found["width"], f"{page.url} is {found['scroll']} px wide: {found['out']}"


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"comms-{name}.png"), full_page=True)


@pytest.mark.parametrize("size", list(SIZES))
def test_the_schedule_fits_and_collapses_to_a_list_on_a_phone(
    page, live_server, login, axe_check, author, busy_schedule, size
):
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    login(page, author.email)

    for view in ("month", "week", "list"):
        page.goto(f"{live_server.url}/comms/schedule/?view={view}&date={busy_schedule.isoformat()}")
        _no_sideways_scroll(page)
        axe_check(page)
        _shot(page, f"schedule-{view}-{size}")
        entry = page.get_by_test_id("schedule-entry")
        assert entry.count() == 1
        assert "10 shares" in entry.inner_text()
        assert "staff" not in page.content()  # no handle or address of anyone

    page.goto(f"{live_server.url}/comms/schedule/?view=month&date={busy_schedule.isoformat()}")
    columns = page.evaluate(
        "() => getComputedStyle(document.querySelector('.schedule')).gridTemplateColumns.split(' ').length"
    )
    visible_days = page.locator(".schedule-day:visible").count()
    if size == "phone":
        assert columns == 1
        assert visible_days == 1  # only the day with a post: a list
        assert not page.locator(".schedule-weekday:visible").count()
    else:
        assert columns == 7
        assert visible_days >= 28


@pytest.mark.parametrize("size", list(SIZES))
def test_the_composer_previews_each_networks_variant_live(page, live_server, login, axe_check, author, size):
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    login(page, author.email)
    page.goto(f"{live_server.url}/comms/drafts/new/")

    page.fill("textarea[name=body]", "Our new robot ships today.")
    page.fill("textarea[name=variant_x]", "Short for X.")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=final-text-x]')?.textContent.includes('Short for X.')"
    )
    # Checked while every post fits: the problem list inside portal/_preview.html (a
    # list with role="alert") is the shared preview's, checked with the share page.
    axe_check(page)
    page.fill("textarea[name=variant_bluesky]", "b" * 300)

    counter = page.get_by_test_id("counter-bluesky")
    page.wait_for_function("() => document.querySelector('[data-testid=counter-bluesky]')?.classList.contains('over')")
    assert "/ 300" in counter.inner_text()
    assert "Too long for Bluesky" in page.get_by_test_id("draft-preview").inner_text()
    assert page.get_by_test_id("final-text-x").inner_text().startswith("#employee")
    _no_sideways_scroll(page)
    _shot(page, f"composer-{size}")
