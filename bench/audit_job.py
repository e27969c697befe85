"""One audit measurement in a fresh process, so its peak memory is its own:
``python -m bench.audit_job MODE UPTO``; prints one JSON line.

Modes: ``csv`` and ``jsonl`` (``export_chunks``, streamed to /dev/null; rows are
counted as lines, as for the baseline), ``copy`` (the export's baseline: PostgreSQL
``COPY (SELECT …) TO STDOUT WITH CSV`` of the same rows and columns), ``verify``
(the chain walk, ``audit_verify(jobs=N)`` over the whole log, N = the machine's cores,
as an operator would run it) and ``hashloop`` (its baseline: the same rows read with
COPY and hashed, chained, in a tight hashlib loop).

Signed checkpoints: ``checkpoint`` signs a checkpoint of the whole log from nothing
cached (cache, checkpoints and witness emptied first), witnessed in a directory, as
the first checkpoint of a big log costs; ``hashes`` is its baseline (the event hashes
read with COPY and each one hashed once with hashlib). ``proof`` (after a checkpoint)
times the root, inclusion proofs of random events and a consistency proof, each from
a fresh cached tree. ``witnessed`` is ``manage.py audit_verify --jobs N``: the chain
walk and then the consistency check against the witnessed checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time

from bench.common import VAR, rss_bytes, setup_django

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


HASHES_COPY = "COPY (SELECT hash FROM audit_auditevent ORDER BY sequence) TO STDOUT"
WITNESS = VAR / "audit-witness"


def main(mode: str, upto: int) -> dict[str, object]:
    os.environ["CANDOR_AUDIT_WITNESS_DIRS"] = str(WITNESS)
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
        from advocacy.audit.verify import audit_verify

        chain = audit_verify(jobs=os.cpu_count() or 1)
        if not chain.ok:
            raise SystemExit(chain.summary())
        rows = chain.checked
    elif mode == "witnessed":
        import io

        from django.core.management import call_command

        report = io.StringIO()
        call_command("audit_verify", "--jobs", str(os.cpu_count() or 1), stdout=report)  # raises if broken
        if "consistent with 1 signed checkpoint" not in report.getvalue():
            raise SystemExit(f"no witnessed checkpoint was checked: {report.getvalue()}")
        rows = int(report.getvalue().split()[1])  # "OK: 1000009 events verified; ..."
    elif mode == "hashes":
        sha256 = hashlib.sha256
        pending = b""
        with connection.connection.cursor() as cursor, cursor.copy(HASHES_COPY) as copy:
            for block in copy:
                lines = (pending + bytes(block)).split(b"\n")
                pending = lines.pop()
                for line in lines:
                    sha256(line).digest()
                rows += len(lines)
    elif mode == "checkpoint":
        import shutil

        from advocacy.audit.checkpoints import checkpoint_create
        from advocacy.audit.models import AuditCheckpoint, AuditMerkleNode

        AuditMerkleNode.objects.all().delete()
        AuditCheckpoint.objects.all().delete()
        shutil.rmtree(WITNESS, ignore_errors=True)
        start = time.perf_counter()
        checkpoint = checkpoint_create(actor=None)  # witnessed on commit, before it returns
        checkpoint.refresh_from_db()
        if checkpoint.witness_failures or checkpoint.witnessed_at is None:
            raise SystemExit(f"not witnessed: {checkpoint.witness_failures}")
        rows = checkpoint.tree_size
    elif mode == "proof":
        import random
        import statistics

        from advocacy.audit.checkpoints import head_sequence
        from advocacy.audit.merkle import verify_consistency, verify_inclusion
        from advocacy.audit.merkle_cache import cached_tree, event_leaves

        size = head_sequence()
        rng = random.Random(size)

        def timed(work):  # type: ignore[no-untyped-def]
            mark = time.perf_counter()
            value = work()
            return value, (time.perf_counter() - mark) * 1000

        root, root_ms = timed(lambda: cached_tree(size).root())
        inclusion_ms = []
        for _ in range(20):
            index = rng.randrange(size)
            path, ms = timed(lambda: cached_tree(size).inclusion_proof(index))  # noqa: B023
            verify_inclusion(index, size, event_leaves(index, index + 1)[0], path, root)
            inclusion_ms.append(ms)
        old = rng.randint(1, size - 1)
        proof, consistency_ms = timed(lambda: cached_tree(size).consistency_proof(old))
        verify_consistency(old, size, cached_tree(size).root(old), root, proof)
        return {
            "mode": mode,
            "rows": size,
            "root_ms": round(root_ms, 2),
            "inclusion_ms_median": round(statistics.median(inclusion_ms), 2),
            "inclusion_ms_max": round(max(inclusion_ms), 2),
            "consistency_ms": round(consistency_ms, 2),
            "peak_rss": rss_bytes(os.getpid(), "VmHWM"),
        }
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
