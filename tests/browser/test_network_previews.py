"""The share page's previews look like each network's post, with the Bluesky link card
the server read (its thumbnail served by Candor), the disclosure first in each, on a
phone and on a desktop, in every language: no sideways scrolling, axe clean."""

from __future__ import annotations

import pytest

from tests.browser.test_layout import _check, _shot
from tests.portal.test_preview_is_the_post import _publish
from tests.support.og_site import TITLE
from tests.support.scenario import connect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALL = ("bluesky", "mastodon", "linkedin", "x")
TEXT = "#employee · I work at Acme Robotics.\n\nWe're hiring robot tamers."
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}


@pytest.mark.parametrize("language", ["en", "de", "id", "it"])
def test_each_network_s_preview_fits_and_shows_the_card_the_server_read(
    page, live_server, login, axe_check, enrolled, author, reviewer, og_site, settings, language
):
    settings.MEDIA_ROOT = str(settings.VAR_DIR / "media")
    draft = _publish(author, reviewer, image=False, networks=ALL, link=f"{og_site.url}/jobs")  # a worker reads it
    for network, handle in zip(ALL, ("emma.bsky.social", "emma@social.example", "Emma", "emma_acme"), strict=True):
        connect(enrolled, handle=handle, network=network)
    page.set_extra_http_headers({"Accept-Language": language})
    login(page, enrolled.email)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        _check(page, f"{live_server.url}/feed/{draft.pk}/share/")
        page.fill("textarea[name=text]", TEXT)  # without the link, so Bluesky gets the card
        thumb = page.get_by_test_id("link-card-thumb-bluesky")
        thumb.wait_for()

        thumb.scroll_into_view_if_needed()
        assert thumb.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0  # served by Candor
        assert TITLE in page.get_by_test_id("link-card-bluesky").inner_text()
        for network in ALL:
            first = page.get_by_test_id(f"final-text-{network}").locator("span.disclosure")
            assert first.inner_text() == "#employee · I work at Acme Robotics."
        found = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert found[0] <= found[1], f"the share page is {found[0]} px wide at {found[1]}"
        axe_check(page)
        _shot(page, f"previews-{language}-{size}")
