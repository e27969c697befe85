"""A page's card from its Open Graph tags (``og:title``, ``og:description``,
``og:image``), with the Twitter and plain HTML tags as fall-backs, and its thumbnail
re-encoded by Pillow: a file Candor made, never the page's own bytes, small enough for
Bluesky's blob limit for a card's thumbnail (1,000,000 bytes)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.html
from lxml.etree import ParserError
from PIL import Image, UnidentifiedImageError

from advocacy.linkcards.fetch import Fetched, FetchRefused, Limits, fetch

MAX_TITLE = 300
MAX_DESCRIPTION = 1000
THUMB_SIDE = 1000  # pixels, the longer side
THUMB_MAX_BYTES = 950_000  # under Bluesky's 1,000,000-byte limit for a card's thumbnail
MAX_PIXELS = 40_000_000  # a larger image is refused before it is decoded (decompression bombs)
HTML_TYPES = ("text/html", "application/xhtml+xml")
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


@dataclass(frozen=True)
class PageCard:
    url: str
    title: str
    description: str
    image_url: str


@dataclass(frozen=True)
class Card:
    title: str
    description: str
    thumb: bytes | None  # JPEG
    problem: str = ""  # why there is no thumbnail, when the page named one


def read_card(url: str, *, page_limits: Limits, image_limits: Limits) -> Card:
    """The card for ``url``. Raises ``FetchRefused`` when the page cannot be read; an
    image that cannot be read only leaves the card without a thumbnail."""
    page = parse_page(fetch(url, limits=page_limits, accept=HTML_TYPES))
    if not page.image_url:
        return Card(title=page.title, description=page.description, thumb=None)
    try:
        image = fetch(page.image_url, limits=image_limits, accept=IMAGE_TYPES)
        thumb = reencode(image.body)
    except FetchRefused as exc:
        return Card(title=page.title, description=page.description, thumb=None, problem=f"image: {exc}")
    return Card(title=page.title, description=page.description, thumb=thumb)


def parse_page(page: Fetched) -> PageCard:
    """Title, description and image address from a fetched HTML page."""
    try:
        parser = lxml.html.HTMLParser(encoding=page.charset) if page.charset else None
        root = lxml.html.document_fromstring(page.body, parser=parser)
    except (ParserError, LookupError, ValueError) as exc:
        raise FetchRefused("the page is not readable HTML") from exc
    tags: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if key and content and key not in tags:
            tags[key] = content
    heading = root.findtext(".//title") or ""
    title = tags.get("og:title") or tags.get("twitter:title") or heading
    description = tags.get("og:description") or tags.get("twitter:description") or tags.get("description") or ""
    image = tags.get("og:image:secure_url") or tags.get("og:image") or tags.get("twitter:image") or ""
    return PageCard(
        url=page.url,
        title=_squeeze(title, MAX_TITLE),
        description=_squeeze(description, MAX_DESCRIPTION),
        image_url=urljoin(page.url, image) if image else "",
    )


def reencode(data: bytes) -> bytes:
    """A JPEG of at most ``THUMB_SIDE`` pixels a side and ``THUMB_MAX_BYTES``, from any
    image Pillow reads; transparency becomes white. Raises ``FetchRefused``."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise FetchRefused(f"the image is larger than {MAX_PIXELS} pixels")
            image.draft("RGB", (THUMB_SIDE, THUMB_SIDE))  # JPEG: decode at a smaller scale
            image.thumbnail((THUMB_SIDE, THUMB_SIDE))
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as exc:
        raise FetchRefused("the image could not be read") from exc
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    for quality in (85, 70, 55, 40):
        out = io.BytesIO()
        flat.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= THUMB_MAX_BYTES:
            return out.getvalue()
    raise FetchRefused("the image stays too large after re-encoding")


def _squeeze(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[: limit - 1].rstrip()}…"
