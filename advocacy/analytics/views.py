"""Analytics pages (comms and admins: group figures only), an employee's own "My
impact" page, and the tracked-link redirect."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.decorators import requires
from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import Capability
from advocacy.analytics.exports import report_csv
from advocacy.analytics.page_charts import impact_chart, overview_charts, report_charts
from advocacy.analytics.selectors import (
    Report,
    analytics_overview,
    campaign_report,
    draft_report,
    my_impact,
    tracked_link_get,
)
from advocacy.analytics.services import link_click_count

# Link-preview fetchers (Mastodon servers fetch every link they federate, chat apps
# unfurl links) would otherwise count as readers. The user agent is looked at for
# this and nothing else: it is never stored.
AUTOMATED_MARKERS = (
    "bot",
    "crawler",
    "spider",
    "preview",
    "facebookexternalhit",
    "embedly",
    "mastodon",
    "pleroma",
    "akkoma",
    "misskey",
    "cardyb",
    "whatsapp",
)


def _looks_automated(user_agent: str) -> bool:
    agent = user_agent.lower()
    return any(marker in agent for marker in AUTOMATED_MARKERS)


@require_safe
def follow(request: HttpRequest, code: str) -> HttpResponse:
    """Redirect to the draft's link, counting one click for today. Nothing about the
    person is read or kept: no IP address, no user agent, no cookie, no session."""
    link = tracked_link_get(code=code)
    if link is None:
        return render(request, "analytics/link_not_found.html", {"code": code}, status=404)
    if request.method == "GET" and not _looks_automated(request.headers.get("User-Agent", "")):
        link_click_count(link_id=link.pk)
    response = HttpResponseRedirect(link.target_url)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    overview = analytics_overview(user=request.user)
    return render(request, "analytics/overview.html", {"overview": overview, "charts": overview_charts(overview)})


def _report_page(request: AuthenticatedHttpRequest, report: Report, csv_name: str) -> HttpResponse:
    return render(
        request, "analytics/report.html", {"report": report, "charts": report_charts(report), "csv_name": csv_name}
    )


def _csv(report: Report, filename: str) -> HttpResponse:
    response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def draft_page(request: AuthenticatedHttpRequest, draft_id: int) -> HttpResponse:
    return _report_page(request, draft_report(user=request.user, draft_id=draft_id), "analytics:draft_csv")


@login_required
def draft_csv(request: AuthenticatedHttpRequest, draft_id: int) -> HttpResponse:
    return _csv(draft_report(user=request.user, draft_id=draft_id), f"candor-draft-{draft_id}.csv")


@login_required
def campaign_page(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponse:
    return _report_page(request, campaign_report(user=request.user, campaign_id=campaign_id), "analytics:campaign_csv")


@login_required
def campaign_csv(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponse:
    return _csv(campaign_report(user=request.user, campaign_id=campaign_id), f"candor-campaign-{campaign_id}.csv")


@requires(Capability.PARTICIPATE)
def my_impact_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    impact = my_impact(user=request.user)
    return render(request, "analytics/my_impact.html", {"impact": impact, "chart": impact_chart(impact)})
