"""The exact post a network receives, built once for the preview, the checks and the
network client alike, so that what was checked is what is posted.

A share's text is what the employee approved on the share page. What a network adds
around it is decided here and nowhere else:

* Bluesky: a draft link missing from the text becomes a link card
  (``app.bsky.embed.external``) when there is no image: the ``card`` the server read
  from the page's Open Graph tags (title, description, thumbnail) when the caller has
  one for that link, else titled with the host name;
  with an image (a post has one embed, and the image keeps its alt text) the link is
  added to the text on its own line, so it counts towards the 300 graphemes.
* Mastodon, X, LinkedIn: the text is posted as it is; a link the employee removed
  stays removed.

The post's public page (``page_url``, ``/p/<short id>``: who is speaking) is linked
from the disclosure, so the disclosure itself stays first and readable without it:

* Bluesky: a link facet over the disclosure's words ("I work at …"), or its tag when
  it has no words; the text is unchanged, so nothing is added to the length.
* Mastodon, LinkedIn, and X when the organisation enables it (the caller decides and
  passes ``page_url`` only then): the address joins the disclosure line, after a
  space, and is counted in the length like any other link (23 on Mastodon and X).
  ``FinalPost.disclosure_line`` is then the first line as it must be checked.

Rich-text facets (Bluesky's clickable links, tags and mentions) are derived by the
client from ``FinalPost.text`` alone, so they always address the text that was checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["DisclosureLink", "FinalPost", "LinkCard", "final_post"]

# Networks where the public page's address is written into the disclosure line.
_LINE_LINK_NETWORKS = frozenset({"mastodon", "linkedin", "x"})
_SEPARATOR = re.compile(r"\s+[·•|]\s+")


@dataclass(frozen=True)
class LinkCard:
    """A Bluesky link card. ``thumb_url`` is where Candor serves its copy of the
    thumbnail (the bytes the network client uploads); "" when there is none."""

    uri: str
    title: str
    description: str = ""
    thumb_url: str = ""


@dataclass(frozen=True)
class DisclosureLink:
    """A Bluesky link facet over part of the disclosure, by UTF-8 byte offsets."""

    byte_start: int
    byte_end: int
    uri: str


@dataclass(frozen=True)
class FinalPost:
    network: str
    text: str  # exactly what the network receives as the post's text
    link_card: LinkCard | None = None
    has_image: bool = False
    image_alt: str = ""
    # The first line the checks compare with: the disclosure, with the public page's
    # address after it where the network shows it there; "" when nothing was added.
    disclosure_line: str = ""
    disclosure_link: DisclosureLink | None = None


def final_post(
    *,
    network: str,
    text: str,
    link: str = "",
    has_image: bool = False,
    image_alt: str = "",
    disclosure: str = "",
    page_url: str = "",
    card: LinkCard | None = None,
) -> FinalPost:
    """What ``network`` receives for ``text`` with the draft's ``link`` and image.

    With ``disclosure`` and ``page_url`` the public page is linked from the disclosure
    (see the module's notes), but only when ``text`` starts with the disclosure on its
    own line: a text that does not is left alone, so the checks name what is wrong.

    ``card`` is what the server read from ``link``'s page; it is used only when it is
    for ``link``, so a stale card for another address cannot ride along.

    Idempotent: building again from a final post's text gives the same post, so a
    client may call it on text the engine already built.
    """
    link = link.strip()
    page_url = page_url.strip()
    line, facet = "", None
    if disclosure and page_url:
        text, line, facet = _link_disclosure(network=network, text=text, disclosure=disclosure, page_url=page_url)
    link_card = None
    if network == "bluesky" and link and link not in text:
        if has_image:
            text = f"{text.rstrip()}\n\n{link}"
        else:
            link_card = _card_for(link, card)
    return FinalPost(
        network=network,
        text=text,
        link_card=link_card,
        has_image=has_image,
        image_alt=image_alt,
        disclosure_line=line,
        disclosure_link=facet,
    )


def _card_for(link: str, card: LinkCard | None) -> LinkCard:
    host = urlsplit(link).hostname or link
    if card is None or card.uri != link:
        return LinkCard(uri=link, title=host)
    return LinkCard(uri=link, title=card.title or host, description=card.description, thumb_url=card.thumb_url)


def _link_disclosure(
    *, network: str, text: str, disclosure: str, page_url: str
) -> tuple[str, str, DisclosureLink | None]:
    first, newline, rest = text.partition("\n")
    if network == "bluesky":
        if first.rstrip(" \t") != disclosure:
            return text, "", None
        start, end = _linked_part(disclosure)
        return text, "", DisclosureLink(_bytes(disclosure[:start]), _bytes(disclosure[:end]), page_url)
    if network not in _LINE_LINK_NETWORKS:
        return text, "", None
    line = f"{disclosure} {page_url}"
    if first.rstrip(" \t") == line:  # built before: the engine's text, built again by a client
        return text, line, None
    if first.rstrip(" \t") != disclosure:
        return text, "", None
    return f"{line}{newline}{rest}", line, None


def _linked_part(disclosure: str) -> tuple[int, int]:
    """Where the facet goes: the longest part between "·" separators that is words
    rather than a hashtag ("I work at Acme", without the full stop); else the first tag;
    else the whole disclosure."""
    parts, at = [], 0
    for match in [*_SEPARATOR.finditer(disclosure), None]:
        end = match.start() if match else len(disclosure)
        parts.append((at, end))
        at = match.end() if match else at
    words = [(s, e) for s, e in parts if not disclosure[s:e].startswith("#") and re.search(r"\w", disclosure[s:e])]
    if words:
        start, end = max(words, key=lambda span: span[1] - span[0])
        while end > start and not disclosure[end - 1].isalnum():
            end -= 1
        return start, end
    tag = re.search(r"#\w+", disclosure)
    return (tag.start(), tag.end()) if tag else (0, len(disclosure))


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))
