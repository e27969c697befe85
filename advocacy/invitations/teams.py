"""The one place an invitation checks a team name; the person is put in that team
(found, or created) by ``accounts.teams.user_team_set`` once they exist."""

from __future__ import annotations

from django.utils.translation import gettext

from accounts.teams import NAME_MAX
from advocacy.core.errors import ValidationFailed


def checked_team_name(name: str) -> str:
    """The team name as it will be kept ("" for no team). Raises ValidationFailed,
    naming the rule, for a team Candor cannot keep."""
    name = " ".join(name.split())
    if len(name) > NAME_MAX:
        message = gettext("The team name is longer than %(max)d characters.") % {"max": NAME_MAX}
        raise ValidationFailed(message, fields={"team": [message]})
    return name
