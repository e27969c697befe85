"""Writes of the link-card cache. Derived data about public pages, so no audit event:
what was posted, card included, is audited with the share (``share.sent``)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from advocacy.linkcards.fetch import FetchRefused, Limits
from advocacy.linkcards.models import LinkPage
from advocacy.linkcards.opengraph import Card, read_card

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3
MAX_URL = 500  # LinkPage.url, as long as a draft's link can be
# A page that could not be read is tried again after this long, not on every preview.
RETRY_AFTER = dt.timedelta(hours=1)
# A read asked for but not finished (a worker that died) may be asked for again after this.
READ_GRACE = dt.timedelta(minutes=2)


def limits(*, max_bytes: int) -> Limits:
    return Limits(
        timeout=float(settings.CANDOR_LINK_CARD_TIMEOUT_SECONDS),
        max_bytes=max_bytes,
        max_redirects=MAX_REDIRECTS,
        allow_loopback=settings.CANDOR_LINK_CARD_ALLOW_LOOPBACK,
    )


@transaction.atomic
def link_page_request(*, url: str) -> int | None:
    """Claim a read of ``url``'s card: the page's id when it should be read now (never
    read, or expired, and no read started in the last ``READ_GRACE``), else None.
    The caller enqueues the read after commit (``tasks.link_card_request``)."""
    url = url.strip()
    if not url.startswith(("http://", "https://")) or len(url) > MAX_URL:
        return None
    now = timezone.now()
    page, created = LinkPage.objects.get_or_create(url=url, defaults={"requested_at": now, "expires_at": now})
    if created:
        return page.pk
    if page.expires_at > now:
        return None
    claimed = LinkPage.objects.filter(pk=page.pk, requested_at__lt=now - READ_GRACE).update(requested_at=now)
    return page.pk if claimed else None


def link_page_read(*, page_id: int) -> LinkPage | None:
    """Read the page (outside any transaction: it waits on the network) and store its
    card. Idempotent: a page read since it expired is left alone. A failed read keeps
    the card read before, if any, and is tried again after ``RETRY_AFTER``."""
    page = LinkPage.objects.filter(pk=page_id).defer("thumb").first()
    if page is None or page.expires_at > page.requested_at:  # read (or tried) since it was asked for
        return page
    try:
        card = read_card(
            page.url,
            page_limits=limits(max_bytes=settings.CANDOR_LINK_CARD_MAX_PAGE_BYTES),
            image_limits=limits(max_bytes=settings.CANDOR_LINK_CARD_MAX_IMAGE_BYTES),
        )
    except FetchRefused as exc:
        log.info("link card for %s not read: %s", page.url, exc)
        _store_failure(page_id=page.pk, problem=str(exc))
    else:
        _store_card(page_id=page.pk, card=card)
    return LinkPage.objects.filter(pk=page_id).defer("thumb").first()


@transaction.atomic
def _store_card(*, page_id: int, card: Card) -> None:
    now = timezone.now()
    LinkPage.objects.filter(pk=page_id).update(
        state=LinkPage.State.READY,
        title=card.title,
        description=card.description,
        thumb=card.thumb,
        thumb_size=len(card.thumb or b""),
        problem=card.problem[:300],
        fetched_at=now,
        expires_at=now + dt.timedelta(hours=settings.CANDOR_LINK_CARD_HOURS),
    )


@transaction.atomic
def _store_failure(*, page_id: int, problem: str) -> None:
    # The state stays READY when a card was read before: a stale card beats none.
    LinkPage.objects.filter(pk=page_id).exclude(state=LinkPage.State.READY).update(state=LinkPage.State.FAILED)
    LinkPage.objects.filter(pk=page_id).update(problem=problem[:300], expires_at=timezone.now() + RETRY_AFTER)
