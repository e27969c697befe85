"""Phone first: at 390x844 and 360x740 no page pans sideways (the document is never
wider than the screen), tables stay inside their cards and the navigation wraps; at
1280 px the admin navigation fits in German, Indonesian and Italian too. Every page
is screenshotted to var/test-artifacts/screenshots/."""

from __future__ import annotations

import pytest

from accounts.models import Team
from tests.browser.conftest import SCREENSHOTS
from tests.support.scenario import connect, publish_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMPLOYEE_PAGES = ["/", "/programme/", "/feed/", "/shares/", "/connections/", "/my-data/", "/notifications/"]
ADMIN_PAGES = ["/people/", "/audit/", "/programme/participation/", "/diagnostics/"]
PHONES = {"390x844": (390, 844), "360x740": (360, 740)}

# Where the page is wider than the screen, and which elements stick out (for the message).
MEASURE = """() => {
  const width = window.innerWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) {
      out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(box.right)}`);
    }
  }
  const spill = [];
  for (const table of document.querySelectorAll('.card table')) {
    const card = table.closest('.card').getBoundingClientRect();
    if (table.getBoundingClientRect().right > card.right + 1) spill.push(table.className);
  }
  return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 8), spill};
}"""


def _check(page, url: str) -> None:
    page.goto(url)
    found = page.evaluate(MEASURE)
    assert found["scroll"] <= found["width"], f"{url} is {found['scroll']} px wide at {found['width']}: {found['out']}"
    assert not found["spill"], f"{url}: tables spill out of their cards: {found['spill']}"


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"layout-{name}.png"), full_page=True)


@pytest.fixture
def busy_employee(enrolled, author, reviewer):
    """An employee with a long handle, a share and a notification: rows that can spill."""
    from advocacy.sharing.services import share_create

    draft = publish_draft(author, reviewer, title="Robots sort parcels faster than ever before in Kraków")
    account = connect(enrolled, handle="a-really-rather-long-handle-for-a-phone.bsky.social")
    share_create(
        employee=enrolled,
        draft_id=draft.pk,
        account_id=account.pk,
        text="#employee · I work at Acme Robotics.\n\nRobots sort parcels faster.",
    )
    return enrolled


@pytest.mark.parametrize("size", list(PHONES))
def test_employee_pages_never_pan_sideways_on_a_phone(page, live_server, login, busy_employee, size):
    page.set_viewport_size(dict(zip(("width", "height"), PHONES[size], strict=True)))
    login(page, busy_employee.email)
    for path in EMPLOYEE_PAGES:
        _check(page, f"{live_server.url}{path}")
        _shot(page, f"employee-{size}-{path.strip('/').replace('/', '-') or 'home'}")


def test_the_navigation_wraps_on_a_phone_with_touch_sized_links(page, live_server, login, busy_employee):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, busy_employee.email)
    page.goto(f"{live_server.url}/feed/")

    links = page.locator(".mainnav a")
    boxes = [links.nth(i).bounding_box() for i in range(links.count())]

    assert len({round(box["y"]) for box in boxes}) > 1  # more than one row
    assert all(box["x"] + box["width"] <= 390 for box in boxes)
    assert all(box["height"] >= 44 for box in boxes)


MAIN_PAGES = {
    "busy_employee": [
        *EMPLOYEE_PAGES,
        "/notifications/settings/",
        "/my-impact/",
        "/preferences/",
        "/api-token/",
        "/watch/",
        "/programme/public/",
    ],
    "author": ["/comms/", "/comms/drafts/new/", "/analytics/"],
    "reviewer": ["/comms/review/"],
    "admin_user": ADMIN_PAGES,
}


CHARTED = ("/analytics/", "/programme/participation/", "/my-impact/")  # with the demo's data


def demo_pages() -> dict[str, list[str]]:
    """The demo organisation's analytics, where every figure and chart shows: a post's
    report and a campaign's, for the comms author."""
    from advocacy.core.demo import demo_seed
    from advocacy.core.demo_history import POSTS
    from advocacy.drafts.models import Draft

    demo_seed()
    draft = Draft.objects.select_related("campaign").get(title=POSTS[0].title)
    return {"author": [f"/analytics/drafts/{draft.pk}/", f"/analytics/campaigns/{draft.campaign_id}/"]}


SIZES = {"1280x800": (1280, 800), "390x844": (390, 844)}


def english_words() -> dict[str, set[str]]:
    """Per language, the English UI sentences that language translates differently: any
    of them on a page in that language is an untranslated string."""
    import polib

    from tests.i18n.test_translations import LOCALE

    found = {}
    for language in ("de", "id", "it"):
        po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
        found[language] = {
            e.msgid
            for e in po
            if not e.obsolete
            and not e.msgid_plural
            and "%" not in e.msgid
            and "<" not in e.msgid
            and len(e.msgid) >= 14
            and e.msgstr
            and e.msgstr != e.msgid
        }
    return found


@pytest.mark.parametrize("language", ["en", "de", "id", "it"])
def test_every_main_page_fits_is_translated_and_accessible_at_desktop_and_phone_size(
    page, live_server, login, axe_check, request, author, reviewer, admin_user, busy_employee, language
):
    """The acceptance journey: each role's main pages at 1280x800 and 390x844 in one
    language, with the demo organisation's history loaded so the analytics pages draw
    their charts: no sideways scrolling, no English left over, axe clean; screenshots."""
    english = english_words().get(language, set())
    draft = publish_draft(author, reviewer, title="Turin lab opens")
    analytics = demo_pages()
    Team.objects.create(name="Warehouse logistics and returns")  # the draft form lists teams to choose
    page.set_extra_http_headers({"Accept-Language": language})
    for who, paths in MAIN_PAGES.items():
        user = request.getfixturevalue(who)
        login(page, user.email)
        extra = [f"/comms/drafts/{draft.pk}/", f"/analytics/drafts/{draft.pk}/"] if who == "author" else []
        extra += [f"/feed/{draft.pk}/share/"] if who == "busy_employee" else []
        extra += analytics.get(who, [])
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            for path in [*paths, *extra]:
                _check(page, f"{live_server.url}{path}")
                if path.endswith("/share/"):
                    page.wait_for_selector(".preview-network")  # the live preview has loaded
                shown = page.evaluate("() => document.body.innerText")
                left = sorted(words for words in english if words in shown)
                assert not left, f"{path} in {language}: untranslated: {left}"
                if path in CHARTED or path in analytics.get(who, []):
                    assert page.locator("svg[role=img]:visible").count(), f"{path}: no chart"
                axe_check(page)
                _shot(page, f"{language}-{size}-{who}-{path.strip('/').replace('/', '-') or 'home'}")
