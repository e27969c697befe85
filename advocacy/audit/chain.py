"""Canonical form and hashing of audit events. Changing anything here invalidates
every existing chain, so it is versioned by ``CHAIN_FORMAT``."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

CHAIN_FORMAT = 1


# One encoder for every call: json.dumps with options builds a new JSONEncoder each
# time, a sixth of the cost of hashing an event (bench/: audit verify). Same output.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_json(value: Any) -> str:
    return _CANONICAL.encode(value)


def payload_digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def envelope(
    *,
    sequence: int,
    created_at: datetime,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    subject_id: int | None,
    payload_digest: str,
    via: str,
    request_id: str,
    task_id: str,
) -> dict[str, Any]:
    return {
        "v": CHAIN_FORMAT,
        "seq": sequence,
        "at": created_at.isoformat(timespec="microseconds"),
        "actor": actor_id,
        "action": action,
        "target": [target_type, target_id],
        "subject": subject_id,
        "payload": payload_digest,
        "via": via,
        "request": request_id,
        "task": task_id,
    }


def link_hash(prev_hash: str, event_envelope: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(event_envelope)).encode()).hexdigest()


def envelope_of(event: Any) -> dict[str, Any]:
    """The envelope of a stored ``AuditEvent`` row (or anything with its fields)."""
    return envelope(
        sequence=event.sequence,
        created_at=event.created_at,
        actor_id=event.actor_id,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        subject_id=event.subject_id,
        payload_digest=event.payload_digest,
        via=event.via,
        request_id=event.request_id,
        task_id=event.task_id,
    )
