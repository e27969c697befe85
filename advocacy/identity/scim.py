"""SCIM 2.0 (RFC 7643/7644) at /scim/v2/, served by the maintained ``scim2-server``
library over Candor's people.

scim2-server does the protocol: routing, parsing and validating bodies with
``scim2-models``, filters, sorting, paging, PATCH (Entra ID's forms included:
capitalised ``op`` values, ``"False"`` as a string, a value without a path), errors
with their ``scimType``. ``CandorStorage`` is the one place that maps its User
resources to Candor's people: reads from the ORM, writes through
``advocacy.identity.services``, whose domain errors become SCIM errors here.

Groups are Candor's teams (``advocacy.identity.scim_groups`` maps them); a person is
in one team at most (docs/identity.md).
"""

from __future__ import annotations

import functools
import json
from typing import Any, Union
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db.models import QuerySet
from scim2_models import (
    AuthenticationScheme,
    Context,
    External,
    InvalidValueException,
    NotFoundException,
    NotImplementedException,
    PreconditionFailedException,
    Reference,
    Required,
    Resource,
    ResourceType,
    ResponseParameters,
    ScimFilter,
    ScimPolicy,
    ScimProvider,
    SearchRequest,
    ServiceProviderConfig,
    UniquenessException,
)
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService
from scim2_server.storage import ScimStorage, SearchPage
from scim2_server.utils import load_default_resource_types, load_default_schemas, parametrize

from accounts.models import User
from advocacy.core.errors import ApplicationError, Conflict
from advocacy.identity import groups, services
from advocacy.identity.models import ScimClient, ScimLink
from advocacy.identity.scim_groups import GROUP_SCHEMA, group_fields, group_resource, team_get, visible_teams
from advocacy.identity.scim_meta import with_meta

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_RESULTS = 200

BEARER = AuthenticationScheme(
    type=AuthenticationScheme.Type.oauthbearertoken,
    name="Bearer token",
    description="A token an admin creates for the identity provider (Django admin, SCIM provisioning clients).",
    spec_uri=Reference[External]("https://datatracker.ietf.org/doc/html/rfc6750"),
    primary=True,
)


def service_provider_config() -> ServiceProviderConfig:
    """What Candor declares, and so what peers (scim2-tester, the IdPs) check."""
    return ServiceProviderConfig.model_validate(
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": MAX_RESULTS},
            "changePassword": {"supported": False},
            "sort": {"supported": True},
            "etag": {"supported": False},
            "authenticationSchemes": [BEARER.model_dump()],
        }
    )


# What Candor keeps of a User, attribute by attribute (sub-attributes in the set);
# everything else RFC 7643 defines is declared unsupported by leaving it out of
# /Schemas, and ignored when a client sends it (docs/identity.md lists why).
USER_ATTRIBUTES: dict[str, set[str] | None] = {
    "userName": None,
    "name": {"givenName", "familyName"},
    "displayName": None,
    "preferredLanguage": None,
    "timezone": None,
    "active": None,
    "emails": {"value", "type", "primary"},
}
ENTERPRISE_ATTRIBUTES: dict[str, set[str] | None] = {"department": None, "manager": {"value", "$ref"}}
# A member's ``display`` is left out: Candor names people itself, and keeps no
# per-Group label for them (Okta and Entra ID send one; it is ignored).
GROUP_ATTRIBUTES: dict[str, set[str] | None] = {"displayName": None, "members": {"value", "$ref", "type"}}


def _trimmed(schema: Any, keep: dict[str, set[str] | None]) -> Any:
    schema = schema.model_copy(deep=True)
    schema.attributes = [a for a in schema.attributes or [] if a.name in keep]
    for attribute in schema.attributes:
        subs = keep[attribute.name]
        if subs is not None:
            attribute.sub_attributes = [sub for sub in attribute.sub_attributes or [] if sub.name in subs]
        if attribute.name in ("emails", "active"):
            # Candor signs people in by email, and a person is active or not: both are
            # required here, though RFC 7643 leaves them optional.
            attribute.required = Required.true
            for sub in attribute.sub_attributes or []:
                if sub.name == "value":
                    sub.required = Required.true
    return schema


@functools.cache
def scim_service() -> ScimService:
    schemas = load_default_schemas()
    resource_types = [rt for rt in load_default_resource_types().values() if rt.id in ("User", "Group")]
    provider = ScimProvider.from_discovery(
        [
            _trimmed(schemas[USER_SCHEMA], USER_ATTRIBUTES),
            _trimmed(schemas[ENTERPRISE_SCHEMA], ENTERPRISE_ATTRIBUTES),
            _trimmed(schemas[GROUP_SCHEMA], GROUP_ATTRIBUTES),
        ],
        resource_types,
        config=service_provider_config(),
        # Okta and Entra ID send attributes Candor does not keep (title, phoneNumbers...).
        policy=ScimPolicy(unknown=ScimPolicy.Unknown.ignore),
    )
    return CandorScimService(provider)


class CandorScimService(ScimService):
    """scim2-server's service, answering a PATCH with the resource (200) instead of
    204: Okta reads the updated User from the answer, and Entra ID accepts both."""

    def patch_response(
        self, base_url: str, resource: Resource[Any], response_parameters: ResponseParameters[Any]
    ) -> ScimResponse:
        return self.resource_response(
            self.publish(base_url, resource), Context.RESOURCE_REPLACEMENT_RESPONSE, response_parameters
        )


def entra_compatible(body: bytes) -> bytes:
    """Rewrite Entra ID's two PATCH forms RFC 7644 does not have, and leave the rest
    of the body (and any body that is not JSON) to the library: a manager set with a
    bare id (``"value": "<id>"``) where RFC 7643 has ``{"value": "<id>"}``, and
    members removed by value (``"path": "members", "value": [{"value": "<id>"}]``)
    where RFC 7644 selects them with a filter (``members[value eq "<id>"]``)."""
    try:
        patch = json.loads(body)
    except ValueError:
        return body
    operations = patch.get("Operations") if isinstance(patch, dict) else None
    if not isinstance(operations, list):
        return body
    changed = False
    rewritten: list[Any] = []
    for operation in operations:
        if not isinstance(operation, dict):
            rewritten.append(operation)
            continue
        path, value = str(operation.get("path") or ""), operation.get("value")
        if path.lower().endswith("manager") and isinstance(value, str):
            operation["value"] = {"value": value}
            changed = True
        removed = value if isinstance(value, list) else []
        if str(operation.get("op")).lower() == "remove" and path.lower() == "members" and removed:
            ids = [str(member.get("value")) for member in removed if isinstance(member, dict)]
            rewritten.extend({"op": "remove", "path": f"members[value eq {json.dumps(i)}]"} for i in ids)
            changed = True
            continue
        rewritten.append(operation)
    patch["Operations"] = rewritten
    return json.dumps(patch).encode() if changed else body


def visible_people() -> QuerySet[User]:
    """Everyone SCIM may see: not erased, not deleted by the IdP."""
    return (
        User.objects.exclude(email__startswith="erased-", email__endswith="@invalid")
        .exclude(scim_link__deleted_at__isnull=False)
        .select_related("scim_link", "team")
        .order_by("pk")
    )


def _provisioned(fields: dict[str, Any]) -> dict[str, Any]:
    """What the provisioning services take from a SCIM User, on create and update alike."""
    names = ("profile", "active", "external_id", "user_name", "manager_id", "preferred_language", "department")
    return {name: fields[name] for name in (*names, "email_type", "email_primary", "time_zone")}


def _link(user: User) -> ScimLink | None:
    # Missing, the reverse one-to-one raises RelatedObjectDoesNotExist, an AttributeError.
    link: ScimLink | None = getattr(user, "scim_link", None)
    return link


def _language(value: str | None) -> str | None:
    if not value:
        return None
    code = value.replace("_", "-").split("-")[0].lower()
    return code if code in {c for c, _ in settings.LANGUAGES} else None


def _as_dict(resource: Resource[Any]) -> dict[str, Any]:
    return json.loads(resource.model_dump_json())


class CandorStorage(ScimStorage):
    """Candor's people as SCIM Users, for one authenticated provisioning client."""

    def __init__(self, service: ScimService, client: ScimClient):
        self.service = service
        self.client = client

    # -- mapping ----------------------------------------------------------

    def to_resource(self, resource_type: ResourceType, user: User) -> Resource[Any]:
        link = _link(user)
        body: dict[str, Any] = {
            "schemas": [USER_SCHEMA],
            "id": str(user.pk),
            "userName": (link.user_name if link and link.user_name else user.email),
            "name": {
                "givenName": user.first_name or None,
                "familyName": user.last_name or None,
            },
            "displayName": user.display_name or None,
            "emails": [
                {
                    "value": user.email,
                    "type": (link.email_type if link and link.email_type else "work"),
                    "primary": link.email_primary if link and link.email_primary is not None else True,
                }
            ],
            "active": user.is_active,
            # As the IdP sent them; the person's own choice in Candor may differ.
            "preferredLanguage": (link.preferred_language or None) if link else None,
            "timezone": (link.time_zone or None) if link else None,
        }
        if link and link.external_id:
            body["externalId"] = link.external_id
        enterprise: dict[str, Any] = {}
        if user.team is not None:
            enterprise["department"] = user.team.name
        if link and link.manager_id:
            enterprise["manager"] = {"value": str(link.manager_id), "$ref": f"Users/{link.manager_id}"}
        if enterprise:
            body["schemas"].append(ENTERPRISE_SCHEMA)
            body[ENTERPRISE_SCHEMA] = enterprise
        modified = max(user.date_joined, link.updated_at) if link else user.date_joined
        body = with_meta(body, resource_type="User", created=user.date_joined, modified=modified)
        return self.service.get_model(resource_type).model_validate(body)

    def from_resource(self, resource: Resource[Any], *, current: User | None) -> dict[str, Any]:
        """The person's fields from a User resource, checked against Candor's rules."""
        body = _as_dict(resource)
        user_name = str(body.get("userName") or "").strip()
        emails = body.get("emails") or []
        chosen = (
            next((e for e in emails if e.get("primary")), None)
            or next((e for e in emails if e.get("type") == "work"), None)
            or (emails[0] if emails else None)
        )
        email = str((chosen or {}).get("value") or "").strip().lower() or user_name.lower()
        try:
            EmailValidator()(email)
        except ValidationError:
            raise InvalidValueException(
                detail="Candor signs people in by email address: send a primary email in 'emails', "
                "or an email address as 'userName'."
            ) from None
        name = body.get("name") or {}
        first, last = str(name.get("givenName") or ""), str(name.get("familyName") or "")
        display = str(body.get("displayName") or " ".join(p for p in (first, last) if p))
        profile: dict[str, Any] = {
            "email": email,
            "first_name": first[:150],
            "last_name": last[:150],
            "display_name": display[:150],
        }
        # The IdP's language and time zone are kept as sent, and applied to the person
        # when Candor supports them and they changed at the IdP: people may pick their
        # own in Candor, and a sync that repeats the IdP's value must not undo that.
        link = _link(current) if current is not None else None
        preferred_language = str(body.get("preferredLanguage") or "")[:64]
        time_zone = str(body.get("timezone") or "")[:64]
        language = _language(preferred_language)
        if language and (link is None or link.preferred_language != preferred_language):
            profile["language"] = language
        valid_zone = time_zone == "UTC" or time_zone in available_timezones()
        if time_zone and valid_zone and (link is None or link.time_zone != time_zone):
            profile["time_zone"] = time_zone
        manager = ((body.get(ENTERPRISE_SCHEMA) or {}).get("manager") or {}).get("value")
        if manager and not str(manager).isdigit():
            raise InvalidValueException(detail="'manager.value' must be the id of a User in Candor.")
        active = body.get("active")
        return {
            "department": str((body.get(ENTERPRISE_SCHEMA) or {}).get("department") or ""),
            "email_type": str((chosen or {}).get("type") or "")[:20],
            "email_primary": (chosen or {}).get("primary"),
            "preferred_language": preferred_language,
            "time_zone": time_zone,
            "manager_id": int(manager) if manager else None,
            "profile": profile,
            "active": (current.is_active if current is not None else True) if active is None else bool(active),
            "external_id": str(body.get("externalId") or ""),
            "user_name": "" if user_name.lower() == email else user_name,
        }

    def _user(self, resource_id: str | None) -> User:
        if not resource_id or not str(resource_id).isdigit():
            raise NotFoundException(detail=f"User {resource_id!r} not found")
        user = visible_people().filter(pk=int(resource_id)).first()
        if user is None:
            raise NotFoundException(detail=f"User {resource_id!r} not found")
        return user

    def _check_user_name(self, user_name: str, exclude_id: int | None) -> None:
        if not user_name:
            return
        taken = visible_people().filter(scim_link__user_name__iexact=user_name)
        if exclude_id is not None:
            taken = taken.exclude(pk=exclude_id)
        if taken.exists():
            raise UniquenessException(detail="Another person already has this userName.")

    # -- the storage interface -------------------------------------------

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        if _is_group(resource_type):
            return group_resource(self.service, resource_type, team_get(visible_people(), resource_id))
        return self.to_resource(resource_type, self._user(resource_id))

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        if len(resource_types) != 1:
            raise NotImplementedException(detail="Search Users at /Users and Groups at /Groups.")
        resource_type = resource_types[0]
        if _is_group(resource_type):
            teams = visible_teams(visible_people())
            resources = [group_resource(self.service, resource_type, team) for team in teams]
        else:
            resources = [self.to_resource(resource_type, user) for user in visible_people()]
        scim_filter = search_request.filter
        if scim_filter is not None and not scim_filter.models and resources:
            models = tuple(dict.fromkeys(type(r) for r in resources))
            scim_filter = parametrize(ScimFilter, Union[models])(str(scim_filter))  # noqa: UP007
        found = [r for r in resources if scim_filter is None or scim_filter.match(r)]
        if search_request.sort_by:
            found = search_request.sort(found)
        start = search_request.start_index_0 or 0
        stop = None if search_request.count is None else start + search_request.count
        return SearchPage(total=len(found), resources=found[start:stop])

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        if _is_group(resource_type):
            fields = group_fields(resource, visible_people())
            team = _domain(groups.scim_group_create, client=self.client, **fields)
            return self.get(resource_type, str(team.pk))
        fields = self.from_resource(resource, current=None)
        self._check_user_name(fields["user_name"], exclude_id=None)
        user = _domain(
            services.scim_user_provision,
            client=self.client,
            **_provisioned(fields),
        )
        return self.to_resource(resource_type, user)

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        if expected_version is not None:
            stored = self.get(resource_type, str(resource.id))
            if stored.meta is None or stored.meta.version != expected_version:
                raise PreconditionFailedException
        if _is_group(resource_type):
            team = team_get(visible_people(), resource.id)
            fields = group_fields(resource, visible_people())
            _domain(groups.scim_group_update, client=self.client, team_id=team.pk, **fields)
            return self.get(resource_type, str(team.pk))
        user = self._user(resource.id)
        fields = self.from_resource(resource, current=user)
        self._check_user_name(fields["user_name"], exclude_id=user.pk)
        user = _domain(
            services.scim_user_update,
            client=self.client,
            user_id=user.pk,
            **_provisioned(fields),
        )
        return self.to_resource(resource_type, user)

    def delete(self, resource_type: ResourceType, resource_id: str, *, expected_version: str | None = None) -> None:
        if _is_group(resource_type):
            team = team_get(visible_people(), resource_id)
            _domain(groups.scim_group_delete, client=self.client, team_id=team.pk)
            return
        user = self._user(resource_id)
        _domain(services.scim_user_delete, client=self.client, user_id=user.pk)


def _is_group(resource_type: ResourceType) -> bool:
    return resource_type.id == "Group"


def _domain(service: Any, **kwargs: Any) -> Any:
    """Call a service; its refusal becomes the SCIM error a client understands."""
    try:
        return service(**kwargs)
    except Conflict as exc:
        if exc.code == "uniqueness":
            raise UniquenessException(detail=exc.message) from None
        raise InvalidValueException(detail=exc.message) from None
    except ApplicationError as exc:
        detail = exc.message
        if exc.fields:
            detail += " " + " ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.fields.items())
        raise InvalidValueException(detail=detail) from None
