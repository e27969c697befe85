from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from accounts.models import User
from advocacy.drafts import services as drafts
from advocacy.drafts.models import Draft


@pytest.fixture
def clock_start() -> dt.datetime:
    """A Monday morning: the weekly digest's day."""
    return dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def publish(author: User, reviewer: User) -> Callable[..., Draft]:
    """Write, review (a second person) and publish a draft."""

    def publish(title: str) -> Draft:
        draft = drafts.draft_create(
            actor=author,
            title=title,
            content=drafts.DraftContent(body=f"{title}: read all about it.", networks=["bluesky"]),
        )
        drafts.draft_submit(actor=author, draft_id=draft.pk)
        drafts.draft_approve(actor=reviewer, draft_id=draft.pk)
        return drafts.draft_publish(actor=author, draft_id=draft.pk)

    return publish
