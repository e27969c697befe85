"""What the "My accounts" page offers for each network, worked out from settings and
the session so the page view itself stays unaware of OAuth plumbing.

``{% network_connect_options as networks %}`` lists Mastodon, LinkedIn and X with
whether they can be connected here; ``{% mastodon_pending as pending %}`` is the
authorization a person started but has not finished (see ``connect_views``)."""

from __future__ import annotations

from typing import Any

from django import template

from advocacy.portal import connect_views

register = template.Library()


@register.simple_tag(takes_context=True)
def network_connect_options(context: template.Context) -> list[connect_views.NetworkOption]:
    return connect_views.network_options(context["request"])


@register.simple_tag(takes_context=True)
def mastodon_pending(context: template.Context) -> dict[str, Any] | None:
    return connect_views.mastodon_pending(context["request"])
