"""Acceptance: what the share page previews is what lands on the real Bluesky PDS:
the same text, the facets that text gives, the image with its alt text, or the link
card, for a draft with a link."""

from __future__ import annotations

import html
import re

import pytest

from advocacy.drafts.content import share_post
from advocacy.ledger.connect import account_connect_bluesky
from advocacy.networks.bluesky.facets import build_facets
from advocacy.sharing import engine
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_create
from tests.linkcards.test_preview_card import bluesky_card, thumb_src
from tests.portal.test_preview_is_the_post import LINK, _offered_text, _preview, _publish
from tests.support.og_site import DESCRIPTION, TITLE

pytestmark = [pytest.mark.pds, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def on_pds(bluesky_pds, enrolled):
    handle, password, did = bluesky_pds.create_account("preview")
    app_password = bluesky_pds.create_app_password(handle, password, "Candor")
    account = account_connect_bluesky(
        actor=enrolled, handle=handle, app_password=app_password, service_url=bluesky_pds.url
    )
    return account, did


def _shown(preview: str) -> str:
    return re.sub(r"<[^>]+>", "", re.search(r'data-testid="final-text-bluesky">(.*?)</div>', preview, re.S)[1])


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "$type"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _post(client, bluesky_pds, account, did, draft, text):
    share = share_create(employee=account.owner, draft_id=draft.pk, account_id=account.pk, text=text)
    outcome = engine.share_send(share_id=share.pk)
    assert outcome.state == "sent", outcome
    (post,) = bluesky_pds.list_posts(did)
    return post["value"]


def _page_link(account) -> tuple[tuple[int, int, str], ...]:
    """The link facet over the disclosure's words to the share's public page, which the
    preview cannot show yet (the share, and so its page, does not exist until it is made)."""
    share = Share.objects.get(account=account)
    final = share_post(
        network="bluesky",
        text=share.text,
        version=share.draft_version,
        disclosure=share.disclosure,
        public_id=share.public_id,
    )
    link = final.disclosure_link
    assert link is not None and link.uri.endswith(f"/p/{share.public_id}")
    return ((link.byte_start, link.byte_end, link.uri),)


@pytest.mark.parametrize("edited_out_the_link", [False, True])
def test_with_an_image_the_record_is_the_previewed_text_facets_and_image(
    client, bluesky_pds, on_pds, author, reviewer, edited_out_the_link
):
    account, did = on_pds
    draft = _publish(author, reviewer, image=True, networks=("bluesky",))
    client.force_login(account.owner)
    text = _offered_text(client, draft)
    if edited_out_the_link:
        text = "#employee · I work at Acme Robotics.\n\nWe're hiring robot tamers."

    preview = _preview(client, draft, text, networks=("bluesky",))
    record = _post(client, bluesky_pds, account, did, draft, text)

    assert record["text"] == _shown(preview)
    # The facets are the ones the previewed text gives, and the disclosure's link to the
    # post's public page (the PDS adds $type markers).
    expected = build_facets(_shown(preview), resolve_handle=lambda h: None, links=_page_link(account))
    assert _plain(record.get("facets", [])) == _plain(expected)
    assert record["text"].count(LINK) + record["text"].count("/l/") == 1  # the link, once
    (image,) = record["embed"]["images"]
    assert re.search(rf'<img[^>]*alt="{re.escape(image["alt"])}"', preview)
    assert image["alt"] == "An orange robot"


def test_without_an_image_the_record_has_the_previewed_link_card(client, bluesky_pds, on_pds, author, reviewer):
    account, did = on_pds
    draft = _publish(author, reviewer, image=False, networks=("bluesky",))
    client.force_login(account.owner)
    text = "#employee · I work at Acme Robotics.\n\nWe're hiring robot tamers."

    preview = _preview(client, draft, text, networks=("bluesky",))
    record = _post(client, bluesky_pds, account, did, draft, text)

    assert record["text"] == html.unescape(_shown(preview))
    card = re.search(r'<a [^>]*href="([^"]+)"[^>]*data-testid="link-card-bluesky"', preview)[1]
    assert record["embed"]["$type"] == "app.bsky.embed.external"
    assert record["embed"]["external"]["uri"] == card == LINK


def test_the_record_carries_the_previewed_open_graph_card_with_its_thumbnail_blob(
    client, bluesky_pds, on_pds, author, reviewer, og_site
):
    account, did = on_pds
    url = f"{og_site.url}/jobs"
    draft = _publish(author, reviewer, image=False, networks=("bluesky",), link=url)  # a worker reads the page
    client.force_login(account.owner)
    text = "#employee · I work at Acme Robotics.\n\nWe're hiring robot tamers."

    preview = _preview(client, draft, text, networks=("bluesky",))
    card = bluesky_card(preview)
    thumb = client.get(thumb_src(card))
    record = _post(client, bluesky_pds, account, did, draft, text)

    assert record["text"] == html.unescape(_shown(preview))
    expected = build_facets(record["text"], resolve_handle=lambda h: None, links=_page_link(account))
    assert _plain(record.get("facets", [])) == _plain(expected)
    external = record["embed"]["external"]
    assert record["embed"]["$type"] == "app.bsky.embed.external"
    assert external["uri"] == url and f'href="{url}"' in card
    assert external["title"] == TITLE and TITLE in card
    assert external["description"] == DESCRIPTION and DESCRIPTION in card
    blob = external["thumb"]
    assert (blob["mimeType"], blob["size"]) == ("image/jpeg", len(thumb.content))
    assert bluesky_pds.get_blob(did, blob["ref"]["$link"]) == thumb.content
