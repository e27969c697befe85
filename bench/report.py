"""Render ``bench/results/latest.md`` from the JSON payload, and the list of
application changes the benchmarks led to (kept here so every results file
carries it)."""

from __future__ import annotations

from typing import Any

# Each change: what, where, why (the profile), and the ratio before and after,
# measured with bench/ on the same machine (quick size unless said otherwise).
CHANGES: list[dict[str, str]] = [
    {
        "what": "Celery workers keep their PostgreSQL connection between tasks",
        "where": "advocacy/settings/base.py (CELERY_DB_REUSE_MAX = 1000), advocacy/celery.py "
        "(recycle_database_connections)",
        "why": "py-spy on the fan-out's pool processes: 11% of their time in psycopg connect, because Celery's "
        "Django fix-up closes every connection before and after each task unless CELERY_DB_REUSE_MAX is set "
        "(and PostgreSQL forks a backend per connection). Connections are now reused; a signal handler "
        "drops one that broke or outlived DATABASE_CONN_MAX_AGE, as Django does around each request "
        "(eager tasks, which run inside the caller's transaction, are left alone).",
        "effect": "fan-out ratio 0.11 (11.5 sends/s vs 103 no-op tasks/s) → 0.23 (16.1 vs 71), quick size, "
        "one run each on the loaded machine; connect time in the pool processes 11% → 0%.",
    },
    {
        "what": "user_may_share is one query",
        "where": "advocacy/program/selectors.py",
        "why": "It runs before every send; the latest policy was a separate round trip. It is now a subquery "
        "(same answer when there is no policy: no enrollment matches).",
        "effect": "statements per successful send 11 → 10 (plus the per-task connection health check).",
    },
    {
        "what": "audit_verify reads plain tuples; canonical JSON uses one encoder",
        "where": "advocacy/audit/verify.py, advocacy/audit/chain.py",
        "why": "cProfile of audit_verify: building a model instance per event was 22% of the time, and json.dumps "
        "with options builds a new JSONEncoder on every call (twice per event). Output and checks are "
        "unchanged (the chain tests and the seeded 1M-event chain verify).",
        "effect": "verify 4,626 → 9,038 events/s over the same 162,674 events; ratio to the COPY + hashlib "
        "loop 0.064 → 0.15.",
    },
    {
        "what": "audit export encodes JSON with encoders built once",
        "where": "advocacy/audit/export.py",
        "why": "Same cause as above, twice per CSV row and once per JSON line; identical output.",
        "effect": "small (within the noise of the loaded machine): see the export figures.",
    },
]

NOTES: list[str] = [
    "Found while seeding on PostgreSQL, not fixed here (not a performance change): draft_submit, draft_approve "
    'and draft_publish fail on PostgreSQL with "FOR UPDATE cannot be applied to the nullable side of an outer '
    "join\" (advocacy/drafts/services.py _lock: select_for_update() with select_related('working_version'); "
    "select_for_update(of=('self',)) would fix it). tests/workflow/test_drafts.py fails on PostgreSQL for that "
    "reason. The seed writes the review steps directly.",
]


def _ratio(figure: dict[str, Any]) -> str:
    r = figure["ratio"]
    if r["median"] is None:
        return "—"
    return f"**{r['median']:.2f}** ({r['min']:.2f}–{r['max']:.2f})"


def markdown(payload: dict[str, Any]) -> str:
    lines = [
        f"# Candor benchmarks ({'quick, 10× smaller' if payload['quick'] else 'full size'})",
        "",
        f"Generated {payload['generated_at']} by `make bench{' QUICK=1' if payload['quick'] else ''}` "
        f"in {payload['seconds']['total']:.0f} s. Each figure is a ratio to a baseline measured in the same run "
        f"on the same machine: the median of {payload['runs_per_figure']} runs (min–max in brackets; "
        f"{payload.get('runs_of_fanout_and_audit', payload['runs_per_figure'])} run(s) of the fan-out, Bluesky and audit benchmarks).",
        "",
        "| benchmark | what | ratio | target | result |",
        "|---|---|---|---|---|",
    ]
    for figure in payload["figures"]:
        lines.append(
            f"| {figure['benchmark']} | {figure['what']} | {_ratio(figure)} | {figure['target']} | "
            f"{'pass' if figure['pass'] else '**miss**'} |"
        )
    lines += ["", "## Absolute figures (this machine, this run)", ""]
    for figure in payload["figures"]:
        details = {k: v for k, v in figure["details"].items() if k not in ("runs", "samples")}
        lines.append(f"- **{figure['benchmark']}**: " + "; ".join(f"{k} {_short(v)}" for k, v in details.items()))
    lines += ["", "## Machine and versions", ""]
    machine = payload["machine"]
    lines.append(
        f"- {machine['cpus']} CPUs ({machine['cpu_model']}), {machine['memory_gib']} GiB RAM, "
        f"Linux {machine['kernel']}, Python {machine['python']}; load average at start "
        f"{machine['load_average_at_start']}, at end {machine['load_average_at_end']}"
    )
    lines.append("- " + ", ".join(f"{k} {v}" for k, v in payload["versions"].items()))
    lines.append("- scale: " + ", ".join(f"{k} {v:,}" for k, v in payload["scale"].items()))
    lines.append("- seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in payload["seconds"].items()))
    if payload.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {note}" for note in payload["notes"]]
    lines += ["", "## Changes made to Candor because of these benchmarks", ""]
    for change in payload.get("changes", []):
        lines.append(f"- **{change['what']}** ({change['where']}). {change['why']} Before → after: {change['effect']}")
    lines += [
        "",
        "Reproduce: `make bench` (full, ≈20 min on 2 cores) or `make bench QUICK=1`; see README.md § Performance.",
        "",
    ]
    return "\n".join(lines)


def _short(value: Any) -> str:
    if isinstance(value, dict) and "median" in value:
        return f"{value['median']:,} ({value['min']:,}–{value['max']:,})"
    return str(value)


if __name__ == "__main__":  # re-render a results file: python -m bench.report bench/results/latest.json
    import json
    import sys
    from pathlib import Path

    source = Path(sys.argv[1])
    data = json.loads(source.read_text())
    data["changes"], data["notes"] = CHANGES, NOTES
    source.with_suffix(".md").write_text(markdown(data))

