"""Every Celery task runs inside an audit context: via=worker, task_id=its id."""

from __future__ import annotations

from typing import Any

from celery.signals import task_postrun, task_prerun

from advocacy.audit import context
from advocacy.audit.actions import Via

_tokens: dict[str, Any] = {}


@task_prerun.connect
def _enter_task_context(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        _tokens[task_id] = context._current.set(context.AuditContext(via=Via.WORKER, task_id=task_id))


@task_postrun.connect
def _leave_task_context(task_id: str | None = None, **kwargs: Any) -> None:
    token = _tokens.pop(task_id or "", None)
    if token is not None:
        context._current.reset(token)
