"""Fan-out: N shares of one campaign, all due at the same minute, sent by one Celery
worker with two processes (``--concurrency=2``, as Procfile.prod runs it) to the
local HTTP sink; and worker memory after N/10 and N sends.

Baselines, in the same run: the throughput of a no-op task with the same options
(queue ``posting``, late ack, prefetch 1) on the same broker and worker settings; and
the upper bound, the same HTTP posts sent by a plain loop from two processes
(``bench.plainposts``) with no database or broker. The fan-out runs on Redis (the
bench's broker) and, when RabbitMQ is reachable, on RabbitMQ too, each against no-op
tasks on its own broker.

The dispatcher is driven as in production: a "beat" thread here sends
``sharing.dispatch_due_shares`` every 10 s (the schedule in settings), and the
worker claims and enqueues what is due.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from bench.common import ROOT, Process, Series, bench_environment, children, log, rss_bytes, wait_until
from bench.queues import Queues

WORKER_ARGS = ["--loglevel=INFO", "--concurrency=2", "--queues=celery,posting", "--pool=prefork"]
BEAT_INTERVAL = 10.0  # CELERY_BEAT_SCHEDULE["dispatch-due-shares"]
NOOP_TASKS = 3000  # enough for a steady rate; the baseline need not be as long as the fan-out


def start_worker(app: str, name: str, *, broker_url: str | None = None) -> Process:
    env = {"CELERY_BROKER_URL": broker_url} if broker_url else None
    worker = Process(
        name, [sys.executable, "-m", "celery", "-A", app, "worker", *WORKER_ARGS, "-n", f"{name}@%h"], env=env
    )
    worker.wait_for_output(" ready.", timeout=90)
    wait_until(lambda: len(children(worker.pid)) >= 2, timeout=30, what="worker pool processes")
    return worker


def pool_rss(worker: Process) -> list[int]:
    return [rss_bytes(pid) for pid in children(worker.pid)]


class Beat(threading.Thread):
    """Sends the dispatch task on beat's schedule until stopped."""

    def __init__(self, app: Any):
        super().__init__(daemon=True)
        self.app = app
        self.stopped = threading.Event()
        self.ticks = 0

    def run(self) -> None:
        while not self.stopped.is_set():
            self.app.send_task("sharing.dispatch_due_shares", expires=BEAT_INTERVAL - 1)
            self.ticks += 1
            self.stopped.wait(BEAT_INTERVAL)

    def stop(self) -> None:
        self.stopped.set()
        self.join(5)


def sink_call(url: str, path: str, method: str = "GET") -> dict[str, Any]:
    request = urllib.request.Request(url + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def noop_throughput(app: Any, worker_name: str, count: int, queues: Queues) -> float:
    """Tasks/s for ``count`` no-op tasks: queued while the worker is not consuming,
    then timed from the moment it starts consuming until the queue is drained."""
    queues.purge()
    destination = [f"{worker_name}@{socket.gethostname()}"]
    app.control.cancel_consumer("posting", destination=destination, reply=True, timeout=5)
    with app.producer_or_acquire() as producer:
        for _ in range(count):
            app.send_task("bench.noop", queue="posting", producer=producer)
    wait_until(lambda: queues.depth("posting") >= count - queues.unseen, timeout=60, what="no-op tasks queued")
    start = time.perf_counter()
    app.control.add_consumer("posting", destination=destination, reply=True, timeout=5)
    wait_until(queues.idle, timeout=600, interval=0.01, what="no-op queue drained")
    return count / (time.perf_counter() - start)


def plain_posts_throughput(sink_url: str, count: int, processes: int = 2) -> float:
    """Posts/s of ``count`` posts to the sink from ``processes`` plain loops
    (``bench.plainposts``), timed from the moment all are told to start until all are done."""
    env = {**os.environ, **bench_environment()}
    each = count // processes
    loops = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.plainposts", sink_url, str(each)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        for loop in loops:
            assert loop.stdout is not None and loop.stdout.readline().strip() == "READY"
        start = time.perf_counter()
        for loop in loops:
            assert loop.stdin is not None
            loop.stdin.write("go\n")
            loop.stdin.flush()
        for loop in loops:
            assert loop.stdout is not None
            if loop.stdout.readline().strip() != "DONE":
                raise RuntimeError("a plain posting loop stopped before it was done")
        elapsed = time.perf_counter() - start
    finally:
        for loop in loops:
            loop.wait(30)
    return each * processes / elapsed


def share_states(draft_id: int) -> dict[str, int]:
    from django.db.models import Count

    from advocacy.sharing.models import Share

    rows = Share.objects.filter(draft_id=draft_id).values("state").annotate(n=Count("id"))
    return {row["state"]: row["n"] for row in rows}


@dataclass
class FanoutRun:
    shares: int
    seconds: float
    throughput: float
    states: dict[str, int]
    sink: dict[str, Any]
    keys_match: bool
    max_attempts: int
    rss_at_checkpoint: list[int]
    rss_at_end: list[int]
    sent_at_checkpoint: int
    ticks: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def all_sent_once(self) -> bool:
        return (
            self.states.get("sent", 0) == self.shares
            and self.sink["posts"] == self.shares
            and self.sink["distinct_keys"] == self.shares
            and self.sink["duplicates"] == 0
            and self.keys_match
        )


def send_due(
    app: Any, worker: Process, queues: Queues, *, draft_id: int, timeout: float, checkpoint: int = 0
) -> dict[str, Any]:
    """Make a draft's shares due now, drive the dispatcher as beat does, and time
    until none is left scheduled or sending. Samples the pool's memory once
    ``checkpoint`` shares are sent, and at the end."""
    from bench.seed import make_due

    queues.purge()
    total = make_due(draft_id=draft_id)
    beat = Beat(app)
    start = time.perf_counter()
    beat.start()
    rss_checkpoint: list[int] = []
    sent_at_checkpoint = 0
    deadline = start + timeout
    states: dict[str, int] = {}
    try:
        while time.perf_counter() < deadline:
            states = share_states(draft_id)
            sent = states.get("sent", 0)
            if checkpoint and not rss_checkpoint and sent >= checkpoint:
                rss_checkpoint, sent_at_checkpoint = pool_rss(worker), sent
            if states.get("scheduled", 0) + states.get("sending", 0) == 0:
                break
            time.sleep(0.1)
        elapsed = time.perf_counter() - start
    finally:
        beat.stop()
    # Duplicate deliveries (from recover_stale) may still be queued: let them run out.
    wait_until(queues.idle, timeout=600, interval=0.5, what="broker idle after sending")
    return {
        "shares": total,
        "seconds": round(elapsed, 2),
        "throughput": states.get("sent", 0) / elapsed,
        "states": states,
        "beat_ticks": beat.ticks,
        "rss_at_checkpoint": rss_checkpoint,
        "sent_at_checkpoint": sent_at_checkpoint,
        "rss_at_end": pool_rss(worker),
    }


def fanout_once(
    app: Any, worker: Process, queues: Queues, *, draft_id: int, sink_url: str, checkpoint: int, timeout: float
) -> FanoutRun:
    """One fan-out to the sink, and what the sink and the database say about it."""
    from advocacy.sharing.models import Share

    sink_call(sink_url, "/reset", "POST")
    result = send_due(app, worker, queues, draft_id=draft_id, timeout=timeout, checkpoint=checkpoint)
    sink = sink_call(sink_url, "/stats")
    sink_keys = set(sink_call(sink_url, "/keys")["keys"])
    db_keys = set(Share.objects.filter(draft_id=draft_id, state="sent").values_list("idempotency_key", flat=True))
    max_attempts = max(Share.objects.filter(draft_id=draft_id).values_list("attempts", flat=True))
    return FanoutRun(
        shares=result["shares"],
        seconds=result["seconds"],
        throughput=result["throughput"],
        states=result["states"],
        sink=sink,
        keys_match=sink_keys == db_keys,
        max_attempts=max_attempts,
        rss_at_checkpoint=result["rss_at_checkpoint"],
        rss_at_end=result["rss_at_end"],
        sent_at_checkpoint=result["sent_at_checkpoint"],
        ticks=result["beat_ticks"],
    )


def run(
    *,
    draft_id: int,
    sink_url: str,
    shares: int,
    checkpoint: int,
    runs: int,
    broker_url: str | None = None,
) -> dict[str, Any]:
    """Each run: a fresh worker; no-op tasks (the baseline), the fan-out of ``shares``
    shares, no-op tasks again, then the same number of posts from two plain loops (the
    upper bound). Pairing them in one run on one worker keeps the ratios honest on a
    machine whose load drifts. ``broker_url``: RabbitMQ instead of the bench's Redis."""
    from bench import queues as broker

    queues: Queues
    if broker_url:
        broker.ensure_vhost(broker_url)
        app, queues = broker.amqp_app(broker_url), broker.AmqpQueues(broker_url)
    else:
        from bench.celeryapp import app

        queues = broker.redis_queues()
    noop, sends, memory, plain = Series(), Series(), Series(), Series()
    details: list[dict[str, Any]] = []
    for n in range(runs):
        name = f"bench{n}"
        worker = start_worker("bench.celeryapp", name, broker_url=broker_url)
        try:
            noop_throughput(app, name, min(shares, 200), queues)  # warm-up, not counted
            before = noop_throughput(app, name, min(shares, NOOP_TASKS), queues)
            result = fanout_once(
                app,
                worker,
                queues,
                draft_id=draft_id,
                sink_url=sink_url,
                checkpoint=checkpoint,
                timeout=max(300.0, shares / 5),
            )
            after = noop_throughput(app, name, min(shares, NOOP_TASKS), queues)
            noop.add((before + after) / 2)  # measured on both sides of the fan-out, against load drift
        finally:
            worker.stop()
        sends.add(result.throughput)
        plain.add(plain_posts_throughput(sink_url, shares))
        if result.rss_at_checkpoint:
            memory.add(sum(result.rss_at_end) / sum(result.rss_at_checkpoint))
        details.append(
            {
                "noop_tasks_per_s_before_and_after": [round(before, 1), round(after, 1)],
                "plain_posts_per_s": round(plain.values[-1], 1),
                "shares": result.shares,
                "seconds": round(result.seconds, 2),
                "sends_per_s": round(result.throughput, 1),
                "states": result.states,
                "sink": result.sink,
                "sink_keys_equal_db_keys": result.keys_match,
                "max_attempts": result.max_attempts,
                "all_sent_once": result.all_sent_once,
                "beat_ticks": result.ticks,
                "sent_at_memory_checkpoint": result.sent_at_checkpoint,
                "pool_rss_mib_at_checkpoint": [round(r / 2**20, 1) for r in result.rss_at_checkpoint],
                "pool_rss_mib_at_end": [round(r / 2**20, 1) for r in result.rss_at_end],
            }
        )
        log(
            f"  run {n + 1}: no-op {noop.values[-1]:.0f} tasks/s; fan-out {result.throughput:.1f} sends/s "
            f"({result.seconds:.1f} s), plain posts {plain.values[-1]:.0f}/s, all sent once: "
            f"{result.all_sent_once}, states {result.states}"
        )
    return {"noop": noop, "sends": sends, "memory": memory, "plain": plain, "runs": details}
