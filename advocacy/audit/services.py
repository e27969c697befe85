from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import User
from advocacy.audit import chain
from advocacy.audit.actions import AuditAction
from advocacy.audit.context import current
from advocacy.audit.models import AuditChainHead, AuditEvent


def _target_parts(target: models.Model | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    return target._meta.label_lower, str(target.pk)


@dataclass(frozen=True)
class AuditEntry:
    """One event to append, for ``audit_record_many``."""

    actor: User | None
    action: AuditAction
    target: models.Model | None = None
    subject: User | None = None
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None


def audit_record(
    *,
    actor: User | None,
    action: AuditAction,
    target: models.Model | None = None,
    subject: User | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain.

    The caller must already be inside ``transaction.atomic``: the event is part of the
    state change it describes and commits or rolls back with it.
    """
    entry = AuditEntry(actor=actor, action=action, target=target, subject=subject, old=old, new=new)
    return audit_record_many(entries=[entry])[0]


def audit_record_many(*, entries: Sequence[AuditEntry]) -> list[AuditEvent]:
    """Append several events in order, under one lock of the chain head.

    Every append locks the head, so appends serialise; a batch of sends records its
    events with one lock and one insert instead of one of each per share (bench/:
    fan-out). Same rules as ``audit_record``: inside the caller's transaction.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    if not entries:
        return []
    context = current()
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    events = []
    sequence, previous_hash = head.sequence, head.hash
    for entry in entries:
        target_type, target_id = _target_parts(entry.target)
        # Stored exactly as hashed: a JSON round trip turns dates and decimals into strings.
        payload = json.loads(chain.canonical_json({"old": entry.old or {}, "new": entry.new or {}}))
        sequence += 1
        event = AuditEvent(
            sequence=sequence,
            created_at=timezone.now(),
            actor=entry.actor,
            action=entry.action,
            target_type=target_type,
            target_id=target_id,
            subject=entry.subject,
            payload=payload,
            payload_digest=chain.payload_digest(payload),
            via=context.via,
            request_id=context.request_id,
            task_id=context.task_id,
            prev_hash=previous_hash,
        )
        event.hash = previous_hash = chain.link_hash(previous_hash, chain.envelope_of(event))
        events.append(event)
    AuditEvent.objects.bulk_create(events)
    head.sequence, head.hash = sequence, previous_hash
    head.save(update_fields=["sequence", "hash"])
    return events


@transaction.atomic
def audit_record_standalone(**kwargs: Any) -> AuditEvent:
    """For events with no other state change (a login, an export)."""
    return audit_record(**kwargs)


def audit_export_record(*, actor: User | None, filters: dict[str, Any], fmt: str, rows: int) -> tuple[int, str]:
    """Record that an export is being made; the export is cut at the head that
    includes this very event, so the file proves its own existence."""
    with transaction.atomic():
        event = audit_record(
            actor=actor, action=AuditAction.AUDIT_EXPORTED, new={"filters": filters, "format": fmt, "rows": rows}
        )
    return event.sequence, event.hash
