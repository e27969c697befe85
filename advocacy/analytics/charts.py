"""Server-side SVG charts: the geometry is worked out here, the markup is in
``templates/analytics/_line_chart.html`` and ``_hbar_chart.html``, and which charts
each page draws is in ``page_charts``. No JavaScript, no CDN. Every chart has a title
and a description for screen readers, and the page always shows the same numbers in
a table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 260
NARROW_WIDTH = 360  # a phone's card: drawn at about this width, the text stays at reading size
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 16, 40
HBAR_WIDTH, HBAR_LEFT, HBAR_ROOM = 360, 2, 120  # room after the longest bar for its value
HBAR_ROW, HBAR_THICKNESS = 42, 16
# Colour plus line style, so the series differ without relying on colour alone.
STYLES = [("#2f5bd3", ""), ("#1e7a46", "6 4"), ("#8a5a00", "2 3")]
MAX_X_LABELS = 6
NARROW_X_LABELS = 2  # first and last day: ISO dates at reading size fill a phone
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
class ChartBox:
    """What every chart has: its key, its accessible title and description, its size
    and the room at its left for labels."""

    key: str
    title: str
    desc: str
    width: int
    height: int
    left: int


@dataclass(frozen=True)
class ChartFrame(ChartBox):
    """A chart with axes: the drawing area's other margins and the value axis."""

    right: int
    top: int
    bottom: int
    y_ticks: tuple[Tick, ...]


@dataclass(frozen=True)
class LineChart(ChartFrame):
    x_ticks: tuple[Tick, ...]
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class HBar:
    """One row of a horizontal bar chart: its label above, the bar below, the value
    (or "too few to show", drawn by the template) after the bar."""

    label: str
    value: int | None
    text: str  # the value as shown: "12", "50%"
    label_y: float
    y: float
    width: float

    @property
    def value_x(self) -> float:
        return round(HBAR_LEFT + self.width + 6, 1)

    @property
    def text_y(self) -> float:
        return round(self.y + HBAR_THICKNESS - 2, 1)


@dataclass(frozen=True)
class HBarChart(ChartBox):
    """Horizontal bars, one per row, labels written out in full: categories with long
    names (states, posts, teams) stay legible on a phone, where the chart is drawn at
    about its own width."""

    bars: tuple[HBar, ...]


@dataclass(frozen=True)
class ResponsiveLineChart:
    """The same line chart twice: wide for a desktop, narrow (fewer day labels, text at
    reading size) for a phone; CSS shows one of them, so a screen reader meets one."""

    wide: LineChart
    narrow: LineChart

    @property
    def lines(self) -> tuple[Line, ...]:
        return self.wide.lines


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
    *,
    key: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | None]]],
    canvas: int = WIDTH,
    max_x_labels: int = MAX_X_LABELS,
) -> LineChart:
    peak = max((v for _label, values in series for v in values if v is not None), default=0)
    top, y_ticks = _y_axis(peak)
    width, height = canvas - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = len(labels)

    def x_at(i: int) -> float:
        return round(LEFT + (width / 2 if count == 1 else width * i / (count - 1)), 1)

    def y_at(v: int) -> float:
        return round(HEIGHT - BOTTOM - height * v / top, 1)

    every = max(1, math.ceil(count / max_x_labels))
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
        key, title, desc, canvas, HEIGHT, LEFT, canvas - RIGHT, TOP, HEIGHT - BOTTOM, y_ticks, x_ticks, tuple(lines)
    )


def responsive_line_chart(
    *, key: str, title: str, desc: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int | None]]]
) -> ResponsiveLineChart:
    return ResponsiveLineChart(
        wide=line_chart(key=key, title=title, desc=desc, labels=labels, series=series),
        narrow=line_chart(
            key=f"{key}-narrow",
            title=title,
            desc=desc,
            labels=labels,
            series=series,
            canvas=NARROW_WIDTH,
            max_x_labels=NARROW_X_LABELS,
        ),
    )


def hbar_chart(*, key: str, title: str, desc: str, bars: Sequence[tuple[str, int | None]], unit: str = "") -> HBarChart:
    """Bars for (label, value); a value of None is withheld (too few people) and drawn
    as words, never as a bar. ``unit`` follows each value ("%")."""
    peak = max((v for _label, v in bars if v is not None), default=0) or 1
    room = HBAR_WIDTH - HBAR_LEFT - HBAR_ROOM
    shapes = []
    for i, (label, value) in enumerate(bars):
        top = TOP + i * HBAR_ROW
        width = round(room * (value or 0) / peak, 1)
        text = "" if value is None else f"{value}{unit}"
        shapes.append(HBar(label, value, text, top + 12, top + 18, max(width, 1.0) if value else 0.0))
    return HBarChart(key, title, desc, HBAR_WIDTH, TOP + len(bars) * HBAR_ROW, HBAR_LEFT, tuple(shapes))
