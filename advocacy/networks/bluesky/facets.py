"""Rich-text facets for Bluesky posts: links, @mentions and #hashtags.

Bluesky shows a link, mention or tag as clickable only when the post carries a
facet for it, and facets address the text by UTF-8 **byte** offsets, not by
characters. Detection reuses the atproto SDK's port of the official
``@atproto/api`` rules, so what we mark up matches what the Bluesky app would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from atproto_client import models
from atproto_client.utils.facet_detection import detect_facets, detect_mentions

Facet = dict[str, Any]
HandleResolver = Callable[[str], str | None]


def build_facets(
    text: str, resolve_handle: HandleResolver | None = None, *, links: tuple[tuple[int, int, str], ...] = ()
) -> list[Facet]:
    """Return lexicon-ready facet dicts for ``text``, sorted by byte offset.

    ``resolve_handle`` maps a handle (without ``@``) to a DID, or ``None`` when it
    does not resolve. A mention needs a DID, so without a resolver, or for a handle
    that does not resolve, the mention stays plain text.

    ``links`` are ``(byte_start, byte_end, uri)`` links decided by the final post (the
    disclosure's link to the post's public page); a detected facet overlapping one is
    dropped, as facets must not overlap.
    """
    facets = [_facet(start, end, {"$type": "app.bsky.richtext.facet#link", "uri": uri}) for start, end, uri in links]
    facets += [
        facet
        for facet in (_to_dict(detected) for detected in detect_facets(text))
        if not any(_overlaps(facet, start, end) for start, end, _uri in links)
    ]
    if resolve_handle is not None:
        dids: dict[str, str | None] = {}
        for mention in detect_mentions(text):
            handle = mention.handle.lower()
            if handle not in dids:
                dids[handle] = resolve_handle(handle)
            did = dids[handle]
            if did:
                feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
                facets.append(_facet(mention.byte_start, mention.byte_end, feature))
    return sorted(facets, key=lambda facet: facet["index"]["byteStart"])


def _to_dict(facet: models.AppBskyRichtextFacet.Main) -> Facet:
    features = [
        {"$type": "app.bsky.richtext.facet#link", "uri": feature.uri}
        if isinstance(feature, models.AppBskyRichtextFacet.Link)
        else {"$type": "app.bsky.richtext.facet#tag", "tag": feature.tag}
        for feature in facet.features
    ]
    index = {"byteStart": facet.index.byte_start, "byteEnd": facet.index.byte_end}
    return {"index": index, "features": features}


def _overlaps(facet: Facet, start: int, end: int) -> bool:
    return facet["index"]["byteStart"] < end and start < facet["index"]["byteEnd"]


def _facet(byte_start: int, byte_end: int, feature: dict[str, Any]) -> Facet:
    return {"index": {"byteStart": byte_start, "byteEnd": byte_end}, "features": [feature]}
