"""Fixtures for the JSON API tests: a programme with a policy, published posts, a
connected account and a scheduled share, all made through the services; and a check
that every response matches the OpenAPI schema the API publishes."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any

import jsonschema
import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounts.models import User
from advocacy.drafts import services as drafts
from advocacy.drafts.content import final_text
from advocacy.drafts.models import Draft
from advocacy.ledger.models import ConnectedAccount
from advocacy.notifications.models import Notification
from advocacy.notifications.services import notify
from advocacy.program.models import PolicyVersion
from advocacy.program.selectors import disclosure_for
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_create
from tests.support.scenario import connect, enroll, publish_policy

ALL_NETWORKS = ["bluesky", "mastodon", "linkedin", "x"]


@pytest.fixture(autouse=True)
def _no_dispatch(monkeypatch):
    """Sending is not under test here: nothing is kicked to the posting engine."""
    monkeypatch.setattr("advocacy.sharing.services._kick_dispatcher", lambda: None)


# --- building blocks, all through services ---------------------------------------------


def write_draft(author: User, *, title: str = "Robots", body: str = "Our robots sort parcels faster.") -> Draft:
    return drafts.draft_create(
        actor=author, title=title, content=drafts.DraftContent(body=body, networks=list(ALL_NETWORKS))
    )


def submitted_draft(author: User, **kwargs: Any) -> Draft:
    draft = write_draft(author, **kwargs)
    return drafts.draft_submit(actor=author, draft_id=draft.pk)


def approved_draft(author: User, reviewer: User, **kwargs: Any) -> Draft:
    draft = submitted_draft(author, **kwargs)
    return drafts.draft_approve(actor=reviewer, draft_id=draft.pk)


def published_draft(author: User, reviewer: User, **kwargs: Any) -> Draft:
    draft = approved_draft(author, reviewer, **kwargs)
    return drafts.draft_publish(actor=author, draft_id=draft.pk)


def share_text(draft: Draft, network: str = "bluesky", extra: str = "") -> str:
    version = draft.published_version
    body = version.body_for(network) + extra
    return final_text(disclosure=disclosure_for(language=version.language), body=body, link=version.link)


def later(**delta: float) -> dt.datetime:
    return (timezone.now() + dt.timedelta(**(delta or {"days": 1}))).replace(microsecond=0)


def schedule(employee: User, draft: Draft, account: ConnectedAccount, when: dt.datetime | None = None) -> Share:
    return share_create(
        employee=employee,
        draft_id=draft.pk,
        account_id=account.pk,
        text=share_text(draft, account.network),
        scheduled_at=when or later(),
    )


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def published(author, reviewer) -> Draft:
    return published_draft(author, reviewer)


@pytest.fixture
def share(enrolled, published, account) -> Share:
    return schedule(enrolled, published, account)


@dataclass
class World:
    """One of everything, for the permission table: ids are formatted into URLs."""

    policy: PolicyVersion
    draft: Draft  # state: draft
    in_review: Draft
    approved: Draft
    published: Draft
    account: ConnectedAccount  # the employee's
    share: Share  # the employee's, scheduled tomorrow
    notification: Notification  # the employee's
    other_employee: User

    def ids(self) -> dict[str, int]:
        return {
            name: getattr(self, name).pk
            for name in ("policy", "draft", "in_review", "approved", "published", "account", "share", "notification")
        } | {"other_employee": self.other_employee.pk}


@pytest.fixture
def world(employee, other_employee, author, reviewer, admin_user) -> World:
    policy = publish_policy(admin_user)
    enroll(employee, policy)
    enroll(other_employee, policy)
    published = published_draft(author, reviewer, title="Published")
    account = connect(employee)
    return World(
        policy=policy,
        draft=write_draft(author, title="Draft"),
        in_review=submitted_draft(author, title="In review"),
        approved=approved_draft(author, reviewer, title="Approved"),
        published=published,
        account=account,
        share=schedule(employee, published, account),
        notification=notify(user=employee, kind="draft_published", title="New post to share", email=False),
        other_employee=other_employee,
    )


# --- the published schema -------------------------------------------------------------------


def _to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects → JSON Schema: ``nullable`` becomes a null alternative,
    and objects with declared properties allow no undeclared ones (stricter than the
    spec, so a response key missing from the schema is caught here)."""
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _to_json_schema(value) for key, value in node.items()}
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def assert_documented(openapi):
    """Check a response against the schema documented for its path, method and status."""
    components = _to_json_schema(copy.deepcopy(openapi["components"]))

    def check(response: Any, method: str, path: str) -> None:
        operation = openapi["paths"][path][method.lower()]
        status = str(response.status_code)
        assert status in operation["responses"], f"{method} {path} answered {status}, which is not documented"
        content = operation["responses"][status].get("content")
        if content is None:
            assert not response.content
            return
        assert response["Content-Type"].startswith("application/json")
        schema = _to_json_schema(content["application/json"]["schema"])
        jsonschema.validate(response.json(), {**schema, "components": components})

    return check
