"""Which charts each analytics page draws, from the figures it already shows: group
figures only, withheld ones drawn as "too few to show" (never as a bar or a point),
bars in the page's own order (by date, by name), never sorted into a ranking."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from advocacy.analytics.charts import HBarChart, ResponsiveLineChart, hbar_chart, responsive_line_chart
from advocacy.analytics.figures import Breakdown, Figure
from advocacy.analytics.selectors import MyImpact, Overview, Report
from advocacy.program.selectors import GroupFigure

Chart = HBarChart | ResponsiveLineChart


def _summary(breakdown: Breakdown) -> str:
    shown = [f for f in breakdown.figures if f.value is not None]
    parts = []
    if shown:
        best = max(shown, key=lambda f: f.value or 0)
        parts.append(_("Highest: %(value)s on %(label)s.") % {"value": best.value, "label": best.label})
    if breakdown.any_hidden:
        parts.append(_("Some values involve too few people and are left out."))
    return " ".join(parts)


def _values(bars: Sequence[tuple[str, int | None]], unit: str = "") -> str:
    """Every bar's value in words, for the chart's description."""
    return "; ".join(f"{label}: {_('too few to show') if value is None else f'{value}{unit}'}" for label, value in bars)


def _drawable(*series: Breakdown) -> bool:
    return any(f.value for b in series for f in b.figures)


def _figure_bars(figures: Sequence[Figure], *, skip_zeros: bool = False) -> list[tuple[str, int | None]]:
    return [(f.label, f.value) for f in figures if not (skip_zeros and f.value == 0)]


def _bar_chart(*, key: str, title: str, kind: str, bars: list[tuple[str, int | None]], unit: str = "") -> HBarChart:
    return hbar_chart(key=key, title=title, desc=f"{kind} {_values(bars, unit)}.", bars=bars, unit=unit)


def report_charts(report: Report) -> dict[str, Chart]:
    """The charts of a report; none when its figures are withheld or there is nothing
    to draw (a chart of nothing but gaps says nothing the table does not)."""
    if not report.shown:
        return {}
    charts: dict[str, Chart] = {}
    sent, scheduled, clicks = report.sent_per_day, report.scheduled_per_day, report.clicks_per_day
    labels = [f.label for f in sent.figures]
    span = {"first": labels[0], "last": labels[-1]} if labels else {}
    if labels and _drawable(sent, scheduled):
        charts["shares"] = responsive_line_chart(
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
        charts["clicks"] = responsive_line_chart(
            key="chart-clicks",
            title=_("Clicks per day"),
            desc=_("Line chart of clicks on Candor's tracked links per day, %(first)s to %(last)s.") % span
            + " "
            + _summary(clicks),
            labels=labels,
            series=[(_("Clicks"), [f.value for f in clicks.figures])],
        )
    bar_chart = _("Bar chart.")
    for key, breakdown in (("states", report.by_state), ("networks", report.by_network)):
        if breakdown.total.value and _drawable(breakdown):
            bars = _figure_bars(breakdown.figures, skip_zeros=True)
            charts[key] = _bar_chart(key=f"chart-{key}", title=breakdown.title, kind=bar_chart, bars=bars)
    if report.by_draft is not None and _drawable(report.by_draft):
        bars = _figure_bars(report.by_draft.figures)
        charts["drafts"] = _bar_chart(key="chart-drafts", title=report.by_draft.title, kind=bar_chart, bars=bars)
    return charts


def overview_charts(overview: Overview) -> dict[str, HBarChart]:
    """Shares per campaign and per published post, in the tables' order."""
    charts = {}
    campaigns = [(line.name, line.shares.value) for line in overview.campaigns]
    if any(value for _name, value in campaigns):
        charts["campaigns"] = _bar_chart(
            key="chart-campaigns", title=_("Shares per campaign"), kind=_("Bar chart."), bars=campaigns
        )
    posts = [(line.title, line.shares.value) for line in overview.drafts]
    if any(value for _title, value in posts):
        charts["drafts"] = _bar_chart(
            key="chart-drafts", title=_("Shares per published post"), kind=_("Bar chart."), bars=posts
        )
    return charts


def participation_chart(figures: Sequence[GroupFigure]) -> HBarChart | None:
    """The share of each group taking part (percent); groups too small to show say so."""
    bars = [(str(_("Whole organisation")) if f.group == "all" else f.group, f.percent) for f in figures]
    if not any(value is not None for _group, value in bars):
        return None
    return _bar_chart(
        key="chart-participation", title=_("Taking part, per group"), kind=_("Bar chart."), bars=bars, unit="%"
    )


def impact_chart(impact: MyImpact) -> HBarChart | None:
    """Someone's own shares by state, for their eyes only (like the page)."""
    bars: list[tuple[str, int | None]] = [
        (label, total) for (_key, label), total in zip(impact.states, impact.state_totals, strict=True)
    ]
    if not bars:
        return None
    return _bar_chart(key="chart-mine", title=_("My shares by state"), kind=_("Bar chart."), bars=bars)
