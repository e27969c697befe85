"""Request-level security: MFA for privileged roles, an idle timeout for sessions
that can reach admin pages, and the one relaxed Content-Security-Policy (the API
documentation pages). See docs/security.md for the reasoning behind each rule.

Order in ``MIDDLEWARE``: after ``AuthenticationMiddleware``, allauth's
``AccountMiddleware`` and ``MessageMiddleware``, and after (inside)
``csp.middleware.CSPMiddleware`` so that the relaxation is seen when CSP writes
its header.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect
from rest_framework import exceptions, status
from rest_framework.authentication import TokenAuthentication

from accounts.models import Role

API_PREFIX = "/api/"
# Views a signed-in person may reach before setting up MFA: every allauth page
# (sign-in, sign-out, MFA set-up, re-authentication, email, password), language
# switching, files and the health check. Matched on the view's module, so new
# allauth pages are covered without a list of URL names to keep in step.
MFA_EXEMPT_VIEW_MODULES = ("allauth.", "django.views.i18n", "django.views.static")
MFA_EXEMPT_URL_NAMES = frozenset({"healthz", "manifest", "service_worker", "offline"})
SESSION_LAST_SEEN_KEY = "candor_last_seen"
# The id of the person whose sign-in the identity provider said used more than one
# factor (amr/acr, see accounts.sso.asserts_mfa): that session needs no TOTP here.
IDP_MFA_SESSION_KEY = "candor_idp_mfa_user"
# Writing the session on every request is wasteful; a minute of slack is harmless.
LAST_SEEN_RESOLUTION_SECONDS = 60

MFA_REQUIRED_ROLES = frozenset({Role.COMMS_REVIEWER, Role.ADMIN})


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def mfa_required_for(user: Any) -> bool:
    """Whether this person must have an authenticator app before using Candor:
    reviewers and admins (they approve what staff post, and offboard people), and
    anyone who can open the Django admin."""
    if not settings.CANDOR_REQUIRE_MFA or not getattr(user, "is_authenticated", False):
        return False
    return user.role in MFA_REQUIRED_ROLES or user.is_staff or user.is_superuser


def has_totp(user: Any) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def mfa_missing(user: Any) -> bool:
    return mfa_required_for(user) and not has_totp(user)


MFA_REQUIRED_MESSAGE = (
    "Your role requires two-factor authentication. Set up an authenticator app at "
    "/accounts/2fa/totp/activate/, then try again."
)


def _error(*, code: str, message: str, status_code: int) -> JsonResponse:
    # Imported here: advocacy.core.api imports rest_framework.views, which loads the
    # authentication classes, one of which lives in this module.
    from advocacy.core.api import error_body

    return JsonResponse(error_body(code=code, message=message), status=status_code)


def idp_mfa_asserted(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    return session is not None and user is not None and session.get(IDP_MFA_SESSION_KEY) == user.pk


def mfa_required_response() -> JsonResponse:
    return _error(code="mfa_required", message=MFA_REQUIRED_MESSAGE, status_code=status.HTTP_403_FORBIDDEN)


class MfaRequiredMiddleware:
    """A signed-in reviewer or admin without an activated TOTP authenticator is sent
    to set one up (allauth then offers recovery codes) before any other page; on the
    API they get ``403 {"error": {"code": "mfa_required"}}``. Switched by
    ``CANDOR_REQUIRE_MFA``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        if not mfa_required_for(request.user):
            return None
        if getattr(view_func, "__module__", "").startswith(MFA_EXEMPT_VIEW_MODULES):
            return None
        if getattr(request.resolver_match, "url_name", None) in MFA_EXEMPT_URL_NAMES:
            return None
        if request.path.startswith(settings.STATIC_URL) or not mfa_missing(request.user):
            return None
        if idp_mfa_asserted(request):
            return None
        if is_api_request(request):
            return mfa_required_response()
        url = reverse("mfa_activate_totp")
        if request.method == "GET" and not getattr(request, "htmx", False):
            messages.info(request, _("Your role requires two-factor authentication. Set it up to continue."))
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return redirect(url)


class MfaRequired(exceptions.PermissionDenied):
    default_detail = MFA_REQUIRED_MESSAGE
    default_code = "mfa_required"


class MfaTokenAuthentication(TokenAuthentication):
    """DRF token authentication that refuses a reviewer's or admin's token while
    they have no authenticator (the session path is covered by the middleware;
    token requests never carry a session, so the middleware cannot see them)."""

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None and mfa_missing(result[0]):
            raise MfaRequired()
        return result


def is_privileged_session(user: Any) -> bool:
    return getattr(user, "is_authenticated", False) and (user.role == Role.ADMIN or user.is_staff or user.is_superuser)


class AdminIdleTimeoutMiddleware:
    """Sign out a session that can reach admin pages (admin role, or staff) after
    ``CANDOR_ADMIN_IDLE_MINUTES`` without a request. The whole session expires, not
    just the admin pages: an idle admin session is the risk, whichever page it opens
    next. Other people's sessions last ``SESSION_COOKIE_AGE``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_privileged_session(request.user):
            return self.get_response(request)
        now = int(time.time())
        last_seen = request.session.get(SESSION_LAST_SEEN_KEY)
        if isinstance(last_seen, int) and now - last_seen > settings.CANDOR_ADMIN_IDLE_MINUTES * 60:
            return self._expire(request)
        if not isinstance(last_seen, int) or now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
            request.session[SESSION_LAST_SEEN_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _expire(request: HttpRequest) -> HttpResponse:
        logout(request)
        message = _("You were signed out after %(minutes)s minutes without activity. Please sign in again.") % {
            "minutes": settings.CANDOR_ADMIN_IDLE_MINUTES
        }
        if is_api_request(request):
            return _error(code="session_expired", message=message, status_code=status.HTTP_401_UNAUTHORIZED)
        messages.info(request, message)
        next_url = request.get_full_path() if request.method == "GET" else "/"
        url = f"{reverse('account_login')}?{urlencode({'next': next_url})}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return redirect(url)


# The API documentation pages (drf-spectacular's Swagger UI and ReDoc, served from
# the sidecar package on our own origin) start themselves with an inline script and
# inline styles, and ReDoc runs a blob: worker. They get this policy, and no other
# page does. They render no user content.
API_DOCS_URL_NAMES = frozenset({"api-docs", "api-redoc"})
API_DOCS_CSP_UPDATE = {
    "script-src": ["'unsafe-inline'"],
    "style-src": ["'unsafe-inline'"],
    "worker-src": ["'self'", "blob:"],
}


class ApiDocsCspMiddleware:
    """Relax the Content-Security-Policy for the API documentation pages only (the
    same as django-csp's ``@csp_update`` on those views, which live in the URLconf
    as third-party classes)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in API_DOCS_URL_NAMES:
            response._csp_update = API_DOCS_CSP_UPDATE  # type: ignore[attr-defined]
        return response
