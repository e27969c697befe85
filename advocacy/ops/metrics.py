"""/metrics: Prometheus figures for operators (docs/operations.md, "Metrics and alerts").

Two kinds of figure, each from where it is true:

* **States** (shares by state and network, the posting queue and its oldest due share,
  hand-backs, the audit checkpoint's age, worker heartbeats) are read from the database
  on every scrape. Any web process answers with the same numbers.
* **Events** inside workers (each network call: how long, what came of it; how late
  each share went out) are counted by the worker into ``MetricCounter`` rows
  (``advocacy.core.counters``), so a scrape sees every pool process of every worker on
  every host, and the counts survive restarts.

No figure names or counts a person: labels are networks, states, outcomes, queues and
worker processes.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from advocacy.core.counters import counters_read
from advocacy.ops import selectors
from advocacy.sharing.models import Share

QUEUES = ("posting", "celery")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
# Worker-side event counters (name as stored, without a suffix) and their help text.
EVENT_HISTOGRAMS = {
    "candor_network_call_seconds": (
        "Time each call to a social network took (publish, or the look-up that reconciles an attempt in doubt)",
        ("network", "call"),
    ),
    "candor_share_lateness_seconds": ("How long after its scheduled time each share was sent", ("network",)),
}
EVENT_COUNTERS = {
    "candor_network_calls": (
        "Calls to a social network, by outcome: ok, transient, rate_limited, outcome_unknown, auth, refused, error",
        ("network", "call", "outcome"),
    ),
}


def _labels(text: str) -> dict[str, str]:
    return {
        key: value.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\") for key, value in _LABEL.findall(text)
    }


class CandorCollector(Collector):
    """Builds every family afresh on each scrape."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        yield from self._shares()
        yield from self._queue(now)
        yield from self._hand_backs()
        yield from self._audit(now)
        yield from self._workers(now)
        yield from self._events()

    def _shares(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "candor_shares", "Shares by state and network (every share Candor holds)", labels=["state", "network"]
        )
        counts = selectors.shares_by_state_and_network()
        networks = sorted({network for _state, network in counts})
        for state in Share.State.values:
            for network in networks:
                family.add_metric([state, network], counts.get((state, network), 0))
        yield family

    def _queue(self, now: object) -> Iterator[Metric]:
        queue = selectors.posting_queue()
        depth = GaugeMetricFamily(
            "candor_posting_due_shares",
            "Due shares not yet sent: waiting (scheduled, not claimed), claimed (its send task waits "
            "for a worker), sending (a worker holds its lease)",
            labels=["stage"],
        )
        depth.add_metric(["waiting"], queue.due_waiting)
        depth.add_metric(["claimed"], queue.claimed_waiting)
        depth.add_metric(["sending"], queue.sending)
        yield depth
        yield GaugeMetricFamily(
            "candor_posting_oldest_due_seconds",
            "How long the longest-waiting due share has been due (0 when none is)",
            value=queue.oldest_due_seconds,
        )
        broker = GaugeMetricFamily(
            "candor_broker_queue_messages", "Messages waiting in the broker, by queue", labels=["queue"]
        )
        for name, count in _broker_queue_depths().items():
            broker.add_metric([name], count)
        yield broker

    def _hand_backs(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "candor_hand_backs",
            "Hand-backs (offboardings) not completed: running, revocation_pending (retrying), "
            "revocation_failed (needs an admin)",
            labels=["state"],
        )
        for state, count in selectors.hand_backs_by_state().items():
            family.add_metric([state], count)
        yield family

    def _audit(self, now: object) -> Iterator[Metric]:
        figures = selectors.audit_checkpoint_figures()
        yield GaugeMetricFamily(
            "candor_audit_checkpoint_age_seconds",
            "Seconds since the newest signed audit checkpoint (NaN: none yet)",
            value=math.nan if figures.age_seconds is None else figures.age_seconds,
        )
        yield GaugeMetricFamily(
            "candor_audit_events_not_checkpointed",
            "Audit events newer than the newest signed checkpoint",
            value=figures.events_not_checkpointed,
        )

    def _workers(self, now: object) -> Iterator[Metric]:
        current = timezone.now()
        age = GaugeMetricFamily(
            "candor_worker_heartbeat_age_seconds",
            "Seconds since each worker's main process last beat (workers seen in the last hour)",
            labels=["worker", "state"],
        )
        for beat in selectors.recent_workers(now=current):
            state = "stopped" if beat.stopped_at else "running"
            age.add_metric([beat.worker, state], (current - beat.last_seen).total_seconds())
        yield age
        yield GaugeMetricFamily(
            "candor_workers_alive",
            "Workers that beat within four heartbeat intervals and have not stopped",
            value=len(selectors.live_workers(now=current)),
        )
        beat_age = selectors.beat_round_trip_age(now=current)
        yield GaugeMetricFamily(
            "candor_beat_heartbeat_age_seconds",
            "Seconds since a worker last ran beat's scheduled heartbeat (beat, broker and a worker all work; "
            "NaN: never)",
            value=math.nan if beat_age is None else beat_age,
        )

    def _events(self) -> Iterator[Metric]:
        histograms: dict[str, dict[tuple[tuple[str, str], ...], dict[str, Any]]] = defaultdict(dict)
        counters: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(dict)
        for name, label_text, value in counters_read(tuple(EVENT_HISTOGRAMS) + tuple(EVENT_COUNTERS)):
            labels = _labels(label_text)
            for base in EVENT_HISTOGRAMS:
                if name.startswith(base + "_"):
                    suffix = name[len(base) + 1 :]
                    le = labels.pop("le", None)
                    entry = histograms[base].setdefault(tuple(sorted(labels.items())), {"buckets": {}, "sum": 0.0})
                    if suffix == "bucket" and le is not None:
                        entry["buckets"][le] = value
                    elif suffix == "sum":
                        entry["sum"] = value
            for base in EVENT_COUNTERS:
                if name == base + "_total":
                    counters[base][tuple(sorted(labels.items()))] = value
        for base, (documentation, label_names) in EVENT_HISTOGRAMS.items():
            family = HistogramMetricFamily(base, documentation, labels=list(label_names))
            for key, entry in sorted(histograms[base].items()):
                labels = dict(key)
                buckets = sorted(entry["buckets"].items(), key=lambda item: float(item[0]))
                family.add_metric([labels.get(n, "") for n in label_names], buckets=buckets, sum_value=entry["sum"])
            yield family
        for base, (documentation, label_names) in EVENT_COUNTERS.items():
            counter = CounterMetricFamily(base, documentation, labels=list(label_names))
            for key, value in sorted(counters[base].items()):
                labels = dict(key)
                counter.add_metric([labels.get(n, "") for n in label_names], value)
            yield counter


def _broker_queue_depths() -> dict[str, int]:
    """Messages waiting in each queue, asked of the broker with a short timeout; a queue
    the broker cannot count (or an unreachable broker) is left out, never an error."""
    from advocacy.celery import app

    depths: dict[str, int] = {}
    try:
        with app.connection_for_read(connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            for name in QUEUES:
                channel: Any = conn.channel()  # kombu's stubs type it without queue_declare
                # kombu and the brokers raise many kinds of error for a queue that is not there
                with contextlib.suppress(Exception):
                    depths[name] = channel.queue_declare(queue=name, passive=True).message_count
                with contextlib.suppress(Exception):  # a channel the broker already closed
                    channel.close()
    except Exception:  # broker unreachable: /healthz says so; the figure is simply absent
        return depths
    return depths


def metrics_text() -> tuple[bytes, str]:
    """The exposition (Prometheus text format) and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(CandorCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST
