"""What is scheduled when, for the comms team: posts per day, never people.

An entry is a post (a draft) on a day, in the viewer's time zone, with how many shares
of it are planned or made that day. The count is a group figure (``figures``): it is
withheld when fewer than ``CANDOR_MIN_GROUP_SIZE`` people scheduled it that day, or
when those who scheduled the post in the period and the participants who did not are
not both at least that many (at or near everyone, each person's choice would be
known). Withholding follows ``suppress``, so the shown days of a post never give a
withheld one away as a difference. No name, handle, account or time of day leaves
this module: employee ids go in and only titles, days and counts come out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied

from accounts.models import User
from accounts.permissions import Capability, user_can
from advocacy.analytics.figures import Cell, Figure, suppress
from advocacy.analytics.selectors import _participants, _safe
from advocacy.sharing.models import Share

# Shares that are, or were, going out: a cancelled, failed or missed share is not on
# the calendar.
ON_THE_CALENDAR = (
    Share.State.SCHEDULED,
    Share.State.REVIEW,
    Share.State.HELD,
    Share.State.SENDING,
    Share.State.SENT,
    Share.State.UNKNOWN,
)


@dataclass(frozen=True)
class ScheduleEntry:
    draft_id: int
    title: str
    day: dt.date
    shares: Figure  # value None: too few people to show


def can_view_schedule(user: User) -> bool:
    return user_can(user, Capability.WRITE_DRAFTS) or user_can(user, Capability.REVIEW_DRAFTS)


def schedule_for_comms(*, user: User, start: dt.date, end: dt.date, zone: ZoneInfo) -> list[ScheduleEntry]:
    """Posts on the calendar from ``start`` to ``end`` (inclusive, days in ``zone``),
    by day and then title. Raises PermissionDenied for anyone outside comms."""
    if not can_view_schedule(user):
        raise PermissionDenied
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    rows = Share.objects.filter(state__in=ON_THE_CALENDAR, scheduled_at__gte=since, scheduled_at__lt=until).values_list(
        "draft_id", "draft__title", "scheduled_at", "employee_id"
    )
    titles: dict[int, str] = {}
    people: dict[int, dict[dt.date, set[int]]] = defaultdict(lambda: defaultdict(set))
    counts: dict[tuple[int, dt.date], int] = defaultdict(int)
    for draft_id, title, scheduled_at, employee_id in rows:
        day = scheduled_at.astimezone(zone).date()
        titles[draft_id] = title
        people[draft_id][day].add(employee_id)
        counts[draft_id, day] += 1
    participants = _participants() if titles else frozenset()
    minimum = settings.CANDOR_MIN_GROUP_SIZE
    entries = []
    for draft_id, days in people.items():
        cells = [
            Cell(day.isoformat(), titles[draft_id], counts[draft_id, day], frozenset(ids)) for day, ids in days.items()
        ]
        # As in the reports: enough who scheduled it, and enough taking part who did not.
        safe = _safe(frozenset().union(*(cell.people for cell in cells)), participants, minimum)
        for cell, figure in zip(cells, suppress(cells, minimum=minimum), strict=True):
            shown = figure if safe else Figure(figure.key, figure.label, None)
            entries.append(ScheduleEntry(draft_id, titles[draft_id], dt.date.fromisoformat(cell.key), shown))
    return sorted(entries, key=lambda entry: (entry.day, entry.title.lower(), entry.draft_id))
