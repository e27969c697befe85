"""The share page's preview shows each network's post as that network shows it, with
the link card the server read from the page's Open Graph tags: the same title,
description and thumbnail the posting engine hands the Bluesky client."""

from __future__ import annotations

import re

import pytest

from advocacy.linkcards.models import LinkPage
from advocacy.sharing.engine.request import publish_request
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_create
from tests.portal.test_preview_is_the_post import _preview, _publish
from tests.support.og_site import DESCRIPTION, TITLE
from tests.support.scenario import connect

pytestmark = pytest.mark.django_db

TEXT = "#employee · I work at Acme Robotics.\n\nWe're hiring robot tamers."
ALL = ("bluesky", "mastodon", "linkedin", "x")


def bluesky_card(preview: str) -> str:
    """The Bluesky link card's HTML in a preview."""
    return re.search(r'<a [^>]*data-testid="link-card-bluesky".*?</a>', preview, re.S)[0]


def thumb_src(card: str) -> str:
    """Where the card's thumbnail is served from."""
    return re.search(r'<img[^>]*src="([^"]+)"[^>]*data-testid="link-card-thumb-bluesky"', card)[1]


def test_the_preview_shows_the_card_the_server_read_and_the_post_carries_it(
    client, account, author, reviewer, og_site, django_capture_on_commit_callbacks
):
    url = f"{og_site.url}/jobs"
    with django_capture_on_commit_callbacks(execute=True):  # publishing asks for the card
        draft = _publish(author, reviewer, image=False, link=url)
    client.force_login(account.owner)

    preview = _preview(client, draft, TEXT)
    card = bluesky_card(preview)
    thumb = client.get(thumb_src(card))
    share = share_create(employee=account.owner, draft_id=draft.pk, account_id=account.pk, text=TEXT)
    sent = publish_request(Share.objects.get(pk=share.pk))

    assert TITLE in card and DESCRIPTION in card and "127.0.0.1" in card
    assert f"{og_site.url}/og.png" not in preview  # the browser never asks the linked site
    assert (thumb.status_code, thumb["Content-Type"]) == (200, "image/jpeg")
    assert (sent.link_card.title, sent.link_card.description) == (TITLE, DESCRIPTION)
    assert sent.link_thumb.content == thumb.content  # the thumbnail shown is the one uploaded
    assert og_site.hits["/jobs"] == 1 and og_site.hits["/og.png"] == 1  # read once, by the server


def test_a_thumbnail_is_shown_to_people_who_are_signed_in_only(
    client, account, author, reviewer, og_site, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _publish(author, reviewer, image=False, link=f"{og_site.url}/jobs")
    page = LinkPage.objects.get()

    response = client.get(f"/link-cards/{page.pk}/thumb.jpg")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_first_preview_asks_for_a_card_not_read_yet(
    client, account, author, reviewer, og_site, django_capture_on_commit_callbacks
):
    url = og_site.serve("/late", b'<html><head><meta property="og:title" content="Read on first view"></head></html>')
    draft = _publish(author, reviewer, image=False, link=url)
    LinkPage.objects.all().delete()  # as for a draft published before Candor read link cards
    client.force_login(account.owner)

    with django_capture_on_commit_callbacks(execute=True):
        first = _preview(client, draft, TEXT)
    second = _preview(client, draft, TEXT)

    assert "Read on first view" not in bluesky_card(first)  # the address only, as the post would have been
    assert "Read on first view" in bluesky_card(second)


def test_a_page_that_cannot_be_read_leaves_the_address_card_and_sharing_goes_on(
    client, account, author, reviewer, og_site, django_capture_on_commit_callbacks
):
    url = f"{og_site.url}/nothing-here"
    with django_capture_on_commit_callbacks(execute=True):
        draft = _publish(author, reviewer, image=False, link=url)
    client.force_login(account.owner)

    card = bluesky_card(_preview(client, draft, TEXT))
    share = share_create(employee=account.owner, draft_id=draft.pk, account_id=account.pk, text=TEXT)
    sent = publish_request(Share.objects.get(pk=share.pk))

    assert LinkPage.objects.get().state == LinkPage.State.FAILED
    assert f'href="{url}"' in card and "<strong" in card and "127.0.0.1" in card
    assert "link-card-thumb" not in card
    assert share.state == Share.State.SCHEDULED
    assert (sent.link_card.title, sent.link_card.description, sent.link_thumb) == ("127.0.0.1", "", None)


def test_each_network_shows_the_post_as_its_own_with_the_disclosure_first(client, account, author, reviewer):
    connect(account.owner, handle="emma@social.example", network="mastodon")
    draft = _publish(author, reviewer, image=False, networks=ALL)
    client.force_login(account.owner)

    preview = _preview(client, draft, TEXT, networks=ALL)

    for network in ALL:
        post = re.search(rf'<article class="net-post net-{network}".*?</article>', preview, re.S)[0]
        text = re.search(rf'data-testid="final-text-{network}">(.*?)</div>', post, re.S)[1]
        assert text.startswith('<span class="disclosure">#employee · I work at Acme Robotics.</span>'), network
        assert '<span class="net-avatar" aria-hidden="true">E</span>' in post  # Emma's placeholder
        assert "Emma Employee" in post
    assert '<span class="net-handle">@emma.test</span>' in preview
    assert '<span class="net-handle">@emma@social.example</span>' in preview
    assert preview.count('data-testid="link-card-') == 1  # Bluesky's; the others make their own
    assert "Mastodon makes its own preview of a link in the text" in preview


def test_the_previews_are_in_the_reader_s_language(client, account, author, reviewer):
    draft = _publish(author, reviewer, image=False, networks=ALL)
    client.force_login(account.owner)

    response = client.post(
        "/preview/",
        {"text": TEXT, "draft": str(draft.pk), "network": list(ALL), "language": "en"},
        HTTP_ACCEPT_LANGUAGE="it",
    )

    assert "Mastodon crea da sé l'anteprima di un link nel testo" in response.content.decode()
