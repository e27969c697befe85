"""A reader follows the disclosure's link in a post on the real Bluesky PDS and lands
on the post's public page: accessible, cookie-free, and nothing about them stored."""

from __future__ import annotations

from playwright.sync_api import expect

from advocacy.public.models import PublicName
from tests.public.test_post_page import _rows_mentioning
from tests.public.test_public_link_on_pds import link_facets, send_on_pds


def test_following_the_facet_link_of_a_post_on_the_pds_lands_on_its_public_page(
    page, live_server, settings, bluesky_pds, enrolled, published, axe_check, shoot
):
    settings.CANDOR_SITE_URL = live_server.url  # the address the facet carries
    share, record, _did = send_on_pds(bluesky_pds, enrolled, published)
    [(words, address)] = link_facets(record)
    assert words == "I work at Acme Robotics"

    page.set_extra_http_headers({"Accept-Language": "de"})
    response = page.goto(address)
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Wer spricht in diesem Beitrag")
    expect(page.get_by_text("Eine Mitarbeiterin oder ein Mitarbeiter von Acme Robotics")).to_be_visible()
    expect(page.get_by_role("link", name="Auf Bluesky ansehen")).to_have_attribute("href", share.external_url)
    axe_check(page)
    shoot(page, "public-post")
    page.set_viewport_size({"width": 375, "height": 700})  # on a phone
    axe_check(page)
    assert page.context.cookies() == []
    agent = page.evaluate("navigator.userAgent")
    assert _rows_mentioning(agent) == []
    assert not PublicName.objects.exists()

    page.get_by_role("link", name="Über das Programm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Das Mitarbeiterprogramm von Acme Robotics")
    expect(page.get_by_text("Werbung · #Mitarbeiter · Ich arbeite bei Acme Robotics.")).to_be_visible()
    axe_check(page)
    shoot(page, "public-programme")
    assert page.context.cookies() == []
