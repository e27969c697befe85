"""Small presentation filters for the portal's templates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

from advocacy.drafts.audience import audience_summary
from advocacy.networks.registry import NETWORKS

if TYPE_CHECKING:
    from advocacy.drafts.models import DraftVersion

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


@register.filter
def audience(version: DraftVersion) -> str:
    """Who a draft version is meant for, in words."""
    return audience_summary(version)
