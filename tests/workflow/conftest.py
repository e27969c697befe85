"""The state most workflow tests start from: a published programme policy, Emma
enrolled under it with her own Bluesky account, and a draft the comms team wrote,
approved (four eyes) and published. Everything is made through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import User
from advocacy.drafts import services as drafts
from advocacy.drafts.content import final_text
from advocacy.drafts.models import Draft
from advocacy.ledger.models import ConnectedAccount
from advocacy.networks.base import ConnectedAccount as NetworkIdentity
from advocacy.program.models import PolicyVersion
from advocacy.program.selectors import disclosure_for, policy_current
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_create
from tests.support import scenario
from tests.support.fake_network import fake_network, fake_networks  # noqa: F401 - fixtures

ALL_NETWORKS = ["bluesky", "mastodon", "x", "linkedin"]


@pytest.fixture
def enroll(policy: PolicyVersion) -> Callable[[User], User]:
    """Opt someone in under the current policy (the newest a test published)."""

    def enroll(user: User) -> User:
        current = policy_current()
        assert current is not None
        return scenario.enroll(user, current)

    return enroll


def _content(
    body: str = "We just opened a robotics lab in Turin. Come and see it!", **fields: Any
) -> drafts.DraftContent:
    fields.setdefault("networks", list(ALL_NETWORKS))
    return drafts.DraftContent(body=body, **fields)


@pytest.fixture
def draft_content() -> Callable[..., drafts.DraftContent]:
    """``DraftContent`` for every network unless told otherwise."""
    return _content


@pytest.fixture
def make_published_draft(author: User, reviewer: User) -> Callable[..., Draft]:
    """Write (author), submit, approve (reviewer: a second person) and publish a draft."""

    def make(*, title: str = "Turin lab opening", **fields: Any) -> Draft:
        draft = drafts.draft_create(actor=author, title=title, content=_content(**fields))
        drafts.draft_submit(actor=author, draft_id=draft.pk)
        drafts.draft_approve(actor=reviewer, draft_id=draft.pk)
        return drafts.draft_publish(actor=author, draft_id=draft.pk)

    return make


@pytest.fixture
def published_draft(make_published_draft: Callable[..., Draft]) -> Draft:
    return make_published_draft()


def _identity_fields(handle: str, **fields: Any) -> dict[str, Any]:
    """The workflow's identities: a PDS-style DID and tokens named after the handle."""
    fields.setdefault("external_id", f"did:plc:{handle.split('.')[0]}")
    fields.setdefault("service_url", "https://pds.example")
    fields.setdefault("credentials", {"access_token": f"access-{handle}", "refresh_token": f"refresh-{handle}"})
    fields.setdefault("scopes", ("write",))
    return fields


@pytest.fixture
def identity() -> Callable[..., NetworkIdentity]:
    """What a network plug-in reports after a successful connect."""

    def make(handle: str = "emma.bsky.test", **fields: Any) -> NetworkIdentity:
        return scenario.identity(handle, **_identity_fields(handle, **fields))

    return make


@pytest.fixture
def connect() -> Callable[..., ConnectedAccount]:
    def connect(
        user: User, *, network: str = "bluesky", handle: str = "emma.bsky.test", **fields: Any
    ) -> ConnectedAccount:
        return scenario.connect(user, handle, network, **_identity_fields(handle, **fields))

    return connect


@pytest.fixture
def account(enrolled: User, connect: Callable[..., ConnectedAccount]) -> ConnectedAccount:
    """Emma's own Bluesky account."""
    return connect(enrolled)


def _share_text(body: str = "Proud of the team: our new lab is open!", *, language: str = "en") -> str:
    return final_text(disclosure=disclosure_for(language=language), body=body)


@pytest.fixture
def share_text() -> Callable[..., str]:
    """A post as the composer makes it: the disclosure first, then the body."""
    return _share_text


@pytest.fixture
def make_share(enrolled: User, published_draft: Draft, account: ConnectedAccount) -> Callable[..., Share]:
    """Emma schedules the published draft on her account (due now unless told)."""

    def make(
        *,
        text: str | None = None,
        scheduled_at: dt.datetime | None = None,
        draft: Draft | None = None,
        on: ConnectedAccount | None = None,
        employee: User | None = None,
    ) -> Share:
        return share_create(
            employee=employee or enrolled,
            draft_id=(draft or published_draft).pk,
            account_id=(on or account).pk,
            text=_share_text() if text is None else text,
            scheduled_at=scheduled_at,
        )

    return make
