"""Shared scenario fixtures and builders: a policy, an enrolled employee, a published
draft, a connected account, all made through the services. The fixtures are imported
into tests/conftest.py, so every folder gets the same ones; the builders are imported
where a test needs more than one of a kind."""

import datetime as dt

import pytest
from django.utils import timezone

from advocacy.drafts import services as drafts
from advocacy.ledger.models import ConnectedAccount
from advocacy.ledger.services import account_connect
from advocacy.networks.base import ConnectedAccount as Identity
from advocacy.program.services import enrollment_opt_in, policy_publish


def publish_policy(admin, *, title="Our policy", body="Voluntary, always."):
    return policy_publish(actor=admin, texts={"en": {"title": title, "body": body}})


def enroll(user, policy):
    """``user`` opts in under ``policy`` (ticked, as the join form asks)."""
    enrollment_opt_in(user=user, policy_version_id=policy.pk, accepted=True)
    return user


@pytest.fixture
def policy(admin_user):
    return publish_policy(admin_user)


@pytest.fixture
def enrolled(employee, policy):
    return enroll(employee, policy)


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


def identity(handle="emma.test", **fields):
    """What a network plug-in reports after a successful connect; ``fields`` override
    the rest (external_id, service_url, credentials, scopes)."""
    fields.setdefault("external_id", f"did:plc:{handle}")
    fields.setdefault("service_url", "http://127.0.0.1:9")
    fields.setdefault("credentials", {"app_password": "planted-secret-app-password"})
    return Identity(handle=handle, **fields)


def connect(user, handle="emma.test", network="bluesky", ownership=ConnectedAccount.Ownership.PERSONAL, **fields):
    """``user`` connects an account through the ledger service (``fields``: see ``identity``)."""
    return account_connect(actor=user, network=network, ownership=ownership, identity=identity(handle, **fields))


@pytest.fixture
def account(enrolled):
    return connect(enrolled)


@pytest.fixture
def later():
    return (timezone.now() + dt.timedelta(days=1)).replace(second=0, microsecond=0)
