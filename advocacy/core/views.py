from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import Capability, user_can
from advocacy.core import services
from advocacy.core.health import health_report
from advocacy.core.models import TaskProbe


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    status, body = health_report()
    if request.GET.get("strict") in ("1", "true", "yes") and body["status"] != "ok":
        status = 503
    return JsonResponse(body, status=status)


def _require_diagnostics(request: AuthenticatedHttpRequest) -> None:
    if not user_can(request.user, Capability.RUN_DIAGNOSTICS):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def diagnostics(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Admin page: service health plus a button that sends a task through the real
    broker to a real worker and shows when it came back."""
    _require_diagnostics(request)
    if request.method == "POST":
        services.task_probe_request(actor=request.user)
    _, report = health_report()
    probes = list(TaskProbe.objects.all()[:5])
    pending = any(probe.completed_at is None for probe in probes)
    template = "core/_probes.html" if request.htmx else "core/diagnostics.html"
    return render(request, template, {"report": report, "probes": probes, "pending": pending})
