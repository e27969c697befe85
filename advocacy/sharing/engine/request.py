"""What the network receives for a share: the final post (``share_post``, the one the
pre-send checks measured and the preview showed) as a ``PublishRequest``."""

from __future__ import annotations

from advocacy.compose import FinalPost
from advocacy.core.public_links import public_page_link
from advocacy.drafts.content import share_post
from advocacy.linkcards.selectors import link_thumb_for
from advocacy.networks import base as net
from advocacy.sharing.models import Share


def final_post(share: Share) -> FinalPost:
    return share_post(
        network=share.network,
        text=share.text,
        version=share.draft_version,
        disclosure=share.disclosure,
        public_id=share.public_id,
    )


def publish_request(share: Share) -> net.PublishRequest:
    """The final post (``final_post``), the one the pre-send checks checked, as a request."""
    version = share.draft_version
    post = final_post(share)
    image = None
    if version.image:
        with version.image.open("rb") as handle:
            content = handle.read()
        mime = "image/jpeg" if version.image.name.endswith(".jpg") else f"image/{version.image.name.rsplit('.', 1)[-1]}"
        image = net.MediaAttachment(content=content, mime_type=mime, alt_text=post.image_alt)
    return net.PublishRequest(
        text=post.text,
        idempotency_key=share.idempotency_key,
        # The link the network still has to add (as a card), as the final post decided:
        # a link already in the text, or stood for by a tracked link, is not added twice.
        link=post.link_card.uri if post.link_card else None,
        link_card=post.link_card,
        link_thumb=_link_thumb(post),
        image=image,
        language=share.language,
        disclosure=share.disclosure,
        page_url=public_page_link(network=share.network, public_id=share.public_id),
    )


def _link_thumb(post: FinalPost) -> net.MediaAttachment | None:
    """The thumbnail the preview showed for the card, as its bytes (None without one)."""
    if post.link_card is None or not post.link_card.thumb_url:
        return None
    data = link_thumb_for(url=post.link_card.uri)
    return net.MediaAttachment(content=data, mime_type="image/jpeg") if data else None
