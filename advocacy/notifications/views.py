from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import requires
from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import Capability
from advocacy.core.errors import ApplicationError
from advocacy.core.forms import form_errors_from
from advocacy.notifications.forms import PreferenceForm
from advocacy.notifications.push import (
    push_configured,
    push_subscribe,
    push_subscriptions_delete_for_user,
    push_unsubscribe,
)
from advocacy.notifications.selectors import notification_preference_for, push_device_count
from advocacy.notifications.services import notification_preference_set


@requires(Capability.PARTICIPATE)
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    current = notification_preference_for(user=request.user)
    form = PreferenceForm(request.POST or None, initial={"digest": current.digest})
    if request.method == "POST" and form.is_valid():
        try:
            notification_preference_set(user=request.user, digest=form.cleaned_data["digest"])
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notifications:settings")
    context = {
        "form": form,
        "preference": current,
        "push_configured": push_configured(),
        "vapid_public_key": settings.CANDOR_VAPID_PUBLIC_KEY,
        "push_devices": push_device_count(user=request.user),
    }
    return render(request, "notifications/settings.html", context)


def _json_body(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise ApplicationError(_("Send the push subscription as a JSON object."), code="bad_json")
    return body


def _error(exc: ApplicationError) -> JsonResponse:
    return JsonResponse({"code": exc.code, "detail": exc.message, "fields": exc.fields}, status=exc.status)


@requires(Capability.PARTICIPATE)
@require_http_methods(["POST"])
def push_subscription_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    """This browser's subscription, as ``PushSubscription.toJSON()`` gives it."""
    try:
        body = _json_body(request)
        keys = body.get("keys")
        keys = keys if isinstance(keys, dict) else {}
        push_subscribe(
            actor=request.user,
            endpoint=str(body.get("endpoint") or ""),
            p256dh=str(keys.get("p256dh") or ""),
            auth=str(keys.get("auth") or ""),
        )
    except ApplicationError as exc:
        return _error(exc)
    return JsonResponse({"push": "on"}, status=201)


@requires(Capability.PARTICIPATE)
@require_http_methods(["POST"])
def push_subscription_remove(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        body = _json_body(request)
    except ApplicationError as exc:
        return _error(exc)
    removed = push_unsubscribe(actor=request.user, endpoint=str(body.get("endpoint") or ""))
    return JsonResponse({"push": "off", "removed": removed})


@requires(Capability.PARTICIPATE)
@require_http_methods(["POST"])
def push_off_everywhere(request: AuthenticatedHttpRequest) -> HttpResponse:
    removed = push_subscriptions_delete_for_user(user=request.user, actor=request.user, reason="turned_off")
    if removed:
        messages.success(request, _("Push notifications are off on all your devices."))
    return redirect("notifications:settings")
