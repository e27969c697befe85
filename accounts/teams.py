"""State changes to teams: create, rename, delete, and who is in which. Admins make
them in the Django admin; the identity provider makes them through SCIM (Groups, and
a User's ``department``), with no person as actor and its name as ``source``. Each
checks who may do it and writes its audit event in the same transaction.

A person is in at most one team (``User.team``): adding someone to a team moves
them out of the one they were in, recorded as both."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from accounts.models import Team, User
from accounts.services import _locked, _require_admin_or_source
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record
from advocacy.core.errors import Conflict, ValidationFailed

NAME_MAX = Team._meta.get_field("name").max_length or 80


def _clean_name(name: str, *, exclude_id: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed(gettext("Name the team."), fields={"name": [gettext("Required.")]})
    if len(name) > NAME_MAX:
        message = gettext("A team's name has at most %(count)d characters.") % {"count": NAME_MAX}
        raise ValidationFailed(message, fields={"name": [message]})
    taken = Team.objects.filter(name__iexact=name)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    if taken.exists():
        raise Conflict(gettext("There is already a team called %(name)s.") % {"name": name}, code="uniqueness")
    return name


def _locked_team(team_id: int) -> Team:
    team = Team.objects.select_for_update().filter(pk=team_id).first()
    if team is None:
        raise ValidationFailed(gettext("No such team."), fields={"team": [gettext("Unknown team.")]}, code="not_found")
    return team


def _require(actor: User | None, source: str) -> None:
    _require_admin_or_source(actor, source, gettext("Only admins can change teams."))


def _event(
    actor: User | None,
    action: AuditAction,
    team: Team,
    source: str,
    *,
    subject: User | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> None:
    new = {**(new or {}), **({"source": source} if source else {})}
    audit_record(actor=actor, action=action, target=team, subject=subject, old=old, new=new)


@transaction.atomic
def team_create(*, actor: User | None, name: str, source: str = "") -> Team:
    """A new, empty team. Names are unique whatever their case (a taken name is a
    ``Conflict`` with code ``uniqueness``)."""
    _require(actor, source)
    team = Team.objects.create(name=_clean_name(name))
    _event(actor, AuditAction.TEAM_CREATED, team, source, new={"name": team.name})
    return team


@transaction.atomic
def team_rename(*, actor: User | None, team_id: int, name: str, source: str = "") -> Team:
    _require(actor, source)
    team = _locked_team(team_id)
    if " ".join(name.split()) == team.name:
        return team
    new_name = _clean_name(name, exclude_id=team.pk)
    old_name, team.name = team.name, new_name
    team.save(update_fields=["name"])
    _event(actor, AuditAction.TEAM_RENAMED, team, source, old={"name": old_name}, new={"name": new_name})
    return team


@transaction.atomic
def team_delete(*, actor: User | None, team_id: int, source: str = "") -> None:
    """Remove everyone from the team (each recorded), then the team. A draft meant for
    it keeps an audience entry for "a deleted team", which nobody is in: deleting a
    team never widens who sees a draft (``advocacy.drafts.models.DraftAudienceTeam``)."""
    _require(actor, source)
    team = _locked_team(team_id)
    _remove(actor=actor, team=team, user_ids=list(team.members.values_list("pk", flat=True)), source=source)
    _event(actor, AuditAction.TEAM_DELETED, team, source, old={"name": team.name})
    team.delete()


@transaction.atomic
def team_members_add(*, actor: User | None, team_id: int, user_ids: Iterable[int], source: str = "") -> Team:
    """Put these people in the team, moving them out of any other one."""
    _require(actor, source)
    team = _locked_team(team_id)
    for user_id in dict.fromkeys(user_ids):
        user = _locked(user_id)
        if user.team_id == team.pk:
            continue
        if user.team_id is not None:
            previous = _locked_team(user.team_id)
            _event(actor, AuditAction.TEAM_MEMBER_REMOVED, previous, source, subject=user, new={"moved_to": team.pk})
        user.team = team
        user.save(update_fields=["team"])
        _event(actor, AuditAction.TEAM_MEMBER_ADDED, team, source, subject=user)
    return team


@transaction.atomic
def team_members_remove(*, actor: User | None, team_id: int, user_ids: Iterable[int], source: str = "") -> Team:
    """Take these people out of the team (someone not in it is left as they are)."""
    _require(actor, source)
    team = _locked_team(team_id)
    _remove(actor=actor, team=team, user_ids=user_ids, source=source)
    return team


@transaction.atomic
def team_members_set(*, actor: User | None, team_id: int, user_ids: Iterable[int], source: str = "") -> Team:
    """Make these people the team's members, exactly (a SCIM PUT or ``replace``)."""
    wanted = list(dict.fromkeys(user_ids))
    team = _locked_team(team_id)
    leaving = [pk for pk in team.members.values_list("pk", flat=True) if pk not in wanted]
    team_members_remove(actor=actor, team_id=team.pk, user_ids=leaving, source=source)
    return team_members_add(actor=actor, team_id=team.pk, user_ids=wanted, source=source)


def _remove(*, actor: User | None, team: Team, user_ids: Iterable[int], source: str) -> None:
    for user_id in dict.fromkeys(user_ids):
        user = _locked(user_id)
        if user.team_id != team.pk:
            continue
        user.team = None
        user.save(update_fields=["team"])
        _event(actor, AuditAction.TEAM_MEMBER_REMOVED, team, source, subject=user)


@transaction.atomic
def user_team_set(*, actor: User | None, user_id: int, team_name: str, source: str = "") -> User:
    """Put someone in the team of this name, creating it if there is none; an empty
    name takes them out of their team. For a free-text team (SCIM's ``department``)."""
    _require(actor, source)
    user = _locked(user_id)
    name = " ".join(team_name.split())[:NAME_MAX]
    if not name:
        if user.team_id is not None:
            _remove(actor=actor, team=_locked_team(user.team_id), user_ids=[user.pk], source=source)
        return _locked(user_id)
    team = Team.objects.filter(name__iexact=name).first() or team_create(actor=actor, name=name, source=source)
    team_members_add(actor=actor, team_id=team.pk, user_ids=[user.pk], source=source)
    return _locked(user_id)
