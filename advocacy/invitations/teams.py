"""The one place an invitation turns a team name into what a person row holds.

Today a team is free text on ``accounts.User.team``. When teams become their own
model, only this function changes (find or create the team, return it as the field
``user_create`` sets)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from advocacy.core.errors import ValidationFailed

TEAM_MAX = 80  # accounts.User.team


def team_profile(name: str) -> dict[str, Any]:
    """The person fields for team ``name`` (empty: no team). Raises ValidationFailed,
    naming the rule, for a team Candor cannot keep."""
    name = name.strip()
    if len(name) > TEAM_MAX:
        message = gettext("The team name is longer than %(max)d characters.") % {"max": TEAM_MAX}
        raise ValidationFailed(message, fields={"team": [message]})
    return {"team": name}
