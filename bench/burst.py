"""Backpressure under a burst (issue 20): the employee feed (``/feed/``) loaded by wrk
while a campaign's fan-out drains, against the same page while the workers are idle.

Each run, on one gunicorn (two workers) and one Celery worker (two processes), as the
portal and fan-out benchmarks run them: wrk on ``/feed/`` with nothing to send; then the
fan-out draft's shares all made due at once and, from the first post that reaches the
sink, wrk on ``/feed/`` again while they drain; then wrk with nothing to send again.
The figure is the page's p95 during the burst ÷ the mean of the two idle p95s.

A run counts only if its loaded window lies inside the drain (shares were still
unsent when wrk finished); the run records it, and the figure fails otherwise.
"""

from __future__ import annotations

import threading
from typing import Any

from bench.common import Series, free_port, log, wait_until
from bench.portal import require_wrk, start_gunicorn, warm_up, write_cookies, wrk

PAGE = "/feed/"


def _load_during_drain(port: int, cookies: Any, seconds: int, sink_url: str, shares: int, out: dict[str, Any]) -> None:
    from bench.fanout import sink_call

    wait_until(lambda: sink_call(sink_url, "/stats")["posts"] > 0, timeout=120, interval=0.02, what="first send")
    out.update(wrk(port, PAGE, cookies, seconds))
    out["sent_when_load_ended"] = sink_call(sink_url, "/stats")["posts"]
    out["inside_drain"] = out["sent_when_load_ended"] < shares


def run(
    *, employee_ids: list[int], draft_id: int, sink_url: str, shares: int, seconds: int, runs: int
) -> dict[str, Any]:
    from bench.celeryapp import app
    from bench.fanout import fanout_once, sink_call, start_worker
    from bench.queues import redis_queues

    require_wrk()
    port = free_port()
    cookies = write_cookies(port, employee_ids)
    idle_p95, burst_p95, ratios, rps_ratios = Series(), Series(), Series(), Series()
    details: list[dict[str, Any]] = []
    server = start_gunicorn(port)
    worker = start_worker("bench.celeryapp", "burst")
    try:
        warm_up(port, "GET", PAGE, {"Cookie": f"sessionid={cookies.read_text().split()[0]}"})
        wrk(port, PAGE, cookies, 5)  # warm-up: templates, the card cache
        for n in range(runs):
            before = wrk(port, PAGE, cookies, seconds)
            sink_call(sink_url, "/reset", "POST")  # "first send" must mean this run's
            during: dict[str, Any] = {}
            load = threading.Thread(
                target=_load_during_drain, args=(port, cookies, seconds, sink_url, shares, during), daemon=True
            )
            load.start()
            fanout = fanout_once(
                app,
                worker,
                redis_queues(),
                draft_id=draft_id,
                sink_url=sink_url,
                checkpoint=0,
                timeout=max(300.0, shares / 5),
            )
            load.join(seconds + 180)
            after = wrk(port, PAGE, cookies, seconds)
            if not during or during["errors"] or during["non_2xx"]:
                raise RuntimeError(f"{PAGE} under the burst: {during or 'wrk did not finish'}")
            idle = (before["p95_ms"] + after["p95_ms"]) / 2
            idle_rps = (before["rps"] + after["rps"]) / 2
            idle_p95.add(idle)
            burst_p95.add(during["p95_ms"])
            ratios.add(during["p95_ms"] / idle)
            rps_ratios.add(during["rps"] / idle_rps)
            details.append(
                {
                    "idle_p95_ms_before_and_after": [round(before["p95_ms"], 1), round(after["p95_ms"], 1)],
                    "burst_p95_ms": round(during["p95_ms"], 1),
                    "idle_rps": round(idle_rps, 1),
                    "burst_rps": round(during["rps"], 1),
                    "load_window_inside_drain": during["inside_drain"],
                    "sent_when_load_ended": during["sent_when_load_ended"],
                    "fanout_seconds": round(fanout.seconds, 2),
                    "fanout_sends_per_s": round(fanout.throughput, 1),
                    "all_sent_once": fanout.all_sent_once,
                }
            )
            log(
                f"  run {n + 1}: {PAGE} p95 idle {idle:.1f} ms, during the burst {during['p95_ms']:.1f} ms "
                f"(×{ratios.values[-1]:.2f}); req/s ×{rps_ratios.values[-1]:.2f}; fan-out {fanout.throughput:.0f} "
                f"sends/s, window inside the drain: {during['inside_drain']}, all sent once: {fanout.all_sent_once}"
            )
    finally:
        worker.stop()
        server.stop()
        cookies.unlink(missing_ok=True)
    return {"idle_p95": idle_p95, "burst_p95": burst_p95, "ratio": ratios, "rps_ratio": rps_ratios, "runs": details}
