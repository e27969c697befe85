"""Server-side SVG charts: the geometry is worked out here, the markup is in
``templates/analytics/_line_chart.html`` and ``_bar_chart.html``. No JavaScript, no
CDN. Every chart has a title and a description for screen readers, and the page
always shows the same numbers in a table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from advocacy.analytics.figures import Breakdown
from advocacy.analytics.selectors import Report

WIDTH, HEIGHT = 720, 260
BAR_WIDTH = 400  # the bar chart sits in a half-width card: a narrower canvas keeps its text legible
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 16, 40
# Colour plus line style, so the series differ without relying on colour alone.
STYLES = [("#2f5bd3", ""), ("#1e7a46", "6 4"), ("#8a5a00", "2 3")]
MAX_X_LABELS = 6
MAX_DOTS = 62


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str
    anchor: str = "middle"  # SVG text-anchor: the first and last x labels stay inside the chart


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value: int


@dataclass(frozen=True)
class Line:
    label: str
    color: str
    dash: str
    segments: tuple[str, ...]  # SVG polyline "points" strings, split where values are withheld
    points: tuple[Point, ...]
    dots: bool


@dataclass(frozen=True)
class ChartFrame:
    """What every chart has: its accessible title and description, the drawing area
    with its margins, and the value axis."""

    key: str
    title: str
    desc: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    y_ticks: tuple[Tick, ...]


@dataclass(frozen=True)
class LineChart(ChartFrame):
    x_ticks: tuple[Tick, ...]
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | None
    x: float
    y: float
    width: float
    height: float

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def label_y(self) -> float:
        return round(self.y - 6, 1)


@dataclass(frozen=True)
class BarChart(ChartFrame):
    bars: tuple[Bar, ...]


def nice_scale(peak: int) -> tuple[int, int]:
    """(top of the axis, step between ticks): at most five steps of 1, 2 or 5 × 10ⁿ."""
    if peak <= 0:
        return 1, 1
    magnitude = 10 ** max(0, math.floor(math.log10(peak)) - 1)
    for base in (1, 2, 5, 10, 20, 50, 100):
        step = base * magnitude
        if peak / step <= 5:
            return step * math.ceil(peak / step), step
    return peak, peak  # not reached


def _y_axis(peak: int) -> tuple[int, tuple[Tick, ...]]:
    top, step = nice_scale(peak)
    plot = HEIGHT - TOP - BOTTOM
    ticks = tuple(Tick(round(HEIGHT - BOTTOM - plot * value / top, 1), str(value)) for value in range(0, top + 1, step))
    return top, ticks


def line_chart(
    *, key: str, title: str, desc: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int | None]]]
) -> LineChart:
    peak = max((v for _label, values in series for v in values if v is not None), default=0)
    top, y_ticks = _y_axis(peak)
    width, height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = len(labels)

    def x_at(i: int) -> float:
        return round(LEFT + (width / 2 if count == 1 else width * i / (count - 1)), 1)

    def y_at(v: int) -> float:
        return round(HEIGHT - BOTTOM - height * v / top, 1)

    every = max(1, math.ceil(count / MAX_X_LABELS))
    shown = sorted({*range(0, count, every), count - 1}) if count else []
    if len(shown) > 2 and shown[-1] - shown[-2] < every:
        shown.pop(-2)  # keep the last day's label, drop the one crowding it
    x_ticks = tuple(
        Tick(
            x_at(i), labels[i], "middle" if count == 1 else "start" if i == 0 else "end" if i == count - 1 else "middle"
        )
        for i in shown
    )
    lines = []
    for index, (label, values) in enumerate(series):
        color, dash = STYLES[index % len(STYLES)]
        segments: list[list[str]] = [[]]
        points = []
        for i, value in enumerate(values):
            if value is None:
                if segments[-1]:
                    segments.append([])
                continue
            point = Point(x_at(i), y_at(value), labels[i], value)
            points.append(point)
            segments[-1].append(f"{point.x},{point.y}")
        lines.append(
            Line(
                label,
                color,
                dash,
                tuple(" ".join(s) for s in segments if len(s) > 1),
                tuple(points),
                # Dots for lone points (no line to draw) and for short series.
                dots=count <= MAX_DOTS or any(len(s) == 1 for s in segments),
            )
        )
    return LineChart(
        key, title, desc, WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM, y_ticks, x_ticks, tuple(lines)
    )


def bar_chart(*, key: str, title: str, desc: str, bars: Sequence[tuple[str, int | None]]) -> BarChart:
    peak = max((v for _label, v in bars if v is not None), default=0)
    top, y_ticks = _y_axis(peak)
    width, height = BAR_WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = width / max(1, len(bars))
    bar_width = min(80.0, slot * 0.6)
    shapes = []
    for i, (label, value) in enumerate(bars):
        h = round(height * (value or 0) / top, 1)
        x = round(LEFT + slot * i + (slot - bar_width) / 2, 1)
        shapes.append(Bar(label, value, x, round(HEIGHT - BOTTOM - h, 1), round(bar_width, 1), h))
    return BarChart(
        key, title, desc, BAR_WIDTH, HEIGHT, LEFT, BAR_WIDTH - RIGHT, TOP, HEIGHT - BOTTOM, y_ticks, tuple(shapes)
    )


def _summary(breakdown: Breakdown) -> str:
    shown = [f for f in breakdown.figures if f.value is not None]
    parts = []
    if shown:
        best = max(shown, key=lambda f: f.value or 0)
        parts.append(_("Highest: %(value)s on %(label)s.") % {"value": best.value, "label": best.label})
    if breakdown.any_hidden:
        parts.append(_("Some values involve too few people and are left out."))
    return " ".join(parts)


def _drawable(*series: Breakdown) -> bool:
    return any(f.value for b in series for f in b.figures)


def report_charts(report: Report) -> dict[str, LineChart | BarChart]:
    """The charts of a report; none when its figures are withheld or there is nothing
    to draw (a chart of nothing but gaps says nothing the table does not)."""
    if not report.shown:
        return {}
    charts: dict[str, LineChart | BarChart] = {}
    sent, scheduled, clicks = report.sent_per_day, report.scheduled_per_day, report.clicks_per_day
    labels = [f.label for f in sent.figures]
    span = {"first": labels[0], "last": labels[-1]} if labels else {}
    if labels and _drawable(sent, scheduled):
        charts["shares"] = line_chart(
            key="chart-shares",
            title=_("Shares per day"),
            desc=_("Line chart of shares sent per day and shares still scheduled, %(first)s to %(last)s.") % span
            + " "
            + _summary(sent),
            labels=labels,
            series=[
                (_("Sent"), [f.value for f in sent.figures]),
                (_("Still scheduled"), [f.value for f in scheduled.figures]),
            ],
        )
    if labels and clicks.total.value and _drawable(clicks):
        charts["clicks"] = line_chart(
            key="chart-clicks",
            title=_("Clicks per day"),
            desc=_("Line chart of clicks on Candor's tracked links per day, %(first)s to %(last)s.") % span
            + " "
            + _summary(clicks),
            labels=labels,
            series=[(_("Clicks"), [f.value for f in clicks.figures])],
        )
    networks = report.by_network
    if networks.total.value and _drawable(networks):
        charts["networks"] = bar_chart(
            key="chart-networks",
            title=_("Shares per network"),
            desc=_("Bar chart of shares per network.") + " " + _summary(networks),
            bars=[(f.label, f.value) for f in networks.figures],
        )
    return charts
