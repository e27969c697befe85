"""Candor's benchmarks on the production stack (PostgreSQL + Redis, gunicorn,
Celery prefork workers, production settings). Entry point of ``make bench``.

    .venv/bin/python bench/run.py            # full size (about 23 minutes on 2 cores, estimated)
    .venv/bin/python bench/run.py --quick    # 10x smaller, for development
    .venv/bin/python bench/run.py --only fanout,portal

It creates (and at the end drops) its own database, ``candor_bench``, uses Redis
database 11 and, for the fan-out on RabbitMQ, the virtual host ``candor_bench``
(created with rabbitmqctl; BENCH_DB_NAME, BENCH_BROKER_URL, BENCH_AMQP_URL move them).
Every figure is the median of several runs of a ratio to a baseline measured in the
same run on the same machine; results go to ``bench/results/latest.md`` and
``latest.json``. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    ROOT,
    Figure,
    Process,
    Series,
    free_port,
    log,
    machine_facts,
    ratio_series,
    setup_django,
)

RESULTS = ROOT / "bench" / "results"
BENCHMARKS = ("fanout", "rabbitmq", "bluesky", "portal", "burst", "api", "audit")


def versions() -> dict[str, str]:
    import celery
    import django
    import gunicorn
    import psycopg
    import redis
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    redis_server = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).info("server")["redis_version"]
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0].strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, cwd=ROOT
    )
    return {
        "candor_commit": commit.stdout.strip() + (" (+ uncommitted changes)" if dirty.stdout.strip() else ""),
        "django": django.__version__,
        "celery": celery.__version__,
        "psycopg": psycopg.__version__,
        "redis_py": redis.__version__,
        "gunicorn": gunicorn.__version__,
        "postgresql": postgres,
        "redis_server": redis_server,
        "node": node,
        "wrk": wrk,
    }


def run_fanout(seeded: Any, scale: Any, runs: int, sink_url: str) -> list[Figure]:
    from bench import fanout

    result = fanout.run(
        draft_id=seeded.fanout_draft_id,
        sink_url=sink_url,
        shares=scale.fanout_shares,
        checkpoint=scale.memory_checkpoint,
        runs=runs,
    )
    ratio = ratio_series(result["sends"].values, result["noop"].values)
    every_run_exact = all(r["all_sent_once"] for r in result["runs"])
    memory = result["memory"]
    upper = ratio_series(result["sends"].values, result["plain"].values)
    return [
        Figure(
            "fan-out",
            f"{scale.fanout_shares:,} shares due at once, 2 worker processes, local HTTP sink: sends/s ÷ no-op tasks/s",
            ratio,
            "all sent, none twice; ≥ 0.5",
            passed=every_run_exact and ratio.median >= 0.5,
            details={
                "sends_per_s": result["sends"].as_json(1),
                "noop_tasks_per_s": result["noop"].as_json(1),
                "all_sent_none_twice_every_run": every_run_exact,
                "runs": result["runs"],
            },
        ),
        Figure(
            "worker memory",
            f"pool RSS after {scale.fanout_shares:,} sends ÷ after {scale.memory_checkpoint:,}",
            memory,
            "≤ 1.2",
            passed=bool(memory.values) and memory.median <= 1.2,
            details={
                "per_run_pool_rss_mib": [
                    (r["pool_rss_mib_at_checkpoint"], r["pool_rss_mib_at_end"]) for r in result["runs"]
                ]
            },
        ),
        Figure(
            "fan-out, upper bound",
            f"the same {scale.fanout_shares:,} shares: Candor sends/s ÷ the same HTTP posts from a plain loop "
            "in 2 processes to the same sink (no database, no broker)",
            upper,
            "≥ 0.6",
            passed=every_run_exact and upper.median >= 0.6,
            details={"sends_per_s": result["sends"].as_json(1), "plain_posts_per_s": result["plain"].as_json(1)},
        ),
    ]


def run_rabbitmq(seeded: Any, scale: Any, runs: int, sink_url: str) -> list[Figure]:
    from bench import fanout
    from bench.common import AMQP_URL

    result = fanout.run(
        draft_id=seeded.fanout_draft_id,
        sink_url=sink_url,
        shares=scale.fanout_shares,
        checkpoint=0,
        runs=runs,
        broker_url=AMQP_URL,
    )
    ratio = ratio_series(result["sends"].values, result["noop"].values)
    every_run_exact = all(r["all_sent_once"] for r in result["runs"])
    return [
        Figure(
            "fan-out, RabbitMQ",
            f"{scale.fanout_shares:,} shares due at once on RabbitMQ (its own virtual host), 2 worker processes, "
            "local HTTP sink: sends/s ÷ no-op tasks/s on RabbitMQ",
            ratio,
            "all sent, none twice; ≥ 0.8",
            passed=every_run_exact and ratio.median >= 0.8,
            details={
                "sends_per_s": result["sends"].as_json(1),
                "noop_tasks_per_s": result["noop"].as_json(1),
                "all_sent_none_twice_every_run": every_run_exact,
                "runs": result["runs"],
            },
        )
    ]


def run_burst(seeded: Any, scale: Any, runs: int, seconds: int, sink_url: str) -> list[Figure]:
    from bench import burst

    result = burst.run(
        employee_ids=seeded.employee_ids,
        draft_id=seeded.fanout_draft_id,
        sink_url=sink_url,
        shares=scale.fanout_shares,
        seconds=seconds,
        runs=runs,
    )
    inside = all(r["load_window_inside_drain"] and r["all_sent_once"] for r in result["runs"])
    ratio = result["ratio"]
    return [
        Figure(
            "portal under a burst",
            f"{burst.PAGE} p95 while {scale.fanout_shares:,} shares due at once drain ÷ its p95 with the workers "
            f"idle (gunicorn 2 workers, Celery 2 processes, wrk {seconds} s)",
            ratio,
            "≤ 2; the loaded window inside the drain; all sent, none twice",
            passed=inside and ratio.median <= 2,
            details={
                "idle_p95_ms": result["idle_p95"].as_json(1),
                "burst_p95_ms": result["burst_p95"].as_json(1),
                "req_per_s_burst_over_idle": result["rps_ratio"].as_json(2),
                "every_window_inside_drain_and_sent_once": inside,
                "runs": result["runs"],
            },
        )
    ]


def run_bluesky(seeded: Any, scale: Any, runs: int) -> list[Figure]:
    from bench import bluesky

    result = bluesky.run(scale=scale, runs=runs, policy_id=seeded.policy_id)
    ratio = ratio_series(result["candor"].values, result["raw"].values)
    all_landed = all(r["found_on_pds"] == r["expected"] == r["states"].get("sent") for r in result["runs"])
    return [
        Figure(
            "fan-out, real network",
            f"{scale.bluesky_shares:,} shares to the local Bluesky PDS ({scale.bluesky_accounts} accounts): "
            "Candor sends/s ÷ one plain client's createRecord/s",
            ratio,
            "≥ 0.8",
            passed=all_landed and ratio.median >= 0.8,
            details={
                "candor_sends_per_s": result["candor"].as_json(1),
                "raw_creates_per_s": result["raw"].as_json(1),
                "every_share_on_pds_once": all_landed,
                "runs": result["runs"],
            },
        )
    ]


def run_portal(seeded: Any, scale: Any, runs: int, seconds: int) -> list[Figure]:
    from bench import portal

    result = portal.run(employee_ids=seeded.employee_ids, seconds=seconds, runs=runs)
    figures = []
    for page, path in (("feed", "/feed/"), ("shares", "/shares/")):
        ratio = ratio_series(result["rps"][page].values, result["rps"]["baseline"].values)
        counts = result["query_counts"][page]
        figures.append(
            Figure(
                "portal",
                f"{path} req/s ÷ baseline page req/s (gunicorn, 2 workers, wrk, {portal.CONNECTIONS} connections)",
                ratio,
                "≥ 0.5; p95 reported; query count independent of data size",
                passed=ratio.median >= 0.5 and counts["independent_of_data_size"],
                details={
                    "rps": result["rps"][page].as_json(1),
                    "baseline_rps": result["rps"]["baseline"].as_json(1),
                    "p95_ms": result["p95_ms"][page].as_json(1),
                    "baseline_p95_ms": result["p95_ms"]["baseline"].as_json(1),
                    "query_counts": counts,
                },
            )
        )
    figures[0].details["samples"] = result["samples"]
    return figures


def run_api(seeded: Any, scale: Any, runs: int, seconds: int) -> list[Figure]:
    from bench import api

    result = api.run(employee_ids=seeded.employee_ids, seconds=seconds, runs=runs)
    figures = []
    for name, (method, path) in api.ENDPOINTS.items():
        ratio = ratio_series(result["rps"][name].values, result["baseline_rps"][name].values)
        figures.append(
            Figure(
                "REST API",
                f"{method} {path} req/s ÷ a trivial authenticated DRF view's {method} req/s (token auth, gunicorn "
                f"2 workers, wrk {api.TOKENS} tokens, 4 connections)",
                ratio,
                "≥ 0.6; p95 reported",
                passed=ratio.median >= 0.6,
                details={
                    "rps": result["rps"][name].as_json(1),
                    "baseline_rps": result["baseline_rps"][name].as_json(1),
                    "p95_ms": result["p95_ms"][name].as_json(1),
                    "baseline_p95_ms": result["baseline_p95_ms"][name].as_json(1),
                },
            )
        )
    figures[0].details["samples"] = result["samples"]
    return figures


def run_audit(scale: Any, runs: int) -> list[Figure]:
    from bench import audit

    result = audit.run(full=scale.audit_events, small=scale.audit_small, runs=runs)
    figures = []
    for fmt in ("csv", "jsonl"):
        ratio = ratio_series(result[fmt].values, result["copy"].values)
        memory = result["memory"][fmt]
        figures.append(
            Figure(
                "audit export",
                f"{scale.audit_events:,} events to {fmt.upper()}, streamed: rows/s ÷ COPY rows/s; "
                f"peak RSS at {scale.audit_events:,} ÷ at {scale.audit_small:,}",
                ratio,
                "≥ 0.3; RSS ratio ≤ 1.2",
                passed=ratio.median >= 0.3 and memory["ratio"] <= 1.2,
                details={
                    "rows_per_s": result[fmt].as_json(0),
                    "copy_rows_per_s": result["copy"].as_json(0),
                    "peak_rss": memory,
                },
            )
        )
    ratio = ratio_series(result["verify"].values, result["hashloop"].values)
    figures.append(
        Figure(
            "audit verify",
            f"audit_verify over {result['verify_rows']:,} events: rows/s ÷ COPY + hashlib loop rows/s",
            ratio,
            "≥ 0.5",
            passed=ratio.median >= 0.5,
            details={"rows_per_s": result["verify"].as_json(0), "baseline_rows_per_s": result["hashloop"].as_json(0)},
        )
    )
    ratio = ratio_series(result["checkpoint"].values, result["hashes"].values)
    figures.append(
        Figure(
            "audit checkpoint",
            f"first signed checkpoint of {result['verify_rows']:,} events (nothing cached), witnessed in a "
            "directory: events/s ÷ COPY of the event hashes + one hashlib call per hash, events/s",
            ratio,
            "≥ 0.5",
            passed=ratio.median >= 0.5,
            details={
                "events_per_s": result["checkpoint"].as_json(0),
                "baseline_hashes_per_s": result["hashes"].as_json(0),
            },
        )
    )
    proofs = result["proofs"]
    # A proof's time against the time the baseline takes to hash every event once: what a
    # proof would cost without the cache, at the least.
    full_pass_ms = [1000 * result["verify_rows"] / rate for rate in result["hashes"].values]
    ratio = ratio_series(proofs["inclusion_ms_median"].values, full_pass_ms)
    figures.append(
        Figure(
            "audit proof",
            f"one inclusion proof at {result['verify_rows']:,} events, from the cache (median of 20 random "
            "events, each from a fresh tree): ms ÷ ms of one hashlib call per event hash",
            ratio,
            "< 50 ms (inclusion and consistency), reported",
            passed=inclusion_ms_ok(result),
            details={
                "inclusion_ms": proofs["inclusion_ms_median"].as_json(2),
                "inclusion_ms_max_of_all": round(result["inclusion_ms_max"], 2),
                "consistency_ms": proofs["consistency_ms"].as_json(2),
                "root_ms": proofs["root_ms"].as_json(2),
                "baseline_full_pass_ms": Series(full_pass_ms).as_json(1),
            },
        )
    )
    ratio = ratio_series(result["witnessed"].values, result["verify"].values)
    figures.append(
        Figure(
            "audit verify, witnessed",
            f"audit_verify with the witnessed checkpoint (chain walk + consistency proof) over "
            f"{result['verify_rows']:,} events: events/s ÷ the chain walk alone, events/s",
            ratio,
            "≥ 0.5",
            passed=ratio.median >= 0.5,
            details={
                "events_per_s": result["witnessed"].as_json(0),
                "chain_walk_events_per_s": result["verify"].as_json(0),
            },
        )
    )
    return figures


def inclusion_ms_ok(result: dict[str, Any]) -> bool:
    proofs = result["proofs"]
    return bool(proofs["inclusion_ms_median"].values) and (
        proofs["inclusion_ms_median"].median < 50 and proofs["consistency_ms"].median < 50
    )


def write_results(payload: dict[str, Any]) -> None:
    from bench.report import markdown

    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "latest" if not payload["quick"] else "latest-quick"
    if payload["only"] != list(BENCHMARKS):  # a partial run never replaces the full results
        name = f"partial-{'-'.join(payload['only'])}{'-quick' if payload['quick'] else ''}"
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown(payload))
    log(f"results written to {RESULTS / name}.md and .json")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10x smaller data, for development")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma-separated subset of {BENCHMARKS}")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the median is reported)")
    parser.add_argument(
        "--heavy-runs",
        type=int,
        default=None,
        help="runs of the fan-out (Redis and RabbitMQ), Bluesky, burst, REST API and audit benchmarks "
        "(default: --runs)",
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the candor_bench database at the end")
    args = parser.parse_args()
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(only) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    from bench import seed

    scale = seed.Scale().quick() if args.quick else seed.Scale()
    heavy_runs = args.heavy_runs or args.runs
    # At least five portal runs: one takes under a minute and its figures vary the most.
    portal_runs = max(args.runs, 5)
    started = time.monotonic()
    facts = machine_facts()
    log(f"Candor benchmarks ({'quick' if args.quick else 'full'}): {', '.join(only)}; machine {facts}")
    seed.create_database()
    setup_django()
    seed.migrate()
    sink_port = free_port()
    sink_url = f"http://127.0.0.1:{sink_port}"
    figures: list[Figure] = []
    timings: dict[str, float] = {}
    errors: dict[str, str] = {}
    with Process("sink", [sys.executable, "-m", "bench.sink", str(sink_port)]) as sink:
        sink.wait_for_output("SINK_READY")
        mark = time.monotonic()
        seeded = seed.seed_all(scale, sink_url=sink_url)
        timings["seed"] = time.monotonic() - mark
        steps = {
            "fanout": lambda: run_fanout(seeded, scale, heavy_runs, sink_url),
            "rabbitmq": lambda: run_rabbitmq(seeded, scale, heavy_runs, sink_url),
            "burst": lambda: run_burst(seeded, scale, heavy_runs, 5 if args.quick else 10, sink_url),
            "api": lambda: run_api(seeded, scale, heavy_runs, 5 if args.quick else 10),
            "bluesky": lambda: run_bluesky(seeded, scale, heavy_runs),
            "portal": lambda: run_portal(seeded, scale, portal_runs, 5 if args.quick else 10),
            "audit": lambda: run_audit(scale, heavy_runs),
        }
        for name in BENCHMARKS:
            if name in only:
                log(f"{name} ...")
                mark = time.monotonic()
                try:
                    figures.extend(steps[name]())
                except Exception as exc:  # one broken benchmark must not lose the others' results
                    log(f"{name} FAILED: {exc!r}")
                    errors[name] = traceback.format_exc()
                timings[name] = time.monotonic() - mark
    payload = {
        "quick": args.quick,
        "only": only,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {**facts, "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "versions": versions(),
        "scale": scale.__dict__,
        "runs_per_figure": args.runs,
        "runs_of_fanout_and_audit": heavy_runs,
        "runs_of_portal": portal_runs,
        "seconds": {k: round(v, 1) for k, v in {**timings, "total": time.monotonic() - started}.items()},
        "figures": [f.as_json() for f in figures],
        "all_pass": all(f.passed for f in figures) and not errors,
        "errors": errors,
    }
    from bench.report import CHANGES, NOTES

    payload["changes"] = CHANGES
    payload["notes"] = NOTES
    write_results(payload)
    if not args.keep_db:
        from django.db import connections

        connections.close_all()
        seed.drop_database()
    for figure in figures:
        log(
            f"{'PASS' if figure.passed else 'MISS'} {figure.benchmark}: {figure.ratio.median:.2f} "
            f"(min {min(figure.ratio.values, default=float('nan')):.2f}, "
            f"max {max(figure.ratio.values, default=float('nan')):.2f}); target {figure.target}"
        )
    log(f"done in {time.monotonic() - started:.0f} s")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
