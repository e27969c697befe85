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
        "effect": "A/B on the quick fan-out (same data and worker, interleaved, 2 runs each): 17.0 and 37.6 sends/s "
        "without → 53.5 and 57.4 with; ratio to no-op 0.14 → 0.29 (medians). py-spy: connect time in the pool "
        "processes 11% → 0%.",
    },
    {
        "what": "The dispatcher applies backpressure",
        "where": "advocacy/sharing/engine.py (dispatch_due)",
        "why": "The first full-size run: beat claimed 500 shares every 10 s whatever the workers' pace, so most "
        "of a 10,000-share fan-out sat in the broker longer than a lease and recover_stale re-enqueued it as "
        "lost: 26,467 extra deliveries in 60 ticks (no post was doubled, the lease saw to that, but every extra "
        "delivery cost a task and two queries, and the run outlived the benchmark's wait). dispatch_due now "
        "claims only up to one batch beyond what workers have already started; the rest stays scheduled in "
        "the database until they catch up.",
        "effect": "re-enqueued deliveries in a 10,000-share fan-out 26,467 → 0. The same fan-out took about "
        "17 min before (≈10 sends/s, with test suites running beside it) and 6 min after (27.3 sends/s, lighter "
        "load): not a controlled comparison, but the extra deliveries are gone.",
    },
    {
        "what": "user_may_share is one query",
        "where": "advocacy/program/selectors.py",
        "why": "It runs before every send and the latest policy was a second round trip; it is now a subquery "
        "(same answer, also when there is no policy). Under load every round trip to PostgreSQL costs a "
        "scheduler wake-up: 51% of a send was waiting on the database.",
        "effect": "statements per successful send 11 → 10 (plus the per-task connection health check).",
    },
    {
        "what": "The Bluesky plug-in shares one HTTP connection pool per process",
        "where": "advocacy/networks/bluesky/client.py (_PooledRequest, _transport)",
        "why": "py-spy on the Bluesky fan-out: 29% of a send built a new httpx client, i.e. an SSL context "
        "(CA bundle) and a new TCP connection, for every call. The SDK's request object is still made per "
        "call (it carries that account's session headers and cookies); only the transport is shared, "
        "and re-created after a fork.",
        "effect": "with the next change: Bluesky ratio (quick size, 3 runs each) 0.17 (0.13–0.28) → 0.50 "
        "(0.49–0.76); py-spy: SSL-context creation 29% → 0% of a send after the first.",
    },
    {
        "what": "Workers import the network plug-ins before forking",
        "where": "advocacy/celery.py (preload_network_plugins, on worker_init)",
        "why": "py-spy: half of a fresh pool process's first Bluesky sends was importing the AT Protocol SDK "
        "(pydantic model building), repeated in every pool process. Importing once in the parent shares it "
        "copy-on-write; a plug-in that fails to import still fails only when used.",
        "effect": "see the previous change (measured together).",
    },
    {
        "what": "audit_verify reads plain tuples; canonical JSON uses one encoder",
        "where": "advocacy/audit/verify.py, advocacy/audit/chain.py",
        "why": "cProfile of audit_verify: building a model instance per event was 22% of the time, and json.dumps "
        "with options builds a new JSONEncoder on every call (twice per event). Output and checks are "
        "unchanged (tests/audit, tests/workflow/test_audit_chain.py, and the seeded chain verifies).",
        "effect": "A/B in one process over the same 100,000 events, old and new code interleaved, median of 3: "
        "15,470 → 23,528 events/s (+52%).",
    },
    {
        "what": "The audit export encodes JSON with encoders built once",
        "where": "advocacy/audit/export.py",
        "why": "Same cause as above, twice per CSV row and once per JSON line; identical output.",
        "effect": "same A/B: CSV 21,338 → 23,395 rows/s (+10%); JSON Lines 25,387 → 25,450 (no measurable change).",
    },
]

NOTES: list[str] = [
    "Fan-out, why the target is missed: a send is ~10 SQL statements and two commits (each waits for the WAL "
    "fsync, ~3.6 ms here) plus a lock on the audit chain head, while the no-op baseline touches no database. "
    "py-spy: 51% of a pool process's time is waiting on PostgreSQL, and on a loaded 2-core machine every round "
    "trip also waits for the scheduler. Getting to 0.5× would need a batched send path (claim, audit and finish "
    "many shares per transaction, one chain-head lock per batch): a redesign of the engine, not a small fix.",
    "Fan-out, Bluesky, why the target is missed: after the two plug-in fixes, py-spy puts ~22% of a send in the "
    "plug-in and the SDK and ~60% in Candor's own database work (the lease, the pre-send checks, the audit "
    "event and its commit), the same cost as in the sink fan-out; the plain client has none of it, and the "
    "PDS (Node) shares the same 2 cores with the two worker processes.",
    "Portal, why the target is missed: the queries are few and fixed (5 for the feed, 3 for my shares); "
    "cProfile puts ~85% of a feed request in template rendering of its 50 cards (variable lookups, {% url %}, "
    "{% if %}). Reaching 0.5× the trivial page would take fewer cards per page (e.g. pages of 20) or fragment "
    "caching: a product decision, left to the portal's owners.",
    "Audit export, why the target is missed: per row, Django's (pure-Python) timestamptz loader, JSON decoding "
    "of the payload and re-encoding of old/new, and the csv writer, against COPY formatting rows in C inside "
    "PostgreSQL. Reaching 0.3× would need PostgreSQL to format the rows (a different byte format) or a raw "
    "cursor path beside the ORM. Memory is flat: peak RSS at 1,000,000 events equals that at 100,000.",
    "Audit verify, why the target is missed: per event it decodes the JSON payload and encodes two canonical "
    "JSON documents before hashing, against one hash over raw bytes in the baseline. Reaching 0.5× would need "
    "verifying ranges of the chain in parallel processes or hashing inside PostgreSQL.",
    "The full size runs each of the fan-out, Bluesky and audit benchmarks once (min = max), so that it fits in "
    "about 20 minutes on 2 cores; the quick size runs everything 3 times. Other test suites were running on "
    "this machine during some of these runs (load average 2–9 on 2 cores): absolute figures are low and noisy, which "
    "is why only same-run ratios are compared.",
    "Found while seeding on PostgreSQL (not a performance change, reported and fixed separately in 09f3565): "
    'draft_submit, draft_approve and draft_publish failed on PostgreSQL with "FOR UPDATE cannot be applied to '
    'the nullable side of an outer join" (drafts.services._lock); the full-size figures above were seeded '
    "before that fix, with the review steps written directly.",
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
        f"{payload.get('runs_of_fanout_and_audit', payload['runs_per_figure'])} run(s) of the fan-out, "
        "Bluesky and audit benchmarks).",
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
    for name, error in payload.get("errors", {}).items():
        lines += ["", f"**{name} failed:**", "", "```", error.strip()[-2000:], "```"]
    for part in payload.get("merged_from", []):
        lines += [
            "",
            f"The {', '.join(part['benchmarks'])} figures come from a second run of the same size "
            f"(`bench/run.py --only {','.join(part['benchmarks'])}`) at {part['generated_at']}, "
            f"{part['seconds'].get('total', 0):.0f} s; load average then "
            f"{part['machine']['load_average_at_start']}.",
        ]
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


def merge(target: dict[str, Any], partial: dict[str, Any]) -> dict[str, Any]:
    """Put a partial run's benchmarks (``bench/run.py --only …``) in place of the
    target's failed or older ones, saying so in the notes."""
    names = {f["benchmark"] for f in partial["figures"]}
    redone = set(partial["only"])
    figures = [f for f in target["figures"] if f["benchmark"] not in names]
    position = {name: n for n, name in enumerate(target["only"])}
    order = {
        "fan-out": "fanout",
        "worker memory": "fanout",
        "fan-out, real network": "bluesky",
        "portal": "portal",
        "audit export": "audit",
        "audit verify": "audit",
    }
    figures += partial["figures"]
    figures.sort(key=lambda f: position.get(order.get(f["benchmark"], ""), 99))
    errors = {k: v for k, v in target.get("errors", {}).items() if k not in redone}
    merged = {
        **target,
        "figures": figures,
        "errors": errors,
        "all_pass": all(f["pass"] for f in figures) and not errors,
    }
    merged["merged_from"] = [
        *target.get("merged_from", []),
        {
            "benchmarks": sorted(redone),
            "generated_at": partial["generated_at"],
            "seconds": partial["seconds"],
            "machine": partial["machine"],
        },
    ]
    return merged


if __name__ == "__main__":
    # python -m bench.report RESULTS.json                 re-render RESULTS.md
    # python -m bench.report RESULTS.json PARTIAL.json    merge a partial run into RESULTS, then re-render
    import json
    import sys
    from pathlib import Path

    source = Path(sys.argv[1])
    data = json.loads(source.read_text())
    if len(sys.argv) > 2:
        data = merge(data, json.loads(Path(sys.argv[2]).read_text()))
    data["changes"], data["notes"] = CHANGES, NOTES
    source.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    source.with_suffix(".md").write_text(markdown(data))
