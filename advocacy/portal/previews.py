"""The per-network preview both composers show (the employee's share page and the comms
draft form): one entry per network, rendered by ``portal/_preview.html``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from advocacy.compose import FinalPost
from advocacy.drafts.content import PostCheck
from advocacy.networks.registry import NETWORKS


def preview_entry(*, post: FinalPost, check: PostCheck, disclosure: str) -> dict[str, Any]:
    """One network's preview: the post it receives, its counter and problems. ``body``
    is the text after the disclosure (the template marks the disclosure), or None when
    the text does not start with it (the problems then say why)."""
    body = post.text[len(disclosure) :] if post.text.startswith(disclosure) else None
    return {"name": NETWORKS[post.network], "check": check, "post": post, "body": body}


def previews_render(
    request: HttpRequest, *, previews: Sequence[dict[str, Any]], disclosure: str, image_url: str = ""
) -> HttpResponse:
    return render(
        request, "portal/_preview.html", {"previews": previews, "disclosure": disclosure, "image_url": image_url}
    )
