from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


class UserTimezoneMiddleware:
    """Show and read times in the signed-in person's own time zone (stored in UTC)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        try:
            timezone.activate(ZoneInfo(zone)) if zone else timezone.deactivate()
        except (ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class UserLanguageMiddleware:
    """Speak the signed-in person's language when their browser has not picked one.

    Order of precedence: the language cookie (set by the switcher in the page header),
    then the ``language`` saved on the person, then the browser's Accept-Language (which
    ``LocaleMiddleware`` already applied). The saved value counts only when it differs
    from ``LANGUAGE_CODE``: that is also the field's default, so it says nothing about a
    choice. Runs after ``AuthenticationMiddleware``, because ``LocaleMiddleware`` runs
    before anyone is known.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and getattr(user, "language", "") in self.supported
            and user.language != settings.LANGUAGE_CODE
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
