"""Celery interface of the link cards: thin, named, idempotent, IDs only."""

from __future__ import annotations

from functools import partial

from celery import shared_task
from django.db import transaction

from advocacy.linkcards import services


@shared_task(name="linkcards.read_page", ignore_result=True)
def read_page(page_id: int) -> bool:
    page = services.link_page_read(page_id=page_id)
    return page is not None and page.state == page.State.READY


def link_card_request(*, url: str) -> None:
    """Have ``url``'s card read by a worker after commit, unless it is fresh or being
    read. Cheap and safe to call on every preview; never waits for the page."""
    page_id = services.link_page_request(url=url)
    if page_id is not None:
        transaction.on_commit(partial(read_page.delay, page_id))
