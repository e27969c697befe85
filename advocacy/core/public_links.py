"""Addresses of the pages readers reach from a post: who is speaking, and the programme.

A post's public page is ``/p/<public id>`` on ``CANDOR_SITE_URL``. The id is random
(``new_public_id``), short, and fixed when the share is made, so the text that was
checked already carries the address the network receives.
"""

from __future__ import annotations

import secrets

from django.conf import settings

# No 0/o, 1/l/i: readers may type an address they saw on a screen.
PUBLIC_ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
PUBLIC_ID_LENGTH = 10


def new_public_id() -> str:
    return "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))


def public_page_url(*, public_id: str) -> str:
    return f"{settings.CANDOR_SITE_URL}/p/{public_id}"


def public_page_link(*, network: str, public_id: str | None) -> str:
    """The address to link from the disclosure on ``network``, or "" for none: a share
    made before public pages has no id, and X links it only when the organisation
    enables it (``CANDOR_PUBLIC_PAGE_LINK_ON_X``)."""
    if not public_id or (network == "x" and not settings.CANDOR_PUBLIC_PAGE_LINK_ON_X):
        return ""
    return public_page_url(public_id=public_id)
