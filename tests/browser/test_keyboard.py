"""The employee journey completes with the keyboard alone: every control is reachable
with Tab and works with Enter or Space. No mouse clicks in this test."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from advocacy.sharing.models import Share
from tests.support.scenario import connect, publish_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tab_to(page, selector: str, *, limit: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has focus (fail if never)."""
    for _ in range(limit):
        page.wait_for_load_state()  # the previous key may have started a navigation
        try:
            focused = page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector)
        except PlaywrightError:  # the page navigated while we looked; look again
            continue
        if focused:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} is not reachable with the Tab key on {page.url}")


def test_the_employee_journey_by_keyboard_only(
    page, live_server, employee, author, reviewer, policy, axe_check, monkeypatch
):
    # Sending is another test's business (with a real worker); here nothing is sent.
    monkeypatch.setattr("advocacy.sharing.services._kick_dispatcher", lambda: None)
    draft = publish_draft(
        author, reviewer, title="Robots", body="Our robots sort parcels faster.", networks=["bluesky"]
    )
    connect(employee, handle="emma.test")

    page.goto(f"{live_server.url}/accounts/login/")
    tab_to(page, "input[name=login]")
    page.keyboard.type(employee.email)
    tab_to(page, "input[name=password]")
    page.keyboard.type("correct-horse-battery-staple")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")

    tab_to(page, "a[href='/programme/']")
    page.keyboard.press("Enter")
    tab_to(page, "input[name=accept]")
    page.keyboard.press("Space")
    tab_to(page, "form button[type=submit].button")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Welcome to the programme")).to_be_visible()
    page.wait_for_load_state()

    tab_to(page, f"a[href='/feed/{draft.pk}/share/']")
    page.keyboard.press("Enter")
    expect(page.locator("#preview")).to_contain_text("Ready to post")
    tab_to(page, "input[name=accounts]")
    page.keyboard.press("Space")
    tab_to(page, "#share-form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_text("1 post scheduled.")).to_be_visible()
    axe_check(page)
    assert Share.objects.filter(employee=employee).count() == 1
