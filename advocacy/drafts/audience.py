"""Who a draft is meant for. A version with no teams and no languages is meant for
everyone; with teams, only for people in one of them; with languages, only for
people whose language is one of them; with both, for people who meet both.

The feed, the share pages, the API and the digest all filter with ``meant_for``,
and sharing checks ``is_meant_for``, so a post reaches only its audience on every
path."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext

from accounts.models import User
from advocacy.drafts.models import DraftAudienceTeam, DraftVersion

LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "id": "Bahasa Indonesia", "it": "Italiano"}


def meant_for(user: User, *, version: str = "published_version") -> Q:
    """A filter on drafts (``version`` names the version field) for ``user``'s posts."""
    targeted = DraftAudienceTeam.objects.filter(version_id=OuterRef(version))
    # A person in no team is in none of the chosen teams; a deleted team's row (no
    # team) matches nobody, so ``team_id=None`` must never be looked up.
    in_team = Exists(targeted.filter(team_id=user.team_id)) if user.team_id is not None else Q(pk__in=[])
    teams = ~Exists(targeted) | in_team
    # The languages are a JSON list of codes: matching the quoted code works the
    # same on SQLite and PostgreSQL (SQLite has no JSON containment lookup).
    languages = Q(**{f"{version}__audience_languages": []}) | Q(
        **{f"{version}__audience_languages__icontains": f'"{user.language}"'}
    )
    return teams & languages


def is_meant_for(user: User, version: DraftVersion) -> bool:
    teams = set(version.audience_teams.values_list("team_id", flat=True))
    languages = set(version.audience_languages or [])
    return (not teams or (user.team_id is not None and user.team_id in teams)) and (
        not languages or user.language in languages
    )


def audience_summary(version: DraftVersion) -> str:
    """Who ``version`` is meant for, in words for the comms team and reviewers."""
    names = [
        row.team.name if row.team else gettext("a deleted team")
        for row in version.audience_teams.select_related("team")
    ]
    languages = [str(LANGUAGE_NAMES.get(code, code)) for code in version.audience_languages or []]
    if not names and not languages:
        return gettext("Everyone")
    parts = []
    if names:
        parts.append(gettext("Teams: %(teams)s") % {"teams": ", ".join(sorted(names))})
    if languages:
        parts.append(gettext("Languages: %(languages)s") % {"languages": ", ".join(languages)})
    return " · ".join(parts)
