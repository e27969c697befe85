"""The /metrics endpoint: only for Prometheus, by bearer token or from an allowed network."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from advocacy.ops.metrics import metrics_text


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """Why this request may not read the metrics (a response saying so), or None."""
    token = settings.CANDOR_METRICS_TOKEN
    networks = settings.CANDOR_METRICS_ALLOWED_NETWORKS
    if not token and not networks:
        return HttpResponse(
            "Metrics are off: set CANDOR_METRICS_TOKEN or CANDOR_METRICS_ALLOWED_NETWORKS (docs/configuration.md).\n",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        if hmac.compare_digest(header.removeprefix("Bearer ").strip().encode(), token.encode()):
            return None
        return _unauthorized("The bearer token is not CANDOR_METRICS_TOKEN.")
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        peer = None
    if peer is not None and any(peer in ipaddress.ip_network(network) for network in networks):
        return None
    if token:
        return _unauthorized("Send Authorization: Bearer <CANDOR_METRICS_TOKEN>.")
    return HttpResponse(
        f"{peer or 'This address'} is not in CANDOR_METRICS_ALLOWED_NETWORKS.\n",
        status=403,
        content_type="text/plain; charset=utf-8",
    )


def _unauthorized(message: str) -> HttpResponse:
    response = HttpResponse(message + "\n", status=401, content_type="text/plain; charset=utf-8")
    response["WWW-Authenticate"] = 'Bearer realm="candor-metrics"'
    return response


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    body, content_type = metrics_text()
    return HttpResponse(body, content_type=content_type)
