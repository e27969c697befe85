"""Reads of the link-card cache, for the final post (``advocacy.compose.final_post``)."""

from __future__ import annotations

from django.urls import reverse

from advocacy.compose import LinkCard
from advocacy.linkcards.models import LinkPage


def link_card_for(*, url: str) -> LinkCard | None:
    """The card read from ``url``'s page, or None when it has not been read (yet, or
    could not be): the final post then carries the address-only card. ``thumb_url``
    is Candor's copy of the thumbnail, never the page's own address."""
    if not url:
        return None
    page = (
        LinkPage.objects.filter(url=url, state=LinkPage.State.READY)
        .only("pk", "url", "title", "description", "thumb_size", "fetched_at")
        .first()
    )
    if page is None:
        return None
    thumb_url = ""
    if page.thumb_size and page.fetched_at:
        # The version in the address lets a browser keep the image until the card is read again.
        thumb_url = f"{reverse('linkcards:thumb', args=[page.pk])}?v={int(page.fetched_at.timestamp())}"
    return LinkCard(uri=url, title=page.title, description=page.description, thumb_url=thumb_url)


def link_thumb_for(*, url: str) -> bytes | None:
    """The thumbnail's JPEG bytes, as the preview shows them, for the network client."""
    thumb = LinkPage.objects.filter(url=url, state=LinkPage.State.READY, thumb_size__gt=0).values_list(
        "thumb", flat=True
    )
    data = thumb.first()
    return bytes(data) if data else None


def link_thumb_get(*, page_id: int) -> bytes | None:
    data = LinkPage.objects.filter(pk=page_id, thumb_size__gt=0).values_list("thumb", flat=True).first()
    return bytes(data) if data else None
