"""Audit export and verify over the seeded log (``bench.audit_job`` does each
measurement in a fresh process, so peak memory belongs to that measurement alone).

* export: ``export_lines`` to CSV and JSON Lines of the first N events, against
  ``COPY (SELECT …) TO STDOUT WITH CSV`` of the same rows via psycopg; and the
  export's peak RSS at N events against at N/10.
* verify: ``audit_verify`` over the whole log, against reading the same rows with
  COPY and hashing them, chained, in a tight hashlib loop.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

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
    series = {mode: Series() for mode in ("copy", "csv", "jsonl", "hashloop", "verify")}
    peak_full: dict[str, int] = {"csv": 0, "jsonl": 0}
    verify_rows = 0
    for n in range(runs):
        for mode in ("copy", "csv", "jsonl", "hashloop", "verify"):  # interleaved against load drift
            result = job(mode, full)
            series[mode].add(result["rows_per_s"])
            if mode in peak_full:
                peak_full[mode] = max(peak_full[mode], result["peak_rss"])
            if mode == "verify":
                verify_rows = result["rows"]
        log(f"  run {n + 1}: " + ", ".join(f"{m} {s.values[-1]:,.0f} rows/s" for m, s in series.items()))
    memory = {}
    for fmt in ("csv", "jsonl"):
        small_peak = job(fmt, small)["peak_rss"]
        memory[fmt] = {
            "peak_rss_mib_full": round(peak_full[fmt] / 2**20, 1),
            "peak_rss_mib_small": round(small_peak / 2**20, 1),
            "ratio": round(peak_full[fmt] / small_peak, 3),
        }
    log(f"  export peak RSS: {memory}")
    return {**series, "memory": memory, "verify_rows": verify_rows}
