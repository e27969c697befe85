"""The server reads a linked page within limits: http(s) only, public addresses only
(loopback only where allowed), a timeout, a size limit, HTML only, few redirects. A
page that cannot be read leaves the card with its address only."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from advocacy.linkcards.fetch import address_allowed
from advocacy.linkcards.models import LinkPage
from advocacy.linkcards.opengraph import THUMB_SIDE
from advocacy.linkcards.selectors import link_card_for, link_thumb_for
from advocacy.linkcards.tasks import link_card_request
from tests.support.og_site import DESCRIPTION, TITLE, og_page, png

pytestmark = pytest.mark.django_db


def _read(url: str, capture) -> LinkPage:
    with capture(execute=True):
        link_card_request(url=url)
    return LinkPage.objects.get(url=url)


def test_a_page_with_open_graph_tags_gives_its_card_and_a_reencoded_thumbnail(
    og_site, django_capture_on_commit_callbacks
):
    url = f"{og_site.url}/jobs"
    page = _read(url, django_capture_on_commit_callbacks)

    card = link_card_for(url=url)
    assert page.state == LinkPage.State.READY, page.problem
    assert (card.title, card.description) == (TITLE, DESCRIPTION)
    thumb = Image.open(io.BytesIO(link_thumb_for(url=url)))
    assert thumb.format == "JPEG"  # Candor's own copy, not the page's PNG
    assert max(thumb.size) <= THUMB_SIDE and thumb.size[0] > thumb.size[1]
    assert card.thumb_url.startswith(f"/link-cards/{page.pk}/thumb.jpg")


def test_a_card_is_read_once_and_then_served_from_the_cache(og_site, django_capture_on_commit_callbacks):
    url = og_site.serve("/once", og_page())
    for _ in range(3):
        _read(url, django_capture_on_commit_callbacks)
    assert og_site.hits["/once"] == 1


def test_an_expired_card_is_read_again_and_a_failed_read_keeps_the_old_card(
    og_site, django_capture_on_commit_callbacks
):
    url = og_site.serve("/again", og_page(title="First title"))
    _read(url, django_capture_on_commit_callbacks)
    LinkPage.objects.filter(url=url).update(
        expires_at=LinkPage.objects.get(url=url).fetched_at, requested_at="2000-01-01T00:00Z"
    )
    og_site.serve("/again", b"gone", status=500)

    page = _read(url, django_capture_on_commit_callbacks)

    assert og_site.hits["/again"] == 2
    assert "500" in page.problem
    assert link_card_for(url=url).title == "First title"


def test_a_page_that_does_not_answer_in_time_is_given_up(og_site, settings, django_capture_on_commit_callbacks):
    settings.CANDOR_LINK_CARD_TIMEOUT_SECONDS = 1
    url = og_site.serve("/slow", og_page(), delay=3)

    page = _read(url, django_capture_on_commit_callbacks)

    assert page.state == LinkPage.State.FAILED
    assert "no answer within 1 seconds" in page.problem
    assert link_card_for(url=url) is None


def test_a_page_larger_than_the_limit_is_refused(og_site, settings, django_capture_on_commit_callbacks):
    settings.CANDOR_LINK_CARD_MAX_PAGE_BYTES = 2_000
    url = og_site.serve("/big", og_page() + b" " * 5_000)

    page = _read(url, django_capture_on_commit_callbacks)

    assert page.state == LinkPage.State.FAILED
    assert "larger than 2000 bytes" in page.problem


def test_a_response_that_is_not_html_is_refused(og_site, django_capture_on_commit_callbacks):
    url = og_site.serve("/data.json", b'{"og:title": "nope"}', content_type="application/json")

    page = _read(url, django_capture_on_commit_callbacks)

    assert page.state == LinkPage.State.FAILED
    assert "application/json" in page.problem


def test_a_loopback_address_is_refused_unless_allowed(og_site, settings, django_capture_on_commit_callbacks):
    settings.CANDOR_LINK_CARD_ALLOW_LOOPBACK = False
    url = og_site.serve("/local", og_page())

    page = _read(url, django_capture_on_commit_callbacks)

    assert page.state == LinkPage.State.FAILED
    assert "private or local address" in page.problem
    assert og_site.hits["/local"] == 0  # refused before asking


@pytest.mark.parametrize(
    "address",
    ["10.0.0.7", "192.168.1.1", "172.16.0.1", "169.254.169.254", "100.64.0.1", "fd00::1", "0.0.0.0", "::ffff:10.0.0.7"],
)
def test_private_link_local_and_reserved_addresses_are_refused_even_where_loopback_is_allowed(address):
    assert not address_allowed(address, allow_loopback=True)


def test_loopback_is_read_only_where_allowed_and_public_addresses_always():
    assert [address_allowed(a, allow_loopback=False) for a in ("127.0.0.1", "::1", "93.184.215.14")] == [
        False,
        False,
        True,
    ]
    assert [address_allowed(a, allow_loopback=True) for a in ("127.0.0.1", "::1")] == [True, True]


def test_a_redirect_to_a_private_address_is_refused(og_site, django_capture_on_commit_callbacks):
    url = og_site.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")

    page = _read(url, django_capture_on_commit_callbacks)

    assert page.state == LinkPage.State.FAILED
    assert "169.254.169.254" in page.problem


def test_redirects_are_followed_a_few_times_only(og_site, django_capture_on_commit_callbacks):
    og_site.serve("/final", og_page(title="After one hop"))
    one = og_site.redirect("/hop", f"{og_site.url}/final")
    for n in range(5):
        og_site.redirect(f"/loop{n}", f"{og_site.url}/loop{n + 1}")

    assert _read(one, django_capture_on_commit_callbacks).title == "After one hop"
    looped = _read(f"{og_site.url}/loop0", django_capture_on_commit_callbacks)
    assert looped.state == LinkPage.State.FAILED
    assert "more than 3 redirects" in looped.problem


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/page", "file:///etc/passwd", "javascript:alert(1)"])
def test_only_http_and_https_addresses_are_read(url, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        link_card_request(url=url)
    assert not LinkPage.objects.exists()


def test_an_image_too_large_leaves_the_card_without_a_thumbnail(og_site, settings, django_capture_on_commit_callbacks):
    settings.CANDOR_LINK_CARD_MAX_IMAGE_BYTES = 1_000
    og_site.serve("/huge.png", png(2000, 2000, "navy"), content_type="image/png")
    url = og_site.serve("/with-huge-image", og_page(image="/huge.png"))

    page = _read(url, django_capture_on_commit_callbacks)

    assert page.state == LinkPage.State.READY
    assert "image: it is larger than 1000 bytes" in page.problem
    assert (link_card_for(url=url).title, link_card_for(url=url).thumb_url) == (TITLE, "")


def test_an_image_that_is_not_an_image_leaves_the_card_without_a_thumbnail(og_site, django_capture_on_commit_callbacks):
    og_site.serve("/fake.png", b"<script>not an image</script>", content_type="image/png")
    url = og_site.serve("/with-fake-image", og_page(image="/fake.png"))

    page = _read(url, django_capture_on_commit_callbacks)

    assert page.state == LinkPage.State.READY
    assert page.thumb_size == 0 and "could not be read" in page.problem
