"""Audit export and verify over the seeded log (``bench.audit_job`` does each
measurement in a fresh process, so peak memory belongs to that measurement alone).

* export: ``export_lines`` to CSV and JSON Lines of the first N events, against
  ``COPY (SELECT …) TO STDOUT WITH CSV`` of the same rows via psycopg; and the
  export's peak RSS at N events against at N/10.
* verify: ``audit_verify`` over the whole log, against reading the same rows with
  COPY and hashing them, chained, in a tight hashlib loop.
* checkpoint: the first signed checkpoint of the whole log (nothing cached), against
  reading the event hashes with COPY and hashing each once with hashlib; then, from
  the cache it leaves, the root, inclusion proofs and a consistency proof (ms); and
  ``manage.py audit_verify`` with the witnessed checkpoint (chain walk + consistency
  check) against the chain walk alone.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from typing import Any

from bench.audit_job import WITNESS
from bench.common import ROOT, Series, bench_environment, log


def job(mode: str, upto: int) -> dict[str, Any]:
    import os

    out = subprocess.run(
        [sys.executable, "-m", "bench.audit_job", mode, str(upto)],
        cwd=ROOT,
        env={**os.environ, **bench_environment()},
        capture_output=True,
        text=True,
    )
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])  # type: ignore[no-any-return]
    raise RuntimeError(f"bench.audit_job {mode} {upto} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")


def run(*, full: int, small: int, runs: int) -> dict[str, Any]:
    # A witness directory of this run's own: one left by an earlier run holds checkpoints
    # of another seeded log, which Candor rightly refuses to extend.
    shutil.rmtree(WITNESS, ignore_errors=True)
    # An export ends with a proof against a checkpoint at its chain head: beat signs one
    # every few minutes, so in use that checkpoint only adds the events since the last.
    # One signed now (not timed) keeps the first export from paying the log's very first
    # checkpoint, which the checkpoint figure measures on its own.
    job("checkpoint", full)
    modes = ("copy", "csv", "jsonl", "hashloop", "verify", "hashes", "checkpoint", "witnessed")
    series = {mode: Series() for mode in modes}
    proofs: dict[str, Series] = {k: Series() for k in ("root_ms", "inclusion_ms_median", "consistency_ms")}
    inclusion_max = 0.0
    peak_full: dict[str, int] = {"csv": 0, "jsonl": 0}
    verify_rows = 0
    for n in range(runs):
        for mode in modes:  # interleaved against load drift
            result = job(mode, full)
            series[mode].add(result["rows_per_s"])
            if mode in peak_full:
                peak_full[mode] = max(peak_full[mode], result["peak_rss"])
            if mode == "verify":
                verify_rows = result["rows"]
            if mode == "checkpoint":  # the proofs are cut from the cache this checkpoint left
                timing = job("proof", full)
                for key, values in proofs.items():
                    values.add(timing[key])
                inclusion_max = max(inclusion_max, timing["inclusion_ms_max"])
        log(f"  run {n + 1}: " + ", ".join(f"{m} {s.values[-1]:,.0f} rows/s" for m, s in series.items()))
        log(f"  run {n + 1}: " + ", ".join(f"{k} {s.values[-1]:.2f}" for k, s in proofs.items()))
    memory = {}
    for fmt in ("csv", "jsonl"):
        small_peak = job(fmt, small)["peak_rss"]
        memory[fmt] = {
            "peak_rss_mib_full": round(peak_full[fmt] / 2**20, 1),
            "peak_rss_mib_small": round(small_peak / 2**20, 1),
            "ratio": round(peak_full[fmt] / small_peak, 3),
        }
    log(f"  export peak RSS: {memory}")
    return {
        **series,
        "memory": memory,
        "verify_rows": verify_rows,
        "proofs": proofs,
        "inclusion_ms_max": inclusion_max,
    }
