"""axe-core on every main page, as the person who uses it: no serious or critical
violations. (The journeys check the pages they pass through as well.)"""

from __future__ import annotations

import pytest

from tests.support.scenario import publish_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "enrolled": [
        "/",
        "/programme/",
        "/feed/",
        "/shares/",
        "/connections/",
        "/my-data/",
        "/notifications/",
        "/notifications/settings/",
        "/my-impact/",
        "/watch/",
        "/programme/public/my-name/",
        "/programme/public/",
    ],
    "author": ["/comms/", "/comms/drafts/new/", "/analytics/"],
    "reviewer": ["/comms/review/"],
    "admin_user": ["/people/", "/audit/", "/programme/participation/", "/diagnostics/"],
}


@pytest.mark.parametrize("who", PAGES)
def test_main_pages_have_no_serious_accessibility_violations(
    page, live_server, login, axe_check, request, who, author, reviewer
):
    user = request.getfixturevalue(who)
    draft = publish_draft(author, reviewer)
    login(page, user.email)
    for path in [
        *PAGES[who],
        *([f"/comms/drafts/{draft.pk}/", f"/analytics/drafts/{draft.pk}/"] if who == "author" else []),
    ]:
        page.goto(f"{live_server.url}{path}")
        assert page.locator("main h1").count() >= 1, path
        axe_check(page)
