"""One audit measurement in a fresh process, so its peak memory is its own:
``python -m bench.audit_job MODE UPTO``; prints one JSON line.

Modes: ``csv`` and ``jsonl`` (``export_chunks``, streamed to /dev/null; rows are
counted as lines, as for the baseline), ``copy`` (the export's baseline: PostgreSQL
``COPY (SELECT …) TO STDOUT WITH CSV`` of the same rows and columns), ``verify``
(``manage.py audit_verify --jobs N`` over the whole log, N = the machine's cores, as
an operator would run it) and ``hashloop`` (its baseline: the same rows read with
COPY and hashed, chained, in a tight hashlib loop).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time

from bench.common import rss_bytes, setup_django

EXPORT_COPY = """COPY (
    SELECT e.sequence, e.created_at, e.actor_id, u.email, e.action, e.target_type, e.target_id, e.subject_id,
           e.via, e.request_id, e.task_id, e.payload -> 'old', e.payload -> 'new', e.prev_hash, e.hash
    FROM audit_auditevent e LEFT JOIN accounts_user u ON u.id = e.actor_id
    WHERE e.sequence <= %s ORDER BY e.sequence
) TO STDOUT WITH CSV"""
VERIFY_COPY = """COPY (
    SELECT sequence, created_at, actor_id, action, target_type, target_id, subject_id, payload, payload_digest,
           via, request_id, task_id, prev_hash, hash
    FROM audit_auditevent ORDER BY sequence
) TO STDOUT"""


def main(mode: str, upto: int) -> dict[str, object]:
    setup_django()
    from django.db import connection

    from advocacy.audit.models import AuditEvent

    connection.ensure_connection()
    rows = 0
    out = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    start = time.perf_counter()
    if mode in ("csv", "jsonl"):
        from advocacy.audit.export import HEADER_LINES, ExportFilters, export_chunks

        head = (upto, AuditEvent.objects.filter(sequence=upto).values_list("hash", flat=True).get())
        start = time.perf_counter()
        for piece in export_chunks(filters=ExportFilters(), fmt=mode, head=head):
            out.write(piece)
            rows += piece.count("\n")
        rows -= HEADER_LINES[mode]
    elif mode == "copy":
        with connection.connection.cursor() as cursor, cursor.copy(EXPORT_COPY, (upto,)) as copy:
            for block in copy:
                data = bytes(block)
                out.write(data.decode())
                rows += data.count(b"\n")
    elif mode == "verify":
        import io

        from django.core.management import call_command

        report = io.StringIO()
        call_command("audit_verify", "--jobs", str(os.cpu_count() or 1), stdout=report)  # raises if broken
        rows = int(report.getvalue().split()[1])  # "OK: 1000009 events verified; ..."
    elif mode == "hashloop":
        sha256 = hashlib.sha256
        previous = b""
        pending = b""
        with connection.connection.cursor() as cursor, cursor.copy(VERIFY_COPY) as copy:
            for block in copy:
                lines = (pending + bytes(block)).split(b"\n")
                pending = lines.pop()
                for line in lines:
                    previous = sha256(previous + line).digest()
                rows += len(lines)
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - start
    return {
        "mode": mode,
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "peak_rss": rss_bytes(os.getpid(), "VmHWM"),
    }


if __name__ == "__main__":
    print("RESULT " + json.dumps(main(sys.argv[1], int(sys.argv[2]))), flush=True)
