"""Request types for views that only a signed-in user reaches, for the type checker.

Django and DRF type ``request.user`` as ``User | AnonymousUser``; behind
``login_required``, ``requires(...)`` or DRF's ``IsAuthenticated`` (the API's default)
it is always a ``User``. Annotating such a view's ``request`` with these classes says
so once, instead of a check in every view. Nothing creates them: at run time the
request is Django's or DRF's own, and the sign-in check is still the decorator's or the
permission class's job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from rest_framework.request import Request

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import User


class HtmxHttpRequest(HttpRequest):
    """Any request once django-htmx's middleware has run (it sets ``request.htmx``)."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """An HTML view's request behind a sign-in check."""

    user: User


class AuthenticatedRequest(Request):
    """A DRF view's request behind ``IsAuthenticated``."""

    user: User
