"""A programme with enough people to reach the minimum group size, a published draft
with a link, and a helper that posts it the way the composer does (through the
services and the posting engine, on an in-memory network)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from accounts.models import Role, User
from advocacy.analytics.models import ALL_NETWORKS
from advocacy.analytics.services import tracked_url
from advocacy.drafts import services as drafts
from advocacy.drafts.content import final_text
from advocacy.drafts.models import Draft
from advocacy.ledger.models import ConnectedAccount
from advocacy.networks.base import PermanentError
from advocacy.program.selectors import disclosure_for
from advocacy.program.services import enrollment_opt_in
from advocacy.sharing import engine
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_cancel, share_create
from tests.factories import UserFactory
from tests.support import scenario
from tests.support.fake_network import fake_network, fake_networks  # noqa: F401 - fixtures

LINK = "https://acme.example/news/turin-lab?ref=intranet"


@pytest.fixture
def clock_start() -> dt.datetime:
    return dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def make_people(policy) -> Callable[..., list[tuple[User, ConnectedAccount]]]:
    """``n`` employees, each enrolled with their own account on ``network``.

    The first call also enrols five colleagues who never share: a figure is shown only
    when those who shared and those taking part who did not are each at least five."""
    made = 0

    def make(n: int, *, network: str = "bluesky") -> list[tuple[User, ConnectedAccount]]:
        nonlocal made
        if made == 0:
            for index in range(5):
                bystander = UserFactory(email=f"bystander{index}@example.com", role=Role.EMPLOYEE)
                enrollment_opt_in(user=bystander, policy_version_id=policy.pk, accepted=True)
        people = []
        for _ in range(n):
            made += 1
            user = UserFactory(
                email=f"staff{made}@example.com", display_name=f"Staff Member {made}", role=Role.EMPLOYEE
            )
            enrollment_opt_in(user=user, policy_version_id=policy.pk, accepted=True)
            account = scenario.connect(
                user,
                f"staff{made}.{network}.test",
                network,
                external_id=f"id-{network}-{made}",
                service_url="https://social.example",
                credentials={"access_token": f"token-{made}"},
            )
            people.append((user, account))
        return people

    return make


@pytest.fixture
def make_draft(author: User, reviewer: User) -> Callable[..., Draft]:
    def make(*, title: str = "Turin lab opening", link: str = LINK, campaign: str = "Turin Lab") -> Draft:
        draft = drafts.draft_create(
            actor=author,
            title=title,
            campaign=campaign,
            content=drafts.DraftContent(
                body="We opened a robotics lab in Turin.", link=link, networks=["bluesky", "mastodon", "linkedin", "x"]
            ),
        )
        drafts.draft_submit(actor=author, draft_id=draft.pk)
        drafts.draft_approve(actor=reviewer, draft_id=draft.pk)
        drafts.draft_publish(actor=author, draft_id=draft.pk)
        return Draft.objects.select_related("published_version", "campaign").get(pk=draft.pk)

    return make


@pytest.fixture
def draft(make_draft) -> Draft:
    return make_draft()


def composer_text(draft: Draft) -> str:
    """What the share composer offers: disclosure, body and the tracked link."""
    version = draft.published_version
    return final_text(
        disclosure=disclosure_for(language=version.language),
        body=version.body,
        link=tracked_url(draft=draft, network=ALL_NETWORKS),
    )


@pytest.fixture
def post(fake_networks) -> Callable[..., Share]:  # noqa: F811 - fixture
    """Share ``draft`` from ``account`` and let it reach ``outcome`` (sent, failed,
    scheduled or cancelled), at the clock's current time."""

    def post(person: tuple[User, ConnectedAccount], draft: Draft, *, outcome: str = "sent") -> Share:
        user, account = person
        later = timezone.now() + dt.timedelta(days=1)
        share = share_create(
            employee=user,
            draft_id=draft.pk,
            account_id=account.pk,
            text=composer_text(draft),
            scheduled_at=later if outcome in ("scheduled", "cancelled") else None,
        )
        if outcome == "cancelled":
            share_cancel(employee=user, share_id=share.pk)
        elif outcome in ("sent", "failed"):
            if outcome == "failed":
                fake_networks[account.network].script_publish(PermanentError("The network refused the post."))
            assert share.pk in engine.dispatch_due()
            engine.share_send(share_id=share.pk)
        share.refresh_from_db()
        assert share.state == outcome
        return share

    return post
