"""The exact post a network receives, built once for the preview, the checks and the
network client alike, so that what was checked is what is posted.

A share's text is what the employee approved on the share page. What a network adds
around it is decided here and nowhere else:

* Bluesky: a draft link missing from the text becomes a link card
  (``app.bsky.embed.external``, titled with the host name) when there is no image;
  with an image (a post has one embed, and the image keeps its alt text) the link is
  added to the text on its own line, so it counts towards the 300 graphemes.
* Mastodon, X, LinkedIn: the text is posted as it is; a link the employee removed
  stays removed.

Rich-text facets (Bluesky's clickable links, tags and mentions) are derived by the
client from ``FinalPost.text`` alone, so they always address the text that was checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["FinalPost", "LinkCard", "final_post"]


@dataclass(frozen=True)
class LinkCard:
    uri: str
    title: str


@dataclass(frozen=True)
class FinalPost:
    network: str
    text: str  # exactly what the network receives as the post's text
    link_card: LinkCard | None = None
    has_image: bool = False
    image_alt: str = ""


def final_post(*, network: str, text: str, link: str = "", has_image: bool = False, image_alt: str = "") -> FinalPost:
    """What ``network`` receives for ``text`` with the draft's ``link`` and image.

    Idempotent: building again from a final post's text gives the same post, so a
    client may call it on text the engine already built.
    """
    link = link.strip()
    card = None
    if network == "bluesky" and link and link not in text:
        if has_image:
            text = f"{text.rstrip()}\n\n{link}"
        else:
            card = LinkCard(uri=link, title=urlsplit(link).hostname or link)
    return FinalPost(network=network, text=text, link_card=card, has_image=has_image, image_alt=image_alt)
