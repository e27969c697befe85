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
        "where": "advocacy/sharing/engine/dispatch.py (dispatch_due)",
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
        "what": "The feed shows pages of 20 cards, rendered from plain rows and cached; my shares is built from rows",
        "where": "advocacy/portal/employee.py (feed, shares), advocacy/drafts/selectors.py "
        "(feed_cards_for_employee), advocacy/sharing/selectors.py (share_rows_for_employee), "
        "templates/portal/feed.html, _feed_cards.html, shares.html",
        "why": "cProfile: ~85% of a feed request was template rendering of its 50 cards (attribute chains, "
        "{% url %}, {% blocktranslate %} per card). The feed now shows 20 cards per page with newer/older links "
        "(one row more than a page instead of a COUNT), fetched as plain rows in one query, and the cards' HTML "
        "is cached per distinct content, language, time zone and can-share (tests: a retired post leaves at once, "
        "share buttons follow whoever looks). My shares formats links, labels and local times once per row in "
        "the view. Query counts unchanged (5 and 3).",
        "effect": "full size: feed 0.24 → 0.42, my shares 0.26 → 0.43 in a portal-only run during the work; "
        "0.56 and 0.61 in the final full run.",
    },
    {
        "what": "Shares are sent in batches: one task, one load, one set of pre-send checks per batch; leases "
        "and outcomes written ten shares at a time, with one lock of the audit chain head",
        "where": "advocacy/sharing/engine/ (dispatch_due, shares_send, SendBatch, Outcomes, _move), "
        "advocacy/sharing/tasks.py (send_shares), advocacy/audit/services.py (audit_record_many), "
        "advocacy/program/selectors.py (users_may_share)",
        "why": "py-spy on the fan-out: a send was ~10 SQL statements and two commits plus a lock on the audit "
        "chain head (51% of a pool process waiting on PostgreSQL), and a Celery task of its own. A task now "
        "carries up to 30 shares: it reads consent and each account's recent posts for all of them in two "
        "queries (re-read every half second, so someone who leaves mid-batch is not posted for), checks each "
        "distinct text once, and writes outcomes and their audit events in one UPDATE … RETURNING and one "
        "INSERT per ten shares, in the same transaction that leases the next ten. A worker killed mid-batch "
        "leaves at most ten shares in doubt (reconciled first, as before). A worker that finishes a batch "
        "dispatches the next due shares itself instead of waiting up to 10 s for beat (backpressure unchanged). "
        "The ORM Case/When form of the per-row UPDATE cost more CPU than the sends, so it is raw SQL.",
        "effect": "fan-out ratio (quick size, single runs) 0.16 → 0.80; Bluesky fan-out 0.39 → 1.04 (quick). "
        "Full size, with the index fix below: fan-out 0.16 → 0.54–0.71, Bluesky 0.39 → 0.68–1.10 (load-dependent). "
        "Statements per chunk of ten shares: 5 (tests/workflow/test_send_batches.py asserts it), against ~100 "
        "for ten single sends.",
    },
    {
        "what": "The missed-shares sweep and the dispatcher read by index",
        "where": "advocacy/sharing/engine/dispatch.py (share_missed_sweep), advocacy/sharing/models.py "
        "(share_due_idx, share_late_idx; migration 0002)",
        "why": "At full size the fan-out fell to a third of the quick size's ratio. Per-process CPU sampling "
        "showed two PostgreSQL backends at 50% each; EXPLAIN ANALYZE: the sweep that runs before every "
        "dispatch ordered by pk, so PostgreSQL walked the whole primary key (210,000 shares) to find none: "
        "235 ms per dispatch. The dispatcher's ORDER BY next_attempt_at, id sorted all 10,000 shares due at "
        "the same instant on every call (16 ms). The sweep now orders by scheduled_at over a (state, "
        "scheduled_at) index, and the due index includes id.",
        "effect": "sweep 235 ms → 0.1 ms, dispatch query 16 ms → 0.1 ms (EXPLAIN ANALYZE, full-size data, "
        "10,000 shares due).",
    },
    {
        "what": "Log redaction no longer backtracks over long words",
        "where": "advocacy/core/logging.py (_KEY_VALUE)",
        "why": "py-spy on the fan-out's pool processes: 7% in redact_text, which every log line passes "
        "(Celery logs each task's result). The key=value pattern retried at every character of a word, "
        "quadratic in its length; it now starts only where a word starts. Same redactions "
        "(tests/security/test_logging_redaction.py). send_shares also returns a short count per state.",
        "effect": "redact_text on a 100-letter word 0.44 ms → 0.009 ms; on a task's success line 0.12 → 0.05 ms.",
    },
    {
        "what": "Audit export on PostgreSQL is formatted by PostgreSQL (COPY)",
        "where": "advocacy/audit/export.py (postgres_chunks), advocacy/audit/pgcopy.py, advocacy/audit/jobs.py",
        "why": "cProfile of the CSV export: ~21% loading timestamps, ~12% decoding the payload JSON, 18% "
        "re-encoding old/new, 18% in the csv writer, for every row. Rows now come from COPY in batches of 5,000 "
        "sequence numbers: CSV straight from COPY WITH CSV, JSON Lines assembled from COPY text fields, with "
        "timestamps and old/new written by PostgreSQL. The same bytes as the ORM path, which a test checks; "
        "lines end in LF and timestamps always carry microseconds (docs/operations.md).",
        "effect": "1,000,000 events, old and new code back to back: CSV 35.3k → 80.1k rows/s (ratio 0.19 → 0.44), "
        "JSON Lines 38.8k → 84.0k (0.21 → 0.46); quick medians 0.20/0.23 → 0.53/0.55; peak memory at 1M ÷ at "
        "100k 1.00.",
    },
    {
        "what": "audit_verify reads COPY and writes the canonical JSON directly; --jobs N walks ranges in parallel",
        "where": "advocacy/audit/verify.py, advocacy/audit/chain.py (envelope_json, payload_digest_of_json), "
        "advocacy/audit/pgcopy.py, management command audit_verify",
        "why": "cProfile over 1M events: 47% in Django's per-row field conversion (timestamp loader ~13%, payload "
        "JSON decoding ~10%), 25% in JSONEncoder.encode. Verify now reads COPY text (timestamps from to_char, "
        "with a guard against BC dates), builds the envelope with an f-string and json's C escaping (a "
        "hypothesis test shows identical bytes; the chain format is unchanged), canonicalises payloads with a "
        "prebuilt C encoder and remembers the last 256 distinct payload digests. Head and events are read from "
        "one snapshot (a live database no longer shows events appended meanwhile as a broken tail). --jobs N "
        "walks ranges in N processes on that snapshot and checks the links between them; every tamper "
        "scenario is tested through each path and must give the ORM's exact report. The bench runs it with "
        "one process per core, as an operator would.",
        "effect": "1M events back to back: 32.1k → 113.8k events/s (ratio 0.14 → 0.50); quick median 0.20 → 0.45; "
        "--jobs 2 alone 1.2–1.3× over one process on 2 cores.",
    },
    {
        "what": "My shares reads the account's network and handle by subquery, not a join",
        "where": "advocacy/sharing/selectors.py (_share_rows)",
        "why": "EXPLAIN ANALYZE of every query of the portal pages on the bench data: the my-shares query hashed "
        "every connected account (a sequential scan) on each page load, and PostgreSQL spent longer planning "
        "its joins (1.0 ms) than running it (0.75 ms). The account's network and handle now come from two "
        "subqueries, one index lookup per row each, as the draft's title already did. Same rows, same 3 "
        "queries (tests/portal).",
        "effect": "Planning + execution 1.8 ms → 0.5 ms per page load (EXPLAIN ANALYZE, quick-size data, 21 "
        "rows). The req/s ratio moves less than the run-to-run noise of a portal run (portal-only runs before "
        "and after: my shares 0.51–0.62 and 0.55–0.56 medians).",
    },
    {
        "what": "audit_verify writes canonical payload JSON with orjson where orjson gives json's very bytes",
        "where": "advocacy/audit/chain.py (payload_digest_of_json, _canonical_bytes_of_parsed, _ParsedFloat); "
        "orjson added to requirements/base.in",
        "why": "Per-event timing of audit_verify's loop (this session, idle machine): Python 9.3 µs per event "
        "against the baseline's 3.5, and PostgreSQL's side of the COPY the same for both. 40% of the seeded "
        "payloads are distinct (each share's schedule and send), so they miss verify's digest cache, and a miss "
        "cost 6.4 µs, 2.9 of them in json's C encoder with sort_keys. orjson with OPT_SORT_KEYS writes the same "
        "bytes (every code point checked as key and value; hypothesis over generated payloads) except for some "
        "floats (1e-5 for 1e-05) and integers past 64 bits, which it silently turns into floats when parsing. So "
        "json's own C scanner still parses (exact integers), floats are parsed as a float subclass orjson refuses, "
        "and whatever orjson refuses (floats, integers past 64 bits, nesting deeper than 254) goes to json's "
        "encoder. Also tried and dropped: hashing COPY's bytes without decoding (an envelope from a bytes "
        "template, checked for characters JSON escapes): the check cost as much as json's escaping, no gain.",
        "effect": "A cache miss 6.4 → 3.7 µs. 1M events, --jobs 2, old and new interleaved, 4 runs each: median "
        "164.7k → 180.3k events/s (+10%). Full-size ratio over three runs this session: 0.55 (0.52–0.55), "
        "against 0.42–0.51 before.",
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
    {
        "what": "Signed checkpoints cache their subtree roots; proofs read the cache",
        "where": "advocacy/audit/merkle.py (CachedTree, tile_roots), advocacy/audit/merkle_cache.py, "
        "advocacy/audit/models.py (AuditMerkleNode; migration 0008), advocacy/audit/checkpoints.py, proofs.py",
        "why": "Every checkpoint, and every receipt or export that carried proofs, built the whole Merkle tree "
        "from every event (read through the ORM) and kept every level in memory: a proof at 1M events cost at "
        "least one pass over a million hashes. Signing now stores the root of each complete run of 256 events "
        "(and of 256 runs, …), reading only the events added since the last checkpoint; roots and proofs combine "
        "a few hundred stored hashes with at most 256 leaves.",
        "effect": "quick size, same run: one inclusion proof from a full pass (≥ 1,393 ms, the baseline's pass "
        "over the hashes) → 10 ms median (load average 8–9 on 2 cores); full size (load 3–4): inclusion 4.5 ms, "
        "consistency 4.7 ms, root 4.7 ms at 1,000,009 events, where one pass over the hashes takes 3.9 s.",
    },
    {
        "what": "Event hashes are read joined by PostgreSQL (string_agg), not one COPY message per event",
        "where": "advocacy/audit/merkle_cache.py (_hex_between, event_leaves_raw)",
        "why": "cProfile of a cold checkpoint at 100k events: 60% in psycopg's COPY generator (one message per "
        "row, read twice: to sign and for the witness's hash file). One statement per 65,536 events returns them "
        "as one text, decoded with one bytes.fromhex; a missing event is found by the row count (sequence "
        "numbers are unique) instead of a separate check.",
        "effect": "quick size, back to back (load 8–9): cold checkpoint 14.6k → 44.0k events/s (ratio to COPY "
        "+ hashlib 0.22 → 0.61); cProfile 4.9 s → 2.1 s.",
    },
    {
        "what": "Signing and witnessing read a big log in pieces; witnessed verification keeps one bytes object",
        "where": "advocacy/audit/merkle_cache.py (merkle_cache_extend), advocacy/audit/witnesses.py (_lines, "
        "_write_new), advocacy/audit/witnessed.py, advocacy/audit/merkle.py (Tree.of_concatenated)",
        "why": "The first full-size run with CSV proofs: the first CSV export signed the log's first checkpoint "
        "and peaked at 347 MiB (95.7 MiB at 100k), holding every hash as text, as bytes and as a list. "
        "audit_verify with a witness held a list of a million leaves and the witness's million hashes as text.",
        "effect": "CSV export peak RSS at 1M ÷ at 100k 3.63 → 1.31 from the pieces alone, 1.00 once the bench "
        "signs one checkpoint before the exports (as beat has in use); witnessed audit_verify peak RSS at 1M "
        "518 → 329 MiB.",
    },
    {
        "what": "compose_text keeps its recent answers",
        "where": "advocacy/compose/disclosure.py (compose_text, functools.lru_cache of 4,096)",
        "why": "The new REST API benchmark: GET /api/feed/ ran at 0.05–0.06 of a trivial authenticated DRF "
        "view. cProfile of warm requests in one process: 85% in the serializer's get_texts → final_text → "
        "compose_text, whose disclosure search folds every prefix of the body (~4 ms a text; 4 networks × "
        "50 cards per page, on every request). compose_text is pure in its two strings. The HTML feed "
        "already cached its cards' HTML, so only the API paid it.",
        "effect": "quick size, load average ~10 on 2 cores: GET /api/feed/ ratio 0.05–0.06 (smoke run before) "
        "→ 0.25 (0.25–0.26) in the quick run after; per request under cProfile 819 ms → ~100 ms, the rest "
        "queries (~14 ms) and DRF's serialization of 50 cards.",
    },
]

NOTES: list[str] = [
    "Fan-out: a share now costs a fraction of a Celery task (a task carries 30) and about half a SQL "
    "statement (5 statements and one commit per ten shares, plus a few per batch); what is left per share is "
    "the HTTP post itself, checking the text and hashing its audit event. The no-op baseline still touches no "
    "database, and PostgreSQL, Redis, the sink and both worker processes share the same 2 cores.",
    "Fan-out, Bluesky: the baseline client posts one record after another; Candor's two worker processes post "
    "in parallel, so with its own overhead down to a few milliseconds per share the PDS (Node, on the same 2 "
    "cores) is the bottleneck, as the target intends. The baseline is measured before and after Candor's run "
    "and averaged, because the PDS slows down as records pile up.",
    "Audit verify: PostgreSQL's cost per row is the baseline's (~3.5 µs of its CPU, most of it writing the "
    "payload's jsonb as text), and the rest is Python per event: psycopg's COPY read (~1.7 µs, the baseline "
    "pays it too), splitting the row, the payload digest (cached for repeated payloads, ~3.7 µs for a new "
    "one), the envelope and the link hash, about 8 µs in all against the baseline's 3.5. --jobs 2 on 2 cores "
    "shares them with the two PostgreSQL backends, so it gains ~1.5×. In the seeded log 60% of payloads "
    "repeat (logins, opt-ins, cancellations); a log with fewer repeats verifies more slowly.",
    "Every benchmark now runs several times at full size too (the median is reported): 3 runs of the fan-out, "
    "Bluesky and audit benchmarks and 5 of the portal, about 15 minutes on 2 cores, inside the 20-minute "
    "budget. Earlier single runs of the Bluesky fan-out measured 0.68–1.10 and audit verify 0.42–0.51 "
    "depending on what else ran beside them. The portal varies most: the baseline page alone moved by up to "
    "35% between two measurements of one run, so each run now measures it before and after the pages and "
    "averages the two. The portal pages pass with the least to spare (0.5–0.6): what is left per request is "
    "Django's template rendering of the rows and the two or three queries beyond the baseline's session and "
    "user, each now a fraction of a millisecond in PostgreSQL.",
    "Found while seeding on PostgreSQL (not a performance change, reported and fixed separately in 09f3565): "
    'draft_submit, draft_approve and draft_publish failed on PostgreSQL with "FOR UPDATE cannot be applied to '
    'the nullable side of an outer join" (drafts.services._lock).',
    "Portal under a burst (issue 20): /feed/ is loaded by wrk from the first post that reaches the sink "
    "until its window ends, and the run counts only if shares were still unsent then; idle p95 is the mean "
    "of the page's p95 before and after the burst, with the same gunicorn and Celery worker running. What "
    "slows the page during a burst is CPU: its queries only read, and the dispatcher's FOR UPDATE SKIP LOCKED "
    "never makes a reader wait. On a machine already loaded by other work the burst adds little relative "
    "to that load, so a shared machine's ratio flatters; an idle machine's has not been measured yet.",
    "REST API: the baseline (bench/urls.py ApiBaseline) has the API's token authentication, permission, "
    "throttle, JSON parser and renderers and does nothing else; GET is compared with GET, POST (with the "
    "same body) with POST. POST /api/shares/ schedules a real share 30 days ahead: its checks, the row and "
    "its audit event under the chain head's lock. GET /api/feed/ serializes a page of 50 cards with every "
    "network's text (the HTML feed shows 20, cached).",
    "Fan-out on RabbitMQ: the same worker and code with CELERY_BROKER_URL on RabbitMQ, in a virtual host "
    "of the bench's own; no-op tasks on the same broker are its baseline. Idle there is RabbitMQ's count of "
    "ready messages, which leaves out the few a worker has prefetched.",
    "Fan-out upper bound: the same sink posts by the bench plug-in's own HTTP code (bench.sinkclient) from "
    "two plain loops, no database, broker or Celery: what two processes can post at all. Candor's sends "
    "also write each outcome and audit event to PostgreSQL on the same 2 cores.",
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
        f"on the same machine: the median of several runs (min–max in brackets): "
        f"{payload.get('runs_of_fanout_and_audit', payload['runs_per_figure'])} of the fan-out, Bluesky, burst, "
        f"REST API and audit benchmarks, {payload.get('runs_of_portal', payload['runs_per_figure'])} of the portal.",
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
        "fan-out, upper bound": "fanout",
        "fan-out, RabbitMQ": "rabbitmq",
        "fan-out, real network": "bluesky",
        "portal": "portal",
        "portal under a burst": "burst",
        "REST API": "api",
        "audit export": "audit",
        "audit verify": "audit",
        "audit checkpoint": "audit",
        "audit proof": "audit",
        "audit verify, witnessed": "audit",
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
