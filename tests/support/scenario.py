"""Shared scenario fixtures and builders: a policy, an enrolled employee, a published
draft, a connected account. Imported into tests/conftest.py."""

import datetime as dt

import pytest
from django.utils import timezone

from advocacy.drafts import services as drafts
from advocacy.ledger.models import ConnectedAccount
from advocacy.ledger.services import account_connect
from advocacy.networks.base import ConnectedAccount as Identity
from advocacy.program.services import enrollment_opt_in, policy_publish


@pytest.fixture
def policy(admin_user):
    return policy_publish(actor=admin_user, texts={"en": {"title": "Our policy", "body": "Voluntary, always."}})


@pytest.fixture
def enrolled(employee, policy):
    enrollment_opt_in(user=employee, policy_version_id=policy.pk, accepted=True)
    return employee


def publish_draft(author, reviewer, *, title="Robots", body="Robots sort parcels faster.", networks=None):
    draft = drafts.draft_create(
        actor=author,
        title=title,
        content=drafts.DraftContent(body=body, networks=networks or ["bluesky", "mastodon", "linkedin", "x"]),
    )
    drafts.draft_submit(actor=author, draft_id=draft.pk)
    drafts.draft_approve(actor=reviewer, draft_id=draft.pk)
    drafts.draft_publish(actor=author, draft_id=draft.pk)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def published(author, reviewer):
    return publish_draft(author, reviewer)


def connect(user, handle="emma.test", network="bluesky", ownership=ConnectedAccount.Ownership.PERSONAL):
    return account_connect(
        actor=user,
        network=network,
        ownership=ownership,
        identity=Identity(
            handle=handle,
            external_id=f"did:plc:{handle}",
            service_url="http://127.0.0.1:9",
            credentials={"app_password": "planted-secret-app-password"},
        ),
    )


@pytest.fixture
def account(enrolled):
    return connect(enrolled)


@pytest.fixture
def later():
    return (timezone.now() + dt.timedelta(days=1)).replace(second=0, microsecond=0)
