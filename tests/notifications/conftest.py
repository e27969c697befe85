from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from accounts.models import User
from advocacy.drafts import services as drafts
from advocacy.drafts.models import Draft
from advocacy.program.services import enrollment_opt_in, policy_publish


class Clock:
    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC))
    monkeypatch.setattr("django.utils.timezone.now", frozen)
    return frozen


@pytest.fixture
def policy(admin_user: User):
    return policy_publish(actor=admin_user, texts={"en": {"title": "Policy", "body": "Voluntary, always."}})


@pytest.fixture
def enrolled(employee: User, policy) -> User:
    enrollment_opt_in(user=employee, policy_version_id=policy.pk, accepted=True)
    return employee


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
