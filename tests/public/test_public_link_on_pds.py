"""On the real Bluesky PDS: the posted record carries a facet on the disclosure's
words that links to the post's public page, and the text is exactly what was checked."""

from __future__ import annotations

import pytest

from advocacy.core.public_links import public_page_url
from advocacy.ledger.connect import account_connect_bluesky
from advocacy.sharing import engine
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_create
from tests.public.conftest import text_for
from tests.support.pds import PdsServer

pytestmark = pytest.mark.django_db


def send_on_pds(bluesky_pds: PdsServer, enrolled, published) -> tuple[Share, dict, str]:
    handle, password, did = bluesky_pds.create_account("pub")
    account = account_connect_bluesky(
        actor=enrolled,
        handle=handle,
        app_password=bluesky_pds.create_app_password(handle, password),
        service_url=bluesky_pds.url,
    )
    share = share_create(employee=enrolled, draft_id=published.pk, account_id=account.pk, text=text_for())
    engine.dispatch_due()
    engine.share_send(share_id=share.pk)
    share.refresh_from_db()
    assert share.state == Share.State.SENT, share.last_error
    (record,) = bluesky_pds.list_posts(did)
    return share, record, did


def link_facets(record: dict) -> list[tuple[str, str]]:
    """(the linked words, the address) for every link facet of a post record."""
    value = record.get("value", record)
    text = value["text"].encode()
    return [
        (text[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(), feature["uri"])
        for f in value.get("facets", [])
        for feature in f["features"]
        if feature["$type"] == "app.bsky.richtext.facet#link"
    ]


def test_the_posted_record_links_the_disclosure_words_to_the_public_page(bluesky_pds, enrolled, published):
    share, record, _did = send_on_pds(bluesky_pds, enrolled, published)
    value = record.get("value", record)
    assert value["text"] == share.text  # nothing added: the facet carries the link
    assert link_facets(record) == [("I work at Acme Robotics", public_page_url(public_id=share.public_id))]
    # The disclosure's tag is still a tag.
    tags = [feature for f in value["facets"] for feature in f["features"] if feature.get("tag") == "employee"]
    assert tags
