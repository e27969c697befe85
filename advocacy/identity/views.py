"""The SCIM endpoint: a Django view in front of scim2-server's handler.

Authenticated by a provisioning client's bearer token (``/ServiceProviderConfig``
needs none, RFC 7643 §5). One request is one transaction: a refused operation
changes nothing. Every error is a SCIM error body with its ``scimType``; a bug is
logged and answered with a SCIM 500, never Django's HTML page.
"""

from __future__ import annotations

import json
import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from scim2_models import SCIMException, UnauthorizedException
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.routing import Operation

from advocacy.audit.actions import Via
from advocacy.audit.context import audit_context, current
from advocacy.identity.scim import CandorStorage, entra_compatible, scim_service
from advocacy.identity.selectors import scim_client_for_token

logger = logging.getLogger(__name__)
BASE_PATH = "/scim/v2"


def _scim_request(request: HttpRequest, path: str) -> ScimRequest:
    return ScimRequest(
        method=request.method or "GET",
        base_url=request.build_absolute_uri(BASE_PATH),
        path=path or "/",
        query={key: request.GET[key] for key in request.GET},
        headers=dict(request.headers),
        body=entra_compatible(request.body) if request.method == "PATCH" else request.body,
    )


def _http(response: ScimResponse) -> HttpResponse:
    body = b"" if response.body is None else json.dumps(response.body).encode()
    http = HttpResponse(body, status=response.status.value)
    for name, value in response.headers.items():
        http[name] = value
    if response.body is None:
        del http["Content-Type"]
    http.setdefault("Cache-Control", "no-cache")
    return http


def _serve(scim_request: ScimRequest, token: str) -> ScimResponse:
    service = scim_service()
    target = service.match(scim_request)
    client = scim_client_for_token(token=token) if token else None
    if client is None and target.operation is not Operation.service_provider_config:
        raise UnauthorizedException(detail="Send a provisioning client's token: Authorization: Bearer <token>.")
    scim_request.subject = client
    handler = ScimHandler(service, CandorStorage(service, client))  # type: ignore[arg-type]
    with audit_context(via=Via.API, request_id=current().request_id), transaction.atomic():
        return handler.handle(scim_request)


@csrf_exempt
def scim(request: HttpRequest, path: str = "") -> HttpResponse:
    scim_request = _scim_request(request, path)
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    try:
        response = _serve(scim_request, token.strip() if scheme.lower() == "bearer" else "")
    except SCIMException as exc:
        response = scim_service().error_response(exc)
    except Exception as exc:  # a bug: logged, and still a SCIM answer
        logger.exception("SCIM request failed: %s %s", request.method, request.path)
        response = scim_service().error_response(exc)
    response.headers.setdefault("Location", scim_request.url)
    return _http(response)
