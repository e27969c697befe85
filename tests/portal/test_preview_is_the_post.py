"""The share page's preview is the post: the same text (a link once, never twice), the
image with its alt text, and the link card that each network receives."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from advocacy.drafts import services as drafts
from advocacy.sharing.engine.request import publish_request
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_create

pytestmark = pytest.mark.django_db

LINK = "https://acme.example/jobs"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "orange").save(out, "PNG")
    return SimpleUploadedFile("robot.png", out.getvalue(), content_type="image/png")


def _publish(author, reviewer, *, image: bool, networks=("bluesky", "mastodon"), link=LINK):
    draft = drafts.draft_create(
        actor=author,
        title="Hiring",
        content=drafts.DraftContent(
            body="We're hiring robot tamers.",
            networks=list(networks),
            link=link,
            image=_png() if image else None,
            image_alt="An orange robot" if image else "",
        ),
    )
    drafts.draft_submit(actor=author, draft_id=draft.pk)
    drafts.draft_approve(actor=reviewer, draft_id=draft.pk)
    drafts.draft_publish(actor=author, draft_id=draft.pk)
    draft.refresh_from_db()
    return draft


def _offered_text(client, draft) -> str:
    page = client.get(f"/feed/{draft.pk}/share/").content.decode()
    return html.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)[1])


def _preview(client, draft, text, networks=("bluesky", "mastodon")) -> str:
    response = client.post(
        "/preview/", {"text": text, "draft": str(draft.pk), "network": list(networks), "language": "en"}
    )
    return html.unescape(response.content.decode())


def test_a_post_with_a_link_and_an_image_carries_the_link_once(client, account, author, reviewer):
    draft = _publish(author, reviewer, image=True)
    client.force_login(account.owner)
    text = _offered_text(client, draft)

    share = share_create(employee=account.owner, draft_id=draft.pk, account_id=account.pk, text=text)
    sent = publish_request(Share.objects.get(pk=share.pk))

    assert "/l/" in sent.text  # the tracked link the composer offered
    assert LINK not in sent.text  # and not the raw link after it
    assert sent.link is None  # nor a card: the text already links
    assert sent.image is not None and sent.image.alt_text == "An orange robot"


def test_the_preview_shows_the_posted_text_and_the_image_with_its_alt_text(client, account, author, reviewer):
    draft = _publish(author, reviewer, image=True)
    client.force_login(account.owner)
    text = _offered_text(client, draft)
    share = share_create(employee=account.owner, draft_id=draft.pk, account_id=account.pk, text=text)
    posted = publish_request(Share.objects.get(pk=share.pk)).text

    preview = _preview(client, draft, text)
    shown = re.search(r'data-testid="final-text-bluesky">(.*?)</div>', preview, re.S)[1]

    assert re.sub(r"<[^>]+>", "", shown) == posted
    assert preview.count(LINK) == 0
    image = re.search(r'<img[^>]*data-testid="image-bluesky"[^>]*>', preview)[0]
    assert 'alt="An orange robot"' in image
    assert draft.published_version.image.url in image
    assert "An orange robot" in preview


def test_a_link_removed_from_the_text_joins_it_on_bluesky_and_the_preview_shows_where(
    client, account, author, reviewer
):
    draft = _publish(author, reviewer, image=True)
    client.force_login(account.owner)
    text = "#employee · I work at Acme Robotics.\n\nWe're hiring robot tamers."

    preview = _preview(client, draft, text)
    bluesky = re.search(r'data-testid="final-text-bluesky">(.*?)</div>', preview, re.S)[1]
    mastodon = re.search(r'data-testid="final-text-mastodon">(.*?)</div>', preview, re.S)[1]

    assert bluesky.endswith(f"\n\n{LINK}")
    assert LINK not in mastodon


def test_without_an_image_the_preview_shows_the_link_card_bluesky_receives(client, account, author, reviewer):
    draft = _publish(author, reviewer, image=False)
    client.force_login(account.owner)
    text = "#employee · I work at Acme Robotics.\n\nWe're hiring robot tamers."

    preview = _preview(client, draft, text)
    share = share_create(employee=account.owner, draft_id=draft.pk, account_id=account.pk, text=text)
    sent = publish_request(Share.objects.get(pk=share.pk))

    card = re.search(r'<a [^>]*data-testid="link-card-bluesky".*?</a>', preview, re.S)[0]
    assert f'href="{LINK}"' in card
    assert "acme.example" in card
    assert sent.link == LINK  # the card, as the client will build it
    assert 'data-testid="link-card-mastodon"' not in preview
