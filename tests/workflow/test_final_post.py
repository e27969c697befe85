"""What was checked is what is posted: the disclosure stands alone on the first line,
nothing hidden anywhere in the text, and every network receives exactly the text the
share check measured and the share page showed."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from advocacy.core.errors import ValidationFailed
from advocacy.drafts.models import DraftVersion
from advocacy.ledger.connect import account_connect_bluesky
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_create

pytestmark = pytest.mark.django_db

DISCLOSURE = "#employee · I work at Acme Robotics."
BODY = "Proud of the team: our new lab is open!"


@pytest.mark.parametrize("separator", [" ", "\x0b", "\x1c", "\x1f", "\x85", "\u2028"])
def test_a_share_with_text_on_the_disclosure_line_is_refused(enrolled, published_draft, account, separator):
    text = f"{DISCLOSURE}{separator}just kidding! {BODY}"

    with pytest.raises(ValidationFailed) as refused:
        share_create(employee=enrolled, draft_id=published_draft.pk, account_id=account.pk, text=text)

    assert refused.value.code == "disclosure_not_alone"
    assert "stand alone on the first line" in refused.value.message
    assert not Share.objects.exists()


@pytest.mark.parametrize("hidden", ["\U000e0041", "\u3164", "\u115f", "\u200b", "\u202e"])
def test_a_share_with_hidden_characters_in_the_body_is_refused(enrolled, published_draft, account, hidden):
    text = f"{DISCLOSURE}\n\nProud of the team{hidden}: our new lab is open!"

    with pytest.raises(ValidationFailed) as refused:
        share_create(employee=enrolled, draft_id=published_draft.pk, account_id=account.pk, text=text)

    assert refused.value.code == "hidden_in_text"
    assert "must not contain hidden characters" in refused.value.message


def test_a_share_with_an_emoji_family_and_a_flag_is_accepted(enrolled, published_draft, account):
    text = f"{DISCLOSURE}\n\nThe whole team 👨\u200d👩\u200d👧\u200d👦 🏳️\u200d🌈 🇮🇹 came!"

    share = share_create(employee=enrolled, draft_id=published_draft.pk, account_id=account.pk, text=text)

    assert share.text == text


# --- the link a network adds is counted, and posted as previewed ---------------------------

LINK = "https://careers.acme.example/turin-robotics-lab"


def _png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 120, 200)).save(out, "PNG")
    return SimpleUploadedFile("lab.png", out.getvalue(), content_type="image/png")


@pytest.fixture
def draft_with_image_and_link(make_published_draft):
    return make_published_draft(
        body=f"Our Turin lab is open. {LINK}",
        link=LINK,
        networks=["bluesky"],
        image=_png(),
        image_alt="The new lab, with two robot arms",
    )


def _text_of(graphemes: int) -> str:
    """A share of the draft without its link, exactly ``graphemes`` long."""
    head = f"{DISCLOSURE}\n\n"
    return head + "a" * (graphemes - len(head))


def test_a_share_that_fits_only_without_the_added_link_is_refused_at_share_time(
    enrolled, account, draft_with_image_and_link
):
    """Bluesky adds the draft's link to the text when the post has an image: 290 + the
    link is over 300, so the share is refused now, not at publish time."""
    with pytest.raises(ValidationFailed) as refused:
        share_create(
            employee=enrolled, draft_id=draft_with_image_and_link.pk, account_id=account.pk, text=_text_of(290)
        )

    assert refused.value.code == "too_long"
    assert "Too long for Bluesky: 339 of 300 graphemes" in refused.value.message
    assert "the draft's link is added to the text" in refused.value.message
    assert not Share.objects.exists()


def test_a_post_with_an_image_is_refused_at_share_time_where_the_network_takes_no_images(
    enrolled, connect, draft_with_image_and_link
):
    """Drafts with an image can no longer target X or LinkedIn; one saved before that
    rule is refused when shared, not failed at send time."""
    version = draft_with_image_and_link.published_version
    DraftVersion.objects.filter(pk=version.pk).update(networks=["bluesky", "x"])  # a draft from before the rule
    x_account = connect(enrolled, network="x", handle="emma_x")

    with pytest.raises(ValidationFailed) as refused:
        share_create(
            employee=enrolled, draft_id=draft_with_image_and_link.pk, account_id=x_account.pk, text=_text_of(100)
        )

    assert refused.value.code == "image_not_supported"
    assert "Candor cannot attach images to X posts yet" in refused.value.message
    assert not Share.objects.exists()


def test_the_share_page_preview_counts_the_added_link(client, enrolled, draft_with_image_and_link):
    client.force_login(enrolled)

    page = client.post(
        "/preview/", {"text": _text_of(290), "network": ["bluesky"], "draft": draft_with_image_and_link.pk}
    ).content.decode()

    assert "339 / 300" in page
    assert LINK in page
    assert "The new lab, with two robot arms" in page


def _previewed_text(client, *, text: str, draft_id: int) -> str:
    page = client.post("/preview/", {"text": text, "network": ["bluesky"], "draft": draft_id}).content.decode()
    shown = re.search(r'data-testid="final-text-bluesky">(.*?)</div>', page, re.S)
    assert shown is not None, page
    return html.unescape(re.sub(r"<[^>]+>", "", shown.group(1)))


@pytest.mark.pds
@pytest.mark.django_db(transaction=True)
def test_a_share_that_passes_is_posted_exactly_as_previewed(client, enrolled, bluesky_pds, make_published_draft):
    draft = make_published_draft(
        body=f"Our Turin lab is open. {LINK}",
        link=LINK,
        networks=["bluesky"],
        image=_png(),
        image_alt="The new lab, with two robot arms",
    )
    handle, password, did = bluesky_pds.create_account("emma")
    account = account_connect_bluesky(
        actor=enrolled,
        handle=handle,
        app_password=bluesky_pds.create_app_password(handle, password),
        service_url=bluesky_pds.url,
    )
    text = _text_of(240)  # the link removed by the employee; 240 + 2 + 47 fits
    client.force_login(enrolled)
    previewed = _previewed_text(client, text=text, draft_id=draft.pk)

    # Due now: on commit the (eager) dispatcher claims it and the worker sends it.
    share = share_create(employee=enrolled, draft_id=draft.pk, account_id=account.pk, text=text)

    share.refresh_from_db()
    assert share.state == Share.State.SENT, share.last_error
    (post,) = bluesky_pds.list_posts(did)
    assert post["value"]["text"] == previewed == f"{text}\n\n{LINK}"
    (image,) = post["value"]["embed"]["images"]
    assert image["alt"] == "The new lab, with two robot arms"
