"""The CSV of a report: written from the very ``Report`` the page renders, so the
two can never disagree."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from advocacy.analytics.figures import Figure
from advocacy.analytics.selectors import TOO_FEW, Report

HEADER = ("section", "key", "label", "value")


def _safe(text: str) -> str:
    # A title starting with "=" must not become a spreadsheet formula.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _value(figure: Figure) -> str:
    return str(figure.value) if figure.value is not None else str(TOO_FEW)


def report_csv_rows(report: Report) -> list[tuple[str, str, str, str]]:
    rows = [
        ("summary", "kind", _("Kind"), report.kind),
        ("summary", "title", _("Title"), _safe(report.title)),
        ("summary", "minimum_group_size", _("Minimum group size"), str(report.minimum)),
        ("summary", report.people.key, report.people.label, _value(report.people)),
    ]
    for breakdown in report.breakdowns:
        rows.extend((breakdown.key, f.key, _safe(f.label), _value(f)) for f in breakdown.figures)
        rows.append((breakdown.key, breakdown.total.key, breakdown.total.label, _value(breakdown.total)))
    return rows


def report_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(report_csv_rows(report))
    return buffer.getvalue()
