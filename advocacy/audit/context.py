"""Where the current change comes from: request id or task id, and which path.

Set once per request (middleware), per task (Celery signal) or per command, and
read by ``audit_record`` so callers never pass it by hand.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from advocacy.audit.actions import Via


@dataclass(frozen=True)
class AuditContext:
    via: str = Via.SYSTEM
    request_id: str = ""
    task_id: str = ""


# AuditContext is frozen, so one shared default instance is safe.
_current: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "audit_context",
    default=AuditContext(),  # noqa: B039
)


def current() -> AuditContext:
    return _current.get()


@contextmanager
def audit_context(*, via: str, request_id: str = "", task_id: str = "") -> Iterator[AuditContext]:
    token = _current.set(AuditContext(via=via, request_id=request_id, task_id=task_id))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def via_for_path(path: str) -> str:
    if path.startswith("/api/"):
        return Via.API
    if path.startswith("/admin/"):
        return Via.ADMIN
    return Via.PORTAL


class AuditContextMiddleware:
    """Give each request an id (honouring a proxy's X-Request-ID) and a path kind."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        with audit_context(via=via_for_path(request.path), request_id=request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
