"""The comms schedule: what is scheduled when, by post (never by person), as a month
or week calendar or as a list. At phone width the calendars collapse to the list
(CSS only: one markup for every size)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import Capability
from accounts.timezones import user_zone
from advocacy.analytics.schedule import ScheduleEntry, schedule_for_comms
from advocacy.portal.helpers import requires

VIEWS = ("month", "week", "list")


@dataclass(frozen=True)
class CalendarDay:
    day: dt.date
    in_period: bool  # False for the days of the neighbouring months that fill a month's first and last week
    is_today: bool
    entries: tuple[ScheduleEntry, ...]


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    shown_from: dt.date  # whole weeks, Monday to Sunday
    shown_to: dt.date
    previous: dt.date
    next: dt.date


def period_for(*, view: str, anchor: dt.date) -> Period:
    """The days ``view`` shows around ``anchor``: its week, or its month in whole weeks."""
    if view == "week":
        start = anchor - dt.timedelta(days=anchor.weekday())
        end = start + dt.timedelta(days=6)
        return Period(start, end, start, end, start - dt.timedelta(days=7), end + dt.timedelta(days=1))
    start = anchor.replace(day=1)
    end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    shown_from = start - dt.timedelta(days=start.weekday())
    shown_to = end + dt.timedelta(days=6 - end.weekday())
    return Period(
        start, end, shown_from, shown_to, (start - dt.timedelta(days=1)).replace(day=1), end + dt.timedelta(days=1)
    )


@requires(Capability.WRITE_DRAFTS)
@require_safe
def schedule(request: AuthenticatedHttpRequest) -> HttpResponse:
    zone = user_zone(request.user)
    today = timezone.now().astimezone(zone).date()
    view = request.GET.get("view", "month")
    view = view if view in VIEWS else "month"
    anchor = today
    if typed := request.GET.get("date", ""):
        try:
            anchor = dt.date.fromisoformat(typed)
        except ValueError:
            messages.error(request, _("A date is written as year-month-day, for example 2026-12-03; showing today."))
    period = period_for(view=view, anchor=anchor)
    entries = schedule_for_comms(user=request.user, start=period.start, end=period.end, zone=zone)
    by_day: dict[dt.date, list[ScheduleEntry]] = defaultdict(list)
    for entry in entries:
        by_day[entry.day].append(entry)
    days = [
        CalendarDay(day, period.start <= day <= period.end, day == today, tuple(by_day.get(day, ())))
        for day in (
            period.shown_from + dt.timedelta(days=n) for n in range((period.shown_to - period.shown_from).days + 1)
        )
    ]
    title = (
        date_format(period.start, "YEAR_MONTH_FORMAT")
        if view != "week"
        else f"{date_format(period.start, 'SHORT_DATE_FORMAT')} – {date_format(period.end, 'SHORT_DATE_FORMAT')}"
    )
    return render(
        request,
        "comms/schedule.html",
        {
            "view": view,
            "views": _view_labels(),
            "period": period,
            "title": title,
            "days": days,
            "weekdays": [date_format(day.day, "D") for day in days[:7]],
            "has_entries": bool(entries),
            "zone": zone,
        },
    )


def _view_labels() -> list[tuple[str, str]]:
    return [("month", _("Month")), ("week", _("Week")), ("list", _("List"))]
