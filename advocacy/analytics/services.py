"""Writes for analytics: minting tracked links and counting clicks on them."""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from advocacy.analytics.models import LINK_NETWORK_CHOICES, LinkClickDaily, TrackedLink
from advocacy.drafts.models import Draft

# No 0/O or 1/l/I: codes are sometimes read aloud or typed from a screenshot.
CODE_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
UTM_MEDIUM = "employee_advocacy"
_NETWORKS = {key for key, _ in LINK_NETWORK_CHOICES}


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def utm_campaign_for(draft: Draft) -> str:
    if draft.campaign is not None:  # no query when campaign_id is None
        slug = slugify(draft.campaign.name)
        if slug:
            return slug
    return f"draft-{draft.pk}"


def with_utm(url: str, *, source: str, campaign: str) -> str:
    """``url`` with utm_source/utm_medium/utm_campaign set (replacing any already
    there); every other query parameter and the fragment are kept as they were."""
    parts = urlsplit(url)
    ours = {"utm_source": source, "utm_medium": UTM_MEDIUM, "utm_campaign": campaign}
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ours]
    return urlunsplit(parts._replace(query=urlencode([*query, *ours.items()])))


def short_url(link: TrackedLink) -> str:
    return f"{settings.CANDOR_SITE_URL}/l/{link.code}"


def tracked_link_ensure(*, draft: Draft, network: str) -> TrackedLink | None:
    """The tracked link for the draft's current link on ``network`` ("all" for a post
    that serves every network), made on first use. None when the draft has no link."""
    if network not in _NETWORKS:
        raise ValueError(f"Unknown network {network!r}.")
    version = draft.published_version or draft.working_version
    if version is None or not version.link:
        return None
    target = with_utm(version.link, source=network, campaign=utm_campaign_for(draft))
    for _attempt in range(5):
        existing = TrackedLink.objects.filter(draft=draft, network=network, target_url=target).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return TrackedLink.objects.create(code=_new_code(), draft=draft, network=network, target_url=target)
        except IntegrityError:
            # Someone made the same link a moment ago (found on the next pass), or the
            # random code was taken (a new one is drawn).
            continue
    raise RuntimeError("Could not allocate a tracked link code.")


def tracked_url(*, draft: Draft, network: str) -> str:
    """Absolute short URL (``{CANDOR_SITE_URL}/l/<code>``) to put in a post instead of
    the draft's link; idempotent per draft and network. Empty when the draft has no link."""
    link = tracked_link_ensure(draft=draft, network=network)
    return short_url(link) if link is not None else ""


def link_click_count(*, link_id: int, day: dt.date | None = None) -> None:
    """Add one click to the link's counter for the day (UTC). Atomic under concurrency:
    an ``UPDATE … SET clicks = clicks + 1``, or the day's row created with 1."""
    day = day or timezone.now().astimezone(dt.UTC).date()
    counter = LinkClickDaily.objects.filter(link_id=link_id, day=day)
    if counter.update(clicks=F("clicks") + 1):
        return
    try:
        with transaction.atomic():
            LinkClickDaily.objects.create(link_id=link_id, day=day, clicks=1)
    except IntegrityError:
        counter.update(clicks=F("clicks") + 1)
