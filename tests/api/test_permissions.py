"""Every endpoint, tried by nobody, the employee who owns things, another employee, a
comms author, a comms reviewer and an admin. Each answer must be the expected status
and must match the schema the API publishes for it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.api.conftest import World, later, share_text

ROLES = ("employee", "other_employee", "author", "reviewer", "admin_user")


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def only(status: int, *roles: str, others: int = 403) -> dict[str, int]:
    return {role: status if role in roles else others for role in ROLES}


COMMS = ("author", "reviewer")


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # as documented, e.g. /api/drafts/{draft_id}/
    expected: dict[str, int]
    ids: dict[str, str] = field(default_factory=dict)  # path variable -> World attribute
    query: str = ""
    body: Any = None  # dict, or a callable taking the World
    codes: dict[str, str] = field(default_factory=dict)  # role -> expected error code

    def url(self, ids: dict[str, int]) -> str:
        return self.path.format(**{variable: ids[name] for variable, name in self.ids.items()}) + self.query

    def data(self, world: World) -> str:
        data = self.body(world) if callable(self.body) else self.body
        return "" if data is None else json.dumps(data)


CASES = {
    # programme
    "policy-current": Case("GET", "/api/policy/current/", everyone(200)),
    "policy-publish": Case(
        "POST", "/api/policy/", only(201, "admin_user"), body={"texts": {"en": {"title": "v2", "body": "New."}}}
    ),
    "enrollment": Case("GET", "/api/enrollment/", everyone(200)),
    "opt-in": Case(
        "POST",
        "/api/enrollment/",
        only(200, "author", "reviewer", "admin_user", others=409),  # the employees are enrolled already
        body=lambda world: {"policy_version": world.policy.pk, "accept": True},
    ),
    "leave": Case("POST", "/api/enrollment/leave/", only(200, "employee", "other_employee", others=409)),
    "consent-history": Case("GET", "/api/enrollment/history/", everyone(200)),
    "participation": Case("GET", "/api/participation/", only(200, "admin_user")),
    "programme-settings": Case("GET", "/api/programme/settings/", only(200, "admin_user")),
    "programme-settings-change": Case(
        "PATCH", "/api/programme/settings/", only(200, "admin_user"), body={"edited_shares_need_review": True}
    ),
    # comms
    "drafts": Case("GET", "/api/drafts/", only(200, *COMMS)),
    "teams": Case("GET", "/api/teams/", only(200, *COMMS)),
    "draft-create": Case(
        "POST", "/api/drafts/", only(201, *COMMS), body={"title": "New", "body": "Hello.", "networks": ["x"]}
    ),
    "draft": Case("GET", "/api/drafts/{draft_id}/", only(200, *COMMS), ids={"draft_id": "draft"}),
    "draft-edit": Case(
        "PATCH", "/api/drafts/{draft_id}/", only(200, *COMMS), ids={"draft_id": "draft"}, body={"body": "Edited."}
    ),
    "draft-submit": Case("POST", "/api/drafts/{draft_id}/submit/", only(200, *COMMS), ids={"draft_id": "draft"}),
    "draft-request-changes": Case(
        "POST",
        "/api/drafts/{draft_id}/request-changes/",
        only(200, "reviewer"),
        ids={"draft_id": "in_review"},
        body={"comment": "Shorter, please."},
    ),
    "draft-approve": Case(
        "POST", "/api/drafts/{draft_id}/approve/", only(200, "reviewer"), ids={"draft_id": "in_review"}
    ),
    "draft-publish": Case("POST", "/api/drafts/{draft_id}/publish/", only(200, *COMMS), ids={"draft_id": "approved"}),
    "draft-retire": Case("POST", "/api/drafts/{draft_id}/retire/", only(200, *COMMS), ids={"draft_id": "published"}),
    "draft-versions": Case("GET", "/api/drafts/{draft_id}/versions/", only(200, *COMMS), ids={"draft_id": "draft"}),
    "draft-diff": Case(
        "GET", "/api/drafts/{draft_id}/diff/", only(200, *COMMS), ids={"draft_id": "draft"}, query="?from=1&to=1"
    ),
    "review-queue": Case("GET", "/api/review-queue/", only(200, "reviewer")),
    # employees
    "feed": Case("GET", "/api/feed/", everyone(200)),
    "preview": Case("POST", "/api/preview/", everyone(200), body={"text": "Hello", "network": "mastodon"}),
    "shares": Case("GET", "/api/shares/", everyone(200)),
    "share-create": Case(
        "POST",
        "/api/shares/",
        # other_employee: not their account; comms and admin: not enrolled.
        {"employee": 201, "other_employee": 400, "author": 409, "reviewer": 409, "admin_user": 409},
        body=lambda world: {
            "draft": world.published.pk,
            "account": world.account.pk,
            "text": share_text(world.published),
            "scheduled_at": later(days=2).isoformat(),
        },
        codes={"other_employee": "validation_failed", "author": "not_enrolled"},
    ),
    "share-batch": Case(
        "POST",
        "/api/shares/batch/",
        {"employee": 201, "other_employee": 400, "author": 409, "reviewer": 409, "admin_user": 409},
        body=lambda world: {
            "draft": world.published.pk,
            "targets": [{"account": world.account.pk, "text": share_text(world.published)}],
            "scheduled_at": later(days=2).isoformat(),
        },
        codes={"other_employee": "validation_failed", "author": "not_enrolled"},
    ),
    "share": Case("GET", "/api/shares/{share_id}/", only(200, "employee", others=404), ids={"share_id": "share"}),
    "share-edit": Case(
        "PATCH",
        "/api/shares/{share_id}/",
        only(200, "employee", others=404),
        ids={"share_id": "share"},
        body=lambda world: {"text": share_text(world.published, extra=" Edited.")},
    ),
    "share-cancel": Case(
        "DELETE", "/api/shares/{share_id}/", only(200, "employee", others=404), ids={"share_id": "share"}
    ),
    "accounts": Case("GET", "/api/accounts/", everyone(200)),
    "account-disconnect": Case(
        "DELETE", "/api/accounts/{account_id}/", only(200, "employee", others=404), ids={"account_id": "account"}
    ),
    "account-events": Case(
        "GET",
        "/api/accounts/{account_id}/events/",
        only(200, "employee", others=404),
        ids={"account_id": "account"},
    ),
    "account-reassign": Case(
        "POST",
        "/api/accounts/{account_id}/reassign/",
        everyone(403),  # refused to admins too: accounts never change hands
        ids={"account_id": "account"},
        body=lambda world: {"new_owner": world.other_employee.pk},
        codes={"admin_user": "personal_account_reassign", "employee": "permission_denied"},
    ),
    "notifications": Case("GET", "/api/notifications/", everyone(200)),
    "notifications-read": Case("POST", "/api/notifications/read/", everyone(200), body={}),
    "my-data": Case("GET", "/api/me/export/", everyone(200)),
}


def test_the_table_covers_every_documented_operation(openapi):
    documented = {
        (method.upper(), path)
        for path, operations in openapi["paths"].items()
        if not path.startswith(("/api/auth/", "/api/schema/"))
        for method in operations
    }
    assert documented == {(case.method, case.path) for case in CASES.values()}


@pytest.mark.parametrize("name", CASES)
def test_anonymous_callers_get_a_json_error(name, world, api, assert_documented):
    case = CASES[name]
    ids = world.ids()

    response = api.generic(case.method, case.url(ids), data=case.data(world), content_type="application/json")

    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] == "not_authenticated"
    assert_documented(response, case.method, case.path)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", CASES)
def test_each_role_gets_the_expected_answer(name, role, world, api_as, request, assert_documented):
    case = CASES[name]
    ids = world.ids()
    client = api_as(request.getfixturevalue(role))

    response = client.generic(case.method, case.url(ids), data=case.data(world), content_type="application/json")

    assert response.status_code == case.expected[role], response.content
    if role in case.codes:
        assert response.json()["error"]["code"] == case.codes[role]
    assert_documented(response, case.method, case.path)
