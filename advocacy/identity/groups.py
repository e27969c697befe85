"""State changes the identity provider makes to its Groups, which are Candor's
teams (SCIM ``/Groups``). Each calls ``accounts.teams`` with no person as actor and
the client named as source, so every change is on the record like an admin's.

A Group is a team with a ``ScimGroupLink``. Creating a Group whose name an existing
team already has (one made by an admin, or by a User's ``department``) adopts that
team: Okta and Entra ID push the groups a company already uses. From then on the
Group's members decide who is in it (``services._department_apply``)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext

from accounts.models import Team
from accounts.teams import team_create, team_delete, team_members_set, team_rename
from advocacy.core.errors import Conflict
from advocacy.identity.models import ScimClient, ScimGroupLink
from advocacy.identity.services import source_of


@transaction.atomic
def scim_group_create(*, client: ScimClient, display_name: str, external_id: str, member_ids: Sequence[int]) -> Team:
    """A Group becomes a team with exactly these members (each moved out of their
    previous team). A name another Group already has is a ``uniqueness`` conflict."""
    source = source_of(client)
    team = Team.objects.select_for_update().filter(name__iexact=" ".join(display_name.split())).first()
    if team is not None and ScimGroupLink.objects.filter(team=team).exists():
        raise Conflict(gettext("There is already a team called %(name)s.") % {"name": team.name}, code="uniqueness")
    if team is None:
        team = team_create(actor=None, name=display_name, source=source)
    ScimGroupLink.objects.create(team=team, client=client, external_id=external_id[:255])
    return team_members_set(actor=None, team_id=team.pk, user_ids=member_ids, source=source)


@transaction.atomic
def scim_group_update(
    *, client: ScimClient, team_id: int, display_name: str, external_id: str, member_ids: Sequence[int]
) -> Team:
    """Apply the IdP's whole view of a Group (a PUT, or a PATCH already applied):
    its name, its ``externalId`` and exactly these members."""
    source = source_of(client)
    team = team_rename(actor=None, team_id=team_id, name=display_name, source=source)
    link, _ = ScimGroupLink.objects.get_or_create(team=team, defaults={"client": client})
    if link.external_id != external_id[:255]:
        link.external_id = external_id[:255]
        link.save(update_fields=["external_id", "updated_at"])
    return team_members_set(actor=None, team_id=team.pk, user_ids=member_ids, source=source)


@transaction.atomic
def scim_group_delete(*, client: ScimClient, team_id: int) -> None:
    """The Group is gone: its members are taken out and the team deleted. Drafts
    meant for it then reach nobody through it (``accounts.teams.team_delete``)."""
    team_delete(actor=None, team_id=team_id, source=source_of(client))
