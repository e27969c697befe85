"""Counters and histograms for what happens inside workers, kept in the database.

Why not prometheus-client's in-process metrics: a worker is several prefork processes,
usually on several hosts, restarted at will, and /metrics is served by the web. Counts
held in process memory would be split across processes (multiprocess mode joins them
only on one host, through a shared directory) and lost on every restart. One row per
counter (``MetricCounter``), added to with ``INSERT … ON CONFLICT DO UPDATE``, is what
every process can write and one scrape can read; a killed worker loses only the batch
it had not yet recorded. ``advocacy.ops.metrics`` turns the rows into Prometheus families.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from advocacy.core.models import MetricCounter

# How long a network call took (seconds) and how late a share went out after it was due.
CALL_BUCKETS: tuple[float, ...] = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
LATENESS_BUCKETS: tuple[float, ...] = (1, 5, 15, 30, 60, 120, 300, 900, 3600)


def label_string(labels: Mapping[str, str]) -> str:
    """Prometheus text format for a label set, sorted: the row's key."""

    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')

    return ",".join(f'{key}="{escape(str(value))}"' for key, value in sorted(labels.items()))


def format_le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(float(bound))


@dataclass
class Tally:
    """Increments gathered in memory (one batch of sends), written with :func:`tally_record`."""

    increments: dict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))

    def count(self, name: str, labels: Mapping[str, str], amount: float = 1) -> None:
        self.increments[(name, label_string(labels))] += amount

    def observe(self, name: str, labels: Mapping[str, str], value: float, buckets: Sequence[float]) -> None:
        """A histogram observation: cumulative ``_bucket`` rows, ``_count`` and ``_sum``."""
        for bound in (*buckets, math.inf):
            if value <= bound:
                self.count(f"{name}_bucket", {**labels, "le": format_le(bound)})
        self.count(f"{name}_count", labels)
        self.count(f"{name}_sum", labels, max(value, 0.0))

    def __bool__(self) -> bool:
        return bool(self.increments)


def tally_record(*, tally: Tally) -> None:
    """Add ``tally`` to the counters in one statement. Safe from any number of processes
    at once: rows are written in a fixed order, so two writers never deadlock."""
    rows = sorted(tally.increments.items())
    if not rows:
        return
    table = connection.ops.quote_name(MetricCounter._meta.db_table)
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    sql = (
        f"INSERT INTO {table} (name, labels, value) VALUES {values} "  # noqa: S608  # nosec B608
        "ON CONFLICT (name, labels) DO UPDATE SET value = "
        f"{table}.value + excluded.value"
    )
    params: list[Any] = []
    for (name, labels), amount in rows:
        params += [name, labels, amount]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def counters_read(names: Iterable[str] | None = None) -> list[tuple[str, str, float]]:
    """Every counter row (name, labels, value), optionally only those whose name starts
    with one of ``names``."""
    rows = MetricCounter.objects.order_by("name", "labels").values_list("name", "labels", "value")
    wanted = tuple(names or ())
    return [row for row in rows if not wanted or row[0].startswith(wanted)]
