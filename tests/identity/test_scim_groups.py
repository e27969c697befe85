"""SCIM Groups are Candor's teams, driven the way Okta and Entra ID push groups:
create, find by displayName, page, PUT, the PATCH forms of both, DELETE; bad input
gets a SCIM error with its scimType, never a 500."""

from __future__ import annotations

import pytest

from accounts.models import Team
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def _group(name="Warehouse", *members, external_id="00g1"):
    return {
        "schemas": [GROUP],
        "displayName": name,
        "externalId": external_id,
        "members": [{"value": str(person.pk), "display": person.name} for person in members],
    }


def _patch(*operations):
    return {"schemas": [PATCH], "Operations": list(operations)}


def _members(team_id):
    return set(Team.objects.get(pk=team_id).members.values_list("pk", flat=True))


@pytest.fixture
def people(db):
    return [UserFactory() for _ in range(3)]


def test_the_discovery_endpoints_declare_groups(scim):
    types = {rt["id"] for rt in scim("GET", "/ResourceTypes")[1]["Resources"]}
    schemas = {schema["id"] for schema in scim("GET", "/Schemas")[1]["Resources"]}
    assert {"User", "Group"} <= types and GROUP in schemas


def test_creating_a_group_makes_a_team_with_its_members_on_the_record(scim, people):
    status, body = scim("POST", "/Groups", _group("Warehouse", *people[:2]))

    assert status == 201, body
    team = Team.objects.get(pk=int(body["id"]))
    assert team.name == "Warehouse" and _members(team.pk) == {people[0].pk, people[1].pk}
    assert body["displayName"] == "Warehouse" and body["externalId"] == "00g1"
    assert {m["value"] for m in body["members"]} == {str(people[0].pk), str(people[1].pk)}
    created = AuditEvent.objects.get(action=AuditAction.TEAM_CREATED)
    assert created.actor is None and created.payload["new"]["source"].endswith("Okta")
    assert AuditEvent.objects.filter(action=AuditAction.TEAM_MEMBER_ADDED).count() == 2


def test_a_group_named_like_an_existing_team_adopts_it_and_a_second_one_is_a_conflict(scim, people):
    existing = Team.objects.create(name="Sales")
    status, body = scim("POST", "/Groups", _group("sales", people[0]))
    assert status == 201 and body["id"] == str(existing.pk)

    status, body = scim("POST", "/Groups", _group("SALES"))
    assert status == 409 and body["scimType"] == "uniqueness"


def test_okta_finds_a_group_by_display_name_and_pages_through_all(scim, people):
    for name in ("Alpha", "Beta", "Gamma"):
        scim("POST", "/Groups", _group(name, external_id=name))

    status, found = scim("GET", '/Groups?filter=displayName eq "Beta"')
    assert status == 200 and found["totalResults"] == 1 and found["Resources"][0]["displayName"] == "Beta"
    status, page = scim("GET", "/Groups?startIndex=2&count=1")
    assert (page["totalResults"], page["startIndex"], len(page["Resources"])) == (3, 2, 1)
    assert page["Resources"][0]["displayName"] == "Beta"
    status, body = scim("GET", '/Groups?filter=displayName eq "Nobody"')
    assert body["totalResults"] == 0


def test_a_put_sets_the_name_and_exactly_the_members(scim, people):
    _, body = scim("POST", "/Groups", _group("Warehouse", people[0], people[1]))
    status, body = scim("PUT", f"/Groups/{body['id']}", {**_group("Logistics", people[2]), "id": body["id"]})

    assert status == 200, body
    assert Team.objects.get(pk=int(body["id"])).name == "Logistics"
    assert _members(int(body["id"])) == {people[2].pk}


def test_okta_patch_forms_add_remove_and_rename(scim, people):
    _, body = scim("POST", "/Groups", _group("Warehouse", people[0]))
    group = f"/Groups/{body['id']}"

    add = {"op": "add", "path": "members", "value": [{"value": str(people[1].pk), "display": "x"}]}
    status, body = scim("PATCH", group, _patch(add))
    assert status == 200 and _members(int(body["id"])) == {people[0].pk, people[1].pk}

    status, _ = scim("PATCH", group, _patch({"op": "remove", "path": f'members[value eq "{people[0].pk}"]'}))
    assert status == 200 and _members(int(body["id"])) == {people[1].pk}

    rename = {"op": "replace", "value": {"id": body["id"], "displayName": "Logistics"}}
    status, body = scim("PATCH", group, _patch(rename))
    assert status == 200 and body["displayName"] == "Logistics"


def test_entra_patch_forms_add_remove_and_replace(scim, people):
    _, body = scim("POST", "/Groups", _group("Warehouse"))
    group, team_id = f"/Groups/{body['id']}", int(body["id"])

    status, _ = scim("PATCH", group, _patch({"op": "Add", "path": "members", "value": [{"value": str(people[0].pk)}]}))
    assert status == 200 and _members(team_id) == {people[0].pk}

    add_two = {"op": "Add", "path": "members", "value": [{"value": str(p.pk)} for p in people[1:]]}
    scim("PATCH", group, _patch(add_two))
    assert _members(team_id) == {p.pk for p in people}

    remove = {"op": "Remove", "path": "members", "value": [{"value": str(people[1].pk)}]}
    status, body = scim("PATCH", group, _patch(remove))
    assert status == 200, body
    assert _members(team_id) == {people[0].pk, people[2].pk}

    replace = {"op": "Replace", "path": "members", "value": [{"value": str(people[1].pk)}]}
    scim("PATCH", group, _patch(replace))
    assert _members(team_id) == {people[1].pk}

    status, body = scim("PATCH", group, _patch({"op": "Replace", "path": "displayName", "value": "Logistics"}))
    assert status == 200 and Team.objects.get(pk=team_id).name == "Logistics"


def test_adding_someone_to_a_group_moves_them_out_of_their_other_team(scim, people):
    _, first = scim("POST", "/Groups", _group("Sales", people[0]))
    _, second = scim("POST", "/Groups", _group("Support", external_id="00g2"))
    scim(
        "PATCH",
        f"/Groups/{second['id']}",
        _patch({"op": "add", "path": "members", "value": [{"value": str(people[0].pk)}]}),
    )
    people[0].refresh_from_db()
    assert people[0].team_id == int(second["id"]) and _members(int(first["id"])) == set()


def test_groups_win_over_a_users_department(scim, people):
    _, body = scim("POST", "/Groups", _group("Warehouse", people[0]))
    patch = _patch({"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Sales"})
    status, user = scim("PATCH", f"/Users/{people[0].pk}", patch)
    assert status == 200, user
    people[0].refresh_from_db()
    assert people[0].team_id == int(body["id"])
    # Someone in no Group still gets their team from department.
    scim("PATCH", f"/Users/{people[1].pk}", patch)
    people[1].refresh_from_db()
    assert people[1].team is not None and people[1].team.name == "Sales"


def test_deleting_a_group_empties_and_deletes_the_team(scim, people):
    _, body = scim("POST", "/Groups", _group("Warehouse", *people))
    status, _ = scim("DELETE", f"/Groups/{body['id']}")
    assert status == 204
    assert not Team.objects.exists() and all(p.team_id is None for p in type(people[0]).objects.all())
    status, body = scim("GET", f"/Groups/{body['id']}")
    assert status == 404 and body["schemas"] == [ERROR]


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        ({"schemas": [GROUP], "members": []}, "invalidValue"),  # no displayName
        ({"schemas": [GROUP], "displayName": "X", "members": [{"value": "999999"}]}, "invalidValue"),
        ({"schemas": [GROUP], "displayName": "X", "members": [{"value": "abc"}]}, "invalidValue"),
        ({"schemas": [GROUP], "displayName": "X", "members": [{"value": "1", "type": "Group"}]}, "invalidValue"),
        ({"schemas": [GROUP], "displayName": "x" * 81}, "invalidValue"),
    ],
)
def test_bad_groups_get_a_scim_error_and_change_nothing(scim, body, scim_type):
    status, answer = scim("POST", "/Groups", body)
    assert 400 <= status < 500, answer
    assert answer["schemas"] == [ERROR] and answer.get("scimType") in (scim_type, "invalidSyntax")
    assert not Team.objects.exists()


def test_a_patch_that_is_not_json_or_names_no_group_is_a_scim_error(scim, people):
    _, body = scim("POST", "/Groups", _group("Warehouse"))
    status, answer = scim("PATCH", f"/Groups/{body['id']}", raw="{not json")
    assert status == 400 and answer["scimType"] == "invalidSyntax"
    status, answer = scim("PATCH", "/Groups/424242", _patch({"op": "add", "path": "members", "value": []}))
    assert status == 404 and answer["schemas"] == [ERROR]
    status, answer = scim("GET", "/Groups?filter=displayName eq")
    assert status == 400 and answer["scimType"] == "invalidFilter"
