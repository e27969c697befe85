"""Small presentation filters for the portal's templates."""

from __future__ import annotations

from django import template

from advocacy.networks.registry import NETWORKS

register = template.Library()


@register.filter
def network_name(slug: str) -> str:
    """``Bluesky`` for ``bluesky``, ``X`` for ``x``: people read names, not slugs."""
    return NETWORKS.get(slug, slug)


@register.simple_tag
def signup_open() -> bool:
    """Whether people may sign up themselves (``CANDOR_SIGNUP_OPEN``)."""
    from django.conf import settings

    return bool(settings.CANDOR_SIGNUP_OPEN)
