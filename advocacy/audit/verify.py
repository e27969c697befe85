"""Walk the audit chain and report the first broken link.

Detects a modified event (its payload digest or hash no longer matches), a deleted
one (a gap in the sequence, or a head that is ahead of the last event), an
inserted or reordered one (its ``prev_hash`` does not match the event before it).

Every way of reading the events ends in the same two functions, so they all give the
same verdict: ``_walk`` checks a run of consecutive events, taking the run's first
event as given, and ``_stitch`` checks that each run starts where the one before
ended (sequence and hash) and that the last one ends at the chain head. The events
come from the ORM on any database (``verify_generic``) or, on PostgreSQL, from
``COPY`` with no model or JSON field conversion (``verify_postgres``), which can also
split the chain into ranges walked by parallel processes (``audit_verify --jobs``).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from advocacy.audit import chain, pgcopy
from advocacy.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent

CHUNK = 5000
# Below this many events per process, starting processes costs more than it saves.
MIN_EVENTS_PER_JOB = 50_000
LINK_BROKEN = "does not link to the event before it (inserted or reordered)"

# (sequence, at, actor_id, action, target_type, target_id, subject_id, payload,
#  payload_digest, via, request_id, task_id, prev_hash, hash); ``at`` is created_at
# as chained (ISO 8601, UTC, microseconds) and ``payload`` as the source has it.
Row = Sequence[Any]  # a tuple from the ORM, a list from COPY
ExpectHead = tuple[int, str] | None


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int
    head_sequence: int
    head_hash: str
    broken_at: int | None = None
    reason: str = ""

    def summary(self) -> str:
        if self.ok:
            return f"OK: {self.checked} events verified; chain head #{self.head_sequence} {self.head_hash}"
        return f"BROKEN at event #{self.broken_at}: {self.reason} ({self.checked} events checked before it)"


@dataclass(frozen=True)
class Run:
    """What ``_walk`` found in a run of consecutive events. ``first_sequence`` is None
    for an empty run; ``broken_at`` is the first broken event inside the run, if any."""

    first_sequence: int | None = None
    first_prev_hash: str = ""
    checked: int = 0
    last_hash: str = ""
    next_sequence: int = 0
    broken_at: int | None = None
    reason: str = ""


def audit_verify(*, expect_head: ExpectHead = None, jobs: int = 1) -> VerifyReport:
    """Verify the whole chain. ``expect_head`` is an earlier exported (sequence, hash):
    the chain must still contain exactly that event, proving nothing before it changed.
    ``jobs`` > 1 walks ranges of the chain in that many processes (PostgreSQL only,
    and only outside a transaction: the processes cannot see uncommitted events)."""
    if connection.vendor == "postgresql":
        return verify_postgres(expect_head=expect_head, jobs=jobs)
    return verify_generic(expect_head=expect_head)


def _walk(rows: Iterator[Row], *, digest_of: Callable[[Any], str], expect_head: ExpectHead) -> Run:
    """Check consecutive events: each follows the one before (sequence, prev_hash), its
    payload matches its digest and its hash its fields. The first event's sequence and
    prev_hash are taken as given; ``_stitch`` checks them against the run before."""
    first = next(rows, None)
    if first is None:
        return Run()
    # Sequence numbers may come as text (COPY); ints from other sources pass through int().
    # A NULL prev_hash (NOT NULL dropped by whoever tampered) links to nothing.
    start = (int(first[0]), first[12] or "")
    expected, previous, checked = *start, 0
    expect_sequence, expect_hash = expect_head or (None, "")
    envelope_json, sha256 = chain.envelope_json, hashlib.sha256
    for (
        sequence,
        at,
        actor_id,
        action,
        target_type,
        target_id,
        subject_id,
        payload,
        digest,
        via,
        request_id,
        task_id,
        prev_hash,
        event_hash,
    ) in itertools.chain((first,), rows):
        sequence = int(sequence)
        if sequence != expected:
            what = "missing (deleted)" if sequence > expected else "out of order"
            return _stop(start, checked, previous, expected, expected, f"event #{expected} is {what}")
        if prev_hash != previous:
            return _stop(start, checked, previous, expected, sequence, LINK_BROKEN)
        if digest_of(payload) != digest:
            return _stop(start, checked, previous, expected, sequence, "its old/new values were modified")
        envelope = envelope_json(
            sequence, at, actor_id, action, target_type, target_id, subject_id, digest, via, request_id, task_id
        )
        # chain.link_hash, inlined: this line runs once per event.
        if sha256((previous + envelope).encode()).hexdigest() != event_hash:
            return _stop(start, checked, previous, expected, sequence, "its fields were modified (hash mismatch)")
        if sequence == expect_sequence and event_hash != expect_hash:
            return _stop(start, checked, previous, expected, sequence, "differs from the chain head exported earlier")
        previous, expected, checked = event_hash, expected + 1, checked + 1
    return Run(*start, checked, previous, expected)


def _stop(start: tuple[int, str], checked: int, previous: str, expected: int, broken_at: int, reason: str) -> Run:
    return Run(*start, checked, previous, expected, broken_at, reason)


def _stitch(runs: Iterable[Run], head: tuple[int, str], expect_head: ExpectHead) -> VerifyReport:
    """The verdict over consecutive runs, as if one walk had gone through them all."""
    head_sequence, head_hash = head

    def broken(checked: int, sequence: int, reason: str) -> VerifyReport:
        return VerifyReport(False, checked, head_sequence, head_hash, sequence, reason)

    checked, previous, expected = 0, GENESIS_HASH, 1
    for run in runs:
        if run.first_sequence is None:
            continue
        if run.first_sequence != expected:
            what = "missing (deleted)" if run.first_sequence > expected else "out of order"
            return broken(checked, expected, f"event #{expected} is {what}")
        if run.first_prev_hash != previous:
            return broken(checked, run.first_sequence, LINK_BROKEN)
        if run.broken_at is not None:
            return broken(checked + run.checked, run.broken_at, run.reason)
        checked, previous, expected = checked + run.checked, run.last_hash, run.next_sequence
    if head_sequence != checked or head_hash != previous:
        reason = f"the chain head says #{head_sequence} but the log ends at #{checked} (events deleted from the end)"
        return broken(checked, checked + 1, reason)
    if expect_head is not None and expect_head[0] > checked:
        return broken(checked, expect_head[0], "the exported chain head is no longer in the log")
    return VerifyReport(True, checked, head_sequence, head_hash)


def _head() -> tuple[int, str]:
    head = AuditChainHead.objects.filter(pk=1).values_list("sequence", "hash").first()
    return head or (0, GENESIS_HASH)


# --- any database: the ORM --------------------------------------------------------


def verify_generic(*, expect_head: ExpectHead = None) -> VerifyReport:
    head = _head()
    return _stitch([_walk(_orm_rows(), digest_of=chain.payload_digest, expect_head=expect_head)], head, expect_head)


def _orm_rows() -> Iterator[Row]:
    # Plain tuples, not model instances: building a model per event was a fifth of the
    # time (bench/: audit verify).
    fields = (
        "sequence",
        "created_at",
        "actor_id",
        "action",
        "target_type",
        "target_id",
        "subject_id",
        "payload",
        "payload_digest",
        "via",
        "request_id",
        "task_id",
        "prev_hash",
        "hash",
    )
    for sequence, created_at, *rest in (
        AuditEvent.objects.order_by("sequence").values_list(*fields).iterator(chunk_size=CHUNK)
    ):
        yield (sequence, created_at.isoformat(timespec="microseconds"), *rest)


# --- PostgreSQL: COPY, optionally in parallel ranges --------------------------------

# One line of COPY's text format per event: created_at as chain.envelope writes it
# (isoformat in UTC with microseconds), made by PostgreSQL (to_char's YYYY has no era,
# so a date BC gets a suffix no chained timestamp has); the ids as JSON (a number or
# null); the payload as JSON text, which chain.payload_digest_of_json parses once.
_ROWS_SQL = f"""COPY (
    SELECT sequence,
           COALESCE(to_char(created_at AT TIME ZONE 'UTC', '{pgcopy.UTC_ISO}'), '')
               || CASE WHEN created_at < '0001-01-01T00:00:00Z' THEN ' BC' ELSE '' END,
           COALESCE(actor_id::text, 'null'), action, target_type, target_id, COALESCE(subject_id::text, 'null'),
           payload::text, payload_digest, via, request_id, task_id, prev_hash, hash
    FROM audit_auditevent
    WHERE (%(after)s IS NULL OR sequence > %(after)s) AND (%(upto)s IS NULL OR sequence <= %(upto)s)
    ORDER BY sequence
) TO STDOUT"""  # noqa: S608 - no outside text: values are parameters
Range = tuple[int | None, int | None]  # sequence numbers: after (excluded), up to (included); None: no bound


def verify_postgres(*, expect_head: ExpectHead = None, jobs: int = 1) -> VerifyReport:
    with _snapshot(share=jobs > 1) as snapshot:
        head = _head()
        ranges = _ranges(head[0], jobs if snapshot else 1)
        if len(ranges) == 1:
            with connection.cursor() as cursor, _copy_rows(cursor.cursor, *ranges[0]) as rows:
                runs = [_walk(rows, digest_of=_payload_digests(), expect_head=expect_head)]
        else:
            runs = _walk_in_processes(ranges, snapshot, expect_head)
    return _stitch(runs, head, expect_head)


@contextmanager
def _snapshot(*, share: bool) -> Iterator[str | None]:
    """One snapshot for reading the head and every event, so events appended meanwhile
    cannot look like a tampered tail. Yields its id for other processes to import, or
    None when already inside the caller's transaction (whose snapshot is used as is)."""
    if connection.in_atomic_block:
        yield None
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        if not share:
            yield None
            return
        cursor.execute("SELECT pg_export_snapshot()")
        yield cursor.fetchone()[0]


def _ranges(last_sequence: int, jobs: int) -> list[Range]:
    """Split the chain into ``jobs`` ranges, the first and last unbounded, so that every
    row is in exactly one range whatever its sequence number."""
    jobs = max(1, min(jobs, last_sequence // MIN_EVENTS_PER_JOB))
    bounds = [None, *(last_sequence * i // jobs for i in range(1, jobs)), None]
    return list(itertools.pairwise(bounds))


def _payload_digests() -> Callable[[str | None], str]:
    """chain.payload_digest_of_json, remembering the last distinct payloads of a walk:
    many events carry the same old/new (every login, every consent to one policy
    version, every cancellation), and parsing and re-encoding the payload is the
    largest cost per event (bench/: audit verify). Bounded, so memory stays flat."""
    return functools.lru_cache(maxsize=256)(chain.payload_digest_of_json)


@contextmanager
def _copy_rows(cursor: Any, after: int | None, upto: int | None) -> Iterator[Iterator[Row]]:
    with cursor.copy(_ROWS_SQL, {"after": after, "upto": upto}) as copy:
        yield pgcopy.text_rows(copy)
        # A walk stops at the first broken event; COPY must still be read to its end
        # before this connection can run anything else.
        for _ in copy:
            pass


def _walk_in_processes(ranges: list[Range], snapshot: str | None, expect_head: ExpectHead) -> list[Run]:
    # Forked, not spawned: the children need no Django set-up and never touch the
    # parent's connection; each opens its own and imports the parent's snapshot.
    params = {k: v for k, v in connection.get_connection_params().items() if k not in ("context", "cursor_factory")}
    with ProcessPoolExecutor(len(ranges), mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(_walk_range, params, snapshot, after, upto, expect_head) for after, upto in ranges]
        return [future.result() for future in futures]


def _walk_range(
    params: dict[str, Any], snapshot: str | None, after: int | None, upto: int | None, expect_head: ExpectHead
) -> Run:
    """In a worker process: walk one range in the coordinator's snapshot."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(**params) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(snapshot))
        with conn.cursor() as cursor, _copy_rows(cursor, after, upto) as rows:
            return _walk(rows, digest_of=_payload_digests(), expect_head=expect_head)
