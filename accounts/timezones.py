"""Each person's own time zone: forms read times in it, pages and the API show them in it."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone


def user_zone(user: Any) -> ZoneInfo:
    try:
        return ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def aware_in_user_zone(*, user: Any, value: dt.datetime) -> dt.datetime:
    """A time typed without a zone means the person's own time zone; returned in UTC."""
    if timezone.is_naive(value):
        value = value.replace(tzinfo=user_zone(user))
    return value.astimezone(dt.UTC)
