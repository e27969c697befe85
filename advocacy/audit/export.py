"""Audit exports as CSV or JSON Lines, streamed row by row so memory does not grow
with the number of events. Each file starts with the chain head it was cut at,
which ``audit_verify --expect-head`` can check later."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from django.db.models import QuerySet

from advocacy.audit.models import AuditEvent

COLUMNS = ("sequence", "created_at", "actor_id", "actor_email", "action", "target_type", "target_id",
           "subject_id", "via", "request_id", "task_id", "old", "new", "prev_hash", "hash")
FORMATS = ("csv", "jsonl")
CHUNK = 2000
# Built once: json.dumps with options builds a new encoder on every call (bench/: audit export).
_JSONL = json.JSONEncoder(ensure_ascii=False, default=str)
_CELL = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class ExportFilters:
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    actor_id: int | None = None
    action: str = ""
    account_id: int | None = None
    employee_id: int | None = None

    def as_json(self) -> dict[str, object]:
        return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in asdict(self).items() if v}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ExportFilters:
        parsed = dict(data)
        for key in ("since", "until"):
            if parsed.get(key):
                parsed[key] = dt.datetime.fromisoformat(str(parsed[key]))
        return cls(**parsed)  # type: ignore[arg-type]


def filtered_events(*, filters: ExportFilters, upto_sequence: int) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(sequence__lte=upto_sequence)
    if filters.since:
        events = events.filter(created_at__gte=filters.since)
    if filters.until:
        events = events.filter(created_at__lt=filters.until)
    if filters.actor_id:
        events = events.filter(actor_id=filters.actor_id)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.account_id:
        events = events.filter(target_type="ledger.connectedaccount", target_id=str(filters.account_id))
    if filters.employee_id:
        events = events.filter(subject_id=filters.employee_id)
    return events.order_by("sequence")


def _rows(events: QuerySet[AuditEvent]) -> Iterator[tuple[object, ...]]:
    fields = ("sequence", "created_at", "actor_id", "actor__email", "action", "target_type", "target_id",
              "subject_id", "via", "request_id", "task_id", "payload", "prev_hash", "hash")
    for row in events.values_list(*fields).iterator(chunk_size=CHUNK):
        *head, payload, prev_hash, digest = row
        yield (*head, payload.get("old", {}), payload.get("new", {}), prev_hash, digest)


class _Line:
    """A file-like object whose write() returns the line, for csv.writer streaming."""

    def write(self, value: str) -> str:
        return value


def export_lines(*, filters: ExportFilters, fmt: str, head: tuple[int, str]) -> Iterator[str]:
    """Yield the export file line by line (header first)."""
    meta = {"chain_head_sequence": head[0], "chain_head_hash": head[1], "filters": filters.as_json(),
            "format": f"candor-audit-{fmt}-v1"}
    events = filtered_events(filters=filters, upto_sequence=head[0])
    if fmt == "jsonl":
        yield json.dumps({"_meta": meta}, ensure_ascii=False) + "\n"
        for row in _rows(events):
            record = dict(zip(COLUMNS, row, strict=True))
            record["created_at"] = record["created_at"].isoformat()
            yield _JSONL.encode(record) + "\n"
        return
    writer = csv.writer(_Line())
    yield f"# candor audit export; chain_head_sequence={head[0]}; chain_head_hash={head[1]}\n"
    yield writer.writerow(COLUMNS)
    for row in _rows(events):
        values = list(row)
        values[1] = values[1].isoformat()
        values[11] = _CELL.encode(values[11])
        values[12] = _CELL.encode(values[12])
        yield writer.writerow(values)
