"""SCIM Groups as Candor's teams: the mapping between a Group resource and a team,
for ``advocacy.identity.scim.CandorStorage``. Writes go through
``advocacy.identity.groups``.

A member is a User (a nested Group is refused: teams do not contain teams), named
by its id; a person SCIM no longer sees (deleted by the IdP, erased) is not listed."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Prefetch, QuerySet
from scim2_models import InvalidValueException, NotFoundException, Resource, ResourceType
from scim2_server.service import ScimService

from accounts.models import Team, User
from advocacy.identity.models import ScimGroupLink
from advocacy.identity.scim_meta import with_meta

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


def visible_teams(people: QuerySet[User]) -> QuerySet[Team]:
    """Every team is a Group, with the members SCIM may see (``people``)."""
    return (
        Team.objects.select_related("scim_group")
        .prefetch_related(Prefetch("members", queryset=people.select_related(None).only("pk", "team_id")))
        .order_by("pk")
    )


def team_get(people: QuerySet[User], resource_id: str | None) -> Team:
    team = None
    if resource_id and str(resource_id).isdigit():
        team = visible_teams(people).filter(pk=int(resource_id)).first()
    if team is None:
        raise NotFoundException(detail=f"Group {resource_id!r} not found")
    return team


def group_resource(service: ScimService, resource_type: ResourceType, team: Team) -> Resource[Any]:
    link: ScimGroupLink | None = getattr(team, "scim_group", None)
    body: dict[str, Any] = {
        "schemas": [GROUP_SCHEMA],
        "id": str(team.pk),
        "displayName": team.name,
        "members": [
            {"value": str(person.pk), "$ref": f"Users/{person.pk}", "type": "User"}
            for person in sorted(team.members.all(), key=lambda person: person.pk)
        ],
    }
    if link is not None and link.external_id:
        body["externalId"] = link.external_id
    modified = max(team.created_at, link.updated_at) if link is not None else team.created_at
    body = with_meta(body, resource_type="Group", created=team.created_at, modified=modified)
    return service.get_model(resource_type).model_validate(body)


def group_fields(resource: Resource[Any], people: QuerySet[User]) -> dict[str, Any]:
    """A Group's name, ``externalId`` and member ids, checked: every member must be a
    User SCIM sees."""
    body = json.loads(resource.model_dump_json())
    display_name = " ".join(str(body.get("displayName") or "").split())
    if not display_name:
        raise InvalidValueException(detail="A Group needs a 'displayName': it is the team's name in Candor.")
    member_ids: list[int] = []
    for member in body.get("members") or []:
        value = str(member.get("value") or "")
        if str(member.get("type") or "User") != "User" or "Groups/" in str(member.get("$ref") or ""):
            raise InvalidValueException(detail="A Group's members are Users: Candor's teams do not contain teams.")
        if not value.isdigit():
            raise InvalidValueException(detail=f"Member {value!r} is not the id of a User in Candor.")
        member_ids.append(int(value))
    known = set(people.filter(pk__in=member_ids).values_list("pk", flat=True))
    unknown = [str(pk) for pk in member_ids if pk not in known]
    if unknown:
        raise InvalidValueException(detail=f"No User with id {', '.join(unknown)}: members must be Users in Candor.")
    return {"display_name": display_name, "external_id": str(body.get("externalId") or ""), "member_ids": member_ids}
