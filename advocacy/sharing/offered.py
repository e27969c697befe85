"""The text an employee is offered for a published draft, network by network: what
the composer shows first, what "Share as is" sends, and what the demo's people share.
Domain code, so that the portal, the API and the demo seed build it the same way."""

from __future__ import annotations

from collections.abc import Iterable

from advocacy.analytics.models import ALL_NETWORKS
from advocacy.analytics.services import tracked_url
from advocacy.drafts.content import final_text
from advocacy.drafts.models import Draft
from advocacy.program.selectors import disclosure_for


def approved_text(*, draft: Draft, network: str = "") -> str:
    """The text the composer offers for a published draft on ``network`` (its variant
    there, if comms wrote one; without a network, the main text): disclosure first,
    the body, the draft's link as its tracked short link."""
    version = draft.published_version
    assert version is not None  # the feed holds published drafts only
    disclosure = disclosure_for(language=version.language)
    link = tracked_url(draft=draft, network=ALL_NETWORKS)
    body = version.body_for(network) if network else version.body
    if link and version.link:
        body = body.replace(version.link, link)
    return final_text(disclosure=disclosure, body=body, link=link)


def texts_as_offered(*, draft: Draft, text: str, networks: Iterable[str]) -> dict[str, str]:
    """The text each network gets when the employee shares ``text``: left as offered
    (the main text), each network gets its own approved variant; edited, the edit goes
    to every network (the composer has one text box)."""
    if text != approved_text(draft=draft):
        return dict.fromkeys(networks, text)
    return {network: approved_text(draft=draft, network=network) for network in networks}
