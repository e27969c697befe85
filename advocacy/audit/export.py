"""Audit exports as CSV or JSON Lines, streamed in pieces so memory does not grow
with the number of events. Each file starts with the chain head it was cut at,
which ``audit_verify --expect-head`` can check later, and ends with its proof (a
signed checkpoint and each event's inclusion proof, see ``advocacy.audit.proofs``): a
``_proof`` line in JSON Lines, a ``# candor audit proof: <base64 JSON>`` line in CSV.
The standalone verifier checks either offline. docs/operations.md describes
the format.

On PostgreSQL the rows come from ``COPY``, batch by batch: CSV formatted entirely by
PostgreSQL, JSON Lines assembled from text fields (timestamps formatted and old/new
written as JSON by PostgreSQL). Elsewhere Python formats them from the ORM. Both write
the same bytes (tests/audit/test_exports.py compares them on PostgreSQL): Django's
field conversions and re-encoding old/new were most of an export's time (bench/:
audit export).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from json.encoder import encode_basestring
from typing import Any

from django.db import connection
from django.db.models import CharField, F, Func, JSONField, QuerySet

from advocacy.audit import pgcopy
from advocacy.audit.models import AuditEvent

COLUMNS = (
    "sequence",
    "created_at",
    "actor_id",
    "actor_email",
    "action",
    "target_type",
    "target_id",
    "subject_id",
    "via",
    "request_id",
    "task_id",
    "old",
    "new",
    "prev_hash",
    "hash",
)
FORMATS = ("csv", "jsonl")
HEADER_LINES = {"csv": 2, "jsonl": 1}
CHUNK = 2000  # events per piece from the ORM
BATCH = 5_000  # sequence numbers per COPY statement: bounds the memory of one piece
# Built once: json.dumps with options builds a new encoder on every call (bench/: audit export).
_JSONL = json.JSONEncoder(ensure_ascii=False, default=str)
_CELL = json.JSONEncoder(ensure_ascii=False)


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


def export_chunks(*, filters: ExportFilters, fmt: str, head: tuple[int, str]) -> Iterator[str]:
    """Yield the export file in pieces of whole lines, the header first. Between two
    pieces the database connection is free: the caller may run queries (progress)."""
    yield _header(filters=filters, fmt=fmt, head=head)
    events = filtered_events(filters=filters, upto_sequence=head[0])
    if connection.vendor == "postgresql":
        yield from postgres_chunks(events, fmt=fmt, upto_sequence=head[0])
    else:
        yield from generic_chunks(events, fmt=fmt)
    from advocacy.audit.proofs import export_proof_line  # proofs build on this module

    yield export_proof_line(events=events, upto_sequence=head[0], fmt=fmt)


def _header(*, filters: ExportFilters, fmt: str, head: tuple[int, str]) -> str:
    if fmt == "jsonl":
        meta = {
            "chain_head_sequence": head[0],
            "chain_head_hash": head[1],
            "filters": filters.as_json(),
            "format": f"candor-audit-{fmt}-v2",  # v2: ends with the _proof line
        }
        return json.dumps({"_meta": meta}, ensure_ascii=False) + "\n"
    return (
        f"# candor audit export; chain_head_sequence={head[0]}; chain_head_hash={head[1]}\n" + ",".join(COLUMNS) + "\n"
    )


# --- any database: the ORM, formatted by Python ------------------------------------


def generic_chunks(events: QuerySet[AuditEvent], *, fmt: str) -> Iterator[str]:
    """The rows of ``events`` formatted by Python, ``CHUNK`` lines per piece."""
    fields = (
        "sequence",
        "created_at",
        "actor_id",
        "actor__email",
        "action",
        "target_type",
        "target_id",
        "subject_id",
        "via",
        "request_id",
        "task_id",
        "payload",
        "prev_hash",
        "hash",
    )
    line = _jsonl_line if fmt == "jsonl" else _csv_line_writer()
    lines = []
    for sequence, created_at, *middle, payload, prev_hash, digest in events.values_list(*fields).iterator(
        chunk_size=CHUNK
    ):
        at = created_at.isoformat(timespec="microseconds")
        lines.append(line((sequence, at, *middle, payload.get("old", {}), payload.get("new", {}), prev_hash, digest)))
        if len(lines) == CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def _jsonl_line(values: tuple[Any, ...]) -> str:
    return _JSONL.encode(dict(zip(COLUMNS, values, strict=True))) + "\n"


class _Line:
    """A file-like object whose write() returns the line, for csv.writer streaming."""

    def write(self, value: str) -> str:
        return value


def _csv_line_writer() -> Callable[[tuple[Any, ...]], str]:
    # The default "\r\n" terminator makes the writer quote fields containing "\r" as
    # well as "\n" (Python 3.11 quotes only the terminator's characters); the line then
    # ends in "\n", as PostgreSQL's COPY writes it.
    writer = csv.writer(_Line())

    def line(values: tuple[Any, ...]) -> str:
        cells = list(values)
        cells[11], cells[12] = _CELL.encode(cells[11]), _CELL.encode(cells[12])
        return str(writer.writerow(cells))[:-2] + "\n"

    return line


# --- PostgreSQL: COPY --------------------------------------------------------------

_UTC_ISO = f"to_char(%(expressions)s AT TIME ZONE 'UTC', '{pgcopy.UTC_ISO}')"
_NUMBERS = ("sequence", "actor_id", "subject_id")
_JSON_OBJECTS = ("old", "new")


def postgres_chunks(events: QuerySet[AuditEvent], *, fmt: str, upto_sequence: int) -> Iterator[str]:
    """One COPY per ``BATCH`` sequence numbers. A batch's rows are formatted as they
    arrive (while PostgreSQL writes the next ones) and yielded once its COPY has ended,
    so no statement is left half read between pieces."""
    for after in range(0, upto_sequence, BATCH):
        batch = events.filter(sequence__lte=after + BATCH)
        if after:
            batch = batch.filter(sequence__gt=after)
        statement, params = _copy_statement(batch, fmt)
        with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
            if fmt == "csv":
                piece = b"".join(copy).decode()
            else:
                piece = "".join([_jsonl_from_copy(fields) for fields in pgcopy.text_rows(copy)])
        if piece:
            yield piece


def _copy_statement(events: QuerySet[AuditEvent], fmt: str) -> tuple[str, tuple[Any, ...]]:
    columns = {f"out_{column}": _column(column, fmt) for column in COLUMNS}
    select, params = events.annotate(**columns).values_list(*columns).query.sql_with_params()
    return f"COPY ({select}) TO STDOUT{' WITH CSV' if fmt == 'csv' else ''}", params


def _column(column: str, fmt: str) -> Any:
    field = {"actor_email": "actor__email"}.get(column, column)
    if column == "created_at":
        return Func(F(field), template=_UTC_ISO, output_field=CharField())
    if column in _JSON_OBJECTS:
        return Func(F("payload"), template=f"COALESCE(%(expressions)s -> '{column}', '{{}}')", output_field=JSONField())
    if fmt == "csv":
        # COPY quotes an empty string to tell it from NULL; Python's csv writer writes
        # both as nothing, and so does this export.
        if column in _NUMBERS:
            return F(field)
        return Func(F(field), template="NULLIF(%(expressions)s, '')", output_field=CharField())
    # JSON Lines: the ids as JSON numbers or null, so that NULL (written \N) is rare.
    if column in _NUMBERS:
        return Func(F(field), template="COALESCE(%(expressions)s::text, 'null')", output_field=CharField())
    if column == "actor_email":
        return Func(F(field), template="COALESCE(%(expressions)s, '')", output_field=CharField())
    return F(field)


def _jsonl_from_copy(fields: Sequence[str | None]) -> str:
    """The JSON line of one COPY row: what _jsonl_line writes, with the strings escaped
    by the encoder's own encode_basestring and the old/new JSON texts as PostgreSQL
    writes them (the same separators and key order as json.dumps of the parsed value)."""
    try:
        return _jsonl_text(fields, encode_basestring)
    except TypeError:  # a NULL in a NOT NULL column (an attacker dropped the constraint)
        return _jsonl_text(fields, _json_string_or_null)


def _jsonl_text(fields: Sequence[Any], esc: Callable[[str], str]) -> str:
    (sequence, at, actor_id, email, action, target_type, target_id, subject_id, via, request_id, task_id, old, new,
     prev_hash, event_hash) = fields  # fmt: skip
    # actor_email is null exactly when there is no actor (a LEFT JOIN in the query).
    return (
        f'{{"sequence": {sequence}, "created_at": {esc(at)}, "actor_id": {actor_id}, '
        f'"actor_email": {"null" if actor_id == "null" else esc(email)}, "action": {esc(action)}, '
        f'"target_type": {esc(target_type)}, "target_id": {esc(target_id)}, "subject_id": {subject_id}, '
        f'"via": {esc(via)}, "request_id": {esc(request_id)}, "task_id": {esc(task_id)}, "old": {old}, '
        f'"new": {new}, "prev_hash": {esc(prev_hash)}, "hash": {esc(event_hash)}}}\n'
    )


def _json_string_or_null(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)
