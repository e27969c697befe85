"""Wrong types, unknown values, huge strings and ids that name nothing get a 4xx
JSON error naming the problem, never a 500."""

from __future__ import annotations

import json
from string import Template

import pytest

pytestmark = pytest.mark.django_db

HUGE = "x" * 1_000_000
BIG = str(10**30)

# (who, method, url, raw JSON body, expected statuses). $names are the world's ids; $big
# is a number beyond any database integer.
CASES = [
    ("employee", "POST", "/api/shares/", '{"draft": "abc", "account": $account, "text": "t"}', {400}),
    ("employee", "POST", "/api/shares/", '{"draft": $big, "account": $account, "text": "t"}', {400}),
    ("employee", "POST", "/api/shares/", '{"draft": 999999, "account": $account, "text": "t"}', {404}),
    ("employee", "POST", "/api/shares/", '{"draft": $published, "account": 999999, "text": "t"}', {400}),
    ("employee", "POST", "/api/shares/", '{"draft": $published, "account": $account, "text": null}', {400}),
    ("employee", "POST", "/api/shares/", json.dumps({"draft": 1, "account": 1, "text": HUGE}), {400}),
    (
        "employee",
        "POST",
        "/api/shares/",
        '{"draft": $published, "account": $account, "text": "t", "scheduled_at": "tomorrow"}',
        {400},
    ),
    (
        "employee",
        "POST",
        "/api/shares/",
        '{"draft": $published, "account": $account, "text": "t", "scheduled_at": "0001-01-01T00:00:00"}',
        {400},
    ),
    (
        "employee",
        "POST",
        "/api/shares/",
        '{"draft": $published, "account": $account, "text": "t", "scheduled_at": "9999-12-31T23:59:59-05:00"}',
        {400},
    ),
    ("employee", "POST", "/api/shares/", "[1, 2, 3]", {400}),
    ("employee", "POST", "/api/shares/", "{not json", {400}),
    ("employee", "POST", "/api/shares/", "null", {400}),
    ("employee", "POST", "/api/shares/", '"a string"', {400}),
    ("employee", "PATCH", "/api/shares/$share/", '{"scheduled_at": null}', {400}),
    ("employee", "PATCH", "/api/shares/$share/", '{"text": ["a"]}', {400}),
    ("employee", "GET", "/api/shares/$big/", "", {404}),
    ("employee", "GET", "/api/shares/-5/", "", {404}),
    ("employee", "GET", "/api/shares/0/", "", {404}),
    ("employee", "DELETE", "/api/accounts/$big/", "", {404}),
    ("employee", "POST", "/api/preview/", '{"text": "hi", "network": "myspace"}', {400}),
    ("employee", "POST", "/api/preview/", '{"text": ["hi"], "network": "x"}', {400}),
    ("employee", "POST", "/api/preview/", json.dumps({"text": HUGE, "network": "x"}), {400}),
    ("employee", "POST", "/api/preview/", '{"text": "hi", "network": "x", "account": $big}', {400}),
    ("employee", "POST", "/api/preview/", '{"text": "hi", "network": "x", "account": 999999}', {404}),
    ("employee", "POST", "/api/preview/", '{"text": "hi", "network": "x", "account": $account}', {400}),
    ("employee", "POST", "/api/preview/", '{"text": "hi", "network": "x", "language": "klingon"}', {400}),
    ("employee", "POST", "/api/enrollment/", '{"policy_version": $policy, "accept": "maybe"}', {400}),
    ("employee", "POST", "/api/enrollment/", '{"policy_version": $big, "accept": true}', {400}),
    ("author", "POST", "/api/enrollment/", '{"policy_version": 999999, "accept": true}', {409}),
    ("employee", "POST", "/api/notifications/read/", '{"ids": "all"}', {400}),
    ("employee", "POST", "/api/notifications/read/", '{"ids": [$big]}', {400}),
    ("employee", "POST", "/api/notifications/read/", '{"ids": [-1]}', {400}),
    ("employee", "GET", "/api/notifications/?unread=maybe", "", {400}),
    ("employee", "GET", "/api/feed/?limit=-1&offset=$big", "", {200}),
    ("employee", "GET", "/api/shares/?limit=abc&offset=-3", "", {200}),
    ("author", "POST", "/api/drafts/", '{"title": "t", "body": "b", "networks": "x"}', {400}),
    ("author", "POST", "/api/drafts/", '{"title": "t", "body": "b", "networks": ["myspace"]}', {400}),
    ("author", "POST", "/api/drafts/", '{"title": "t", "body": "b", "networks": []}', {400}),
    ("author", "POST", "/api/drafts/", '{"title": "t", "body": "b", "networks": ["x"], "variants": "short"}', {400}),
    (
        "author",
        "POST",
        "/api/drafts/",
        '{"title": "t", "body": "b", "networks": ["x"], "variants": {"myspace": "hi"}}',
        {400},
    ),
    ("author", "POST", "/api/drafts/", '{"title": "t", "body": "b", "networks": ["x"], "expires_at": "soon"}', {400}),
    (
        "author",
        "POST",
        "/api/drafts/",
        '{"title": "t", "body": "b", "networks": ["x"], "expires_at": "2000-01-01T00:00:00Z"}',
        {400},
    ),
    (
        "author",
        "POST",
        "/api/drafts/",
        '{"title": "t", "body": "b", "networks": ["x"], "link": "javascript:alert(1)"}',
        {400},
    ),
    ("author", "POST", "/api/drafts/", '{"title": "t", "body": "b", "networks": ["x"], "language": "fr"}', {400}),
    ("author", "POST", "/api/drafts/", json.dumps({"title": HUGE, "body": "b", "networks": ["x"]}), {400}),
    ("author", "POST", "/api/drafts/", '{"title": "t", "body": "b", "networks": ["x"], "image": "not a file"}', {400}),
    ("author", "PATCH", "/api/drafts/$draft/", '{"networks": []}', {400}),
    ("author", "PATCH", "/api/drafts/999999/", '{"body": "b"}', {404}),
    ("author", "GET", "/api/drafts/?state=" + "x" * 5000, "", {400}),
    ("author", "POST", "/api/drafts/999999/submit/", "", {404}),
    ("reviewer", "POST", "/api/drafts/$in_review/request-changes/", '{"comment": {"a": 1}}', {400}),
    ("reviewer", "POST", "/api/drafts/$in_review/approve/", '{"comment": 5}', {200}),
    ("admin_user", "POST", "/api/policy/", '{"texts": {"en": "string"}}', {400}),
    ("admin_user", "POST", "/api/policy/", '{"texts": []}', {400}),
    ("admin_user", "POST", "/api/policy/", '{"texts": {"en": {"title": "", "body": ""}}}', {400}),
    (
        "admin_user",
        "POST",
        "/api/policy/",
        '{"texts": {"en": {"title": "t", "body": "b"}}, "effective_date": "someday"}',
        {400},
    ),
    ("admin_user", "POST", "/api/accounts/$account/reassign/", '{"new_owner": "x"}', {400}),
    ("admin_user", "POST", "/api/accounts/$account/reassign/", "{}", {400}),
]


@pytest.mark.parametrize(("role", "method", "url", "body", "expected"), CASES)
def test_bad_input_gets_a_json_error(world, api_as, request, role, method, url, body, expected):
    values = {**world.ids(), "big": BIG}
    url, body = Template(url).safe_substitute(values), Template(body).safe_substitute(values)
    client = api_as(request.getfixturevalue(role))

    response = client.generic(method, url, data=body, content_type="application/json")

    assert response.status_code in expected, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["code"] and error["message"]


def test_a_validation_error_names_the_field(api_as, employee):
    response = api_as(employee).post("/api/preview/", {"text": "hi", "network": "myspace"}, format="json")

    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert list(error["fields"]) == ["network"]


def test_json_nested_too_deeply_is_a_400(api_as, employee):
    body = "[" * 100_000 + "]" * 100_000

    response = api_as(employee).post("/api/preview/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_an_error_quoting_an_unpaired_surrogate_is_still_json(api_as, employee):
    body = json.dumps({"text": "hi", "network": "\ud800"})  # escaped to ASCII, so it reaches the server

    response = api_as(employee).post("/api/preview/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"network": ['"\ud800" is not a valid choice.']}
