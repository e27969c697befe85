"""Reads for analytics. Access checks live here; every figure leaves as a group figure
(see ``figures``). A report costs a fixed handful of queries however much data there is."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import Capability, user_can
from advocacy.analytics.figures import Breakdown, Cell, Figure, breakdown
from advocacy.analytics.models import LINK_NETWORK_CHOICES, LinkClickDaily, TrackedLink
from advocacy.drafts.models import NETWORK_CHOICES, Campaign, Draft
from advocacy.program.models import Enrollment
from advocacy.sharing.models import Share

VIEWER_CAPABILITIES = (Capability.WRITE_DRAFTS, Capability.REVIEW_DRAFTS, Capability.MANAGE_PROGRAM)
TOO_FEW = _("too few to show")
Groups = dict[str, tuple[int, set[int]]]  # key -> (count, employee ids); never leaves this module


def can_view_analytics(user: User) -> bool:
    return any(user_can(user, capability) for capability in VIEWER_CAPABILITIES)


def _viewer(user: User) -> None:
    if not can_view_analytics(user):
        raise PermissionDenied


def tracked_link_get(*, code: str) -> TrackedLink | None:
    return TrackedLink.objects.filter(code=code).only("id", "target_url").first()


# --- reports -------------------------------------------------------------------------


@dataclass(frozen=True)
class DayRow:
    day: dt.date
    sent: Figure
    scheduled: Figure
    clicks: Figure


@dataclass(frozen=True)
class Report:
    """Figures about one draft or one campaign. ``shown`` is False when those who shared
    or those taking part who did not share number fewer than the minimum (at or near
    100% or 0%, everyone's choice would be known); every figure is then withheld."""

    kind: str  # "draft" or "campaign"
    subject_id: int
    title: str
    minimum: int
    shown: bool
    people: Figure
    by_state: Breakdown
    by_network: Breakdown
    sent_per_day: Breakdown
    scheduled_per_day: Breakdown
    clicks_per_day: Breakdown
    clicks_by_network: Breakdown
    by_draft: Breakdown | None = None

    @property
    def days(self) -> list[DayRow]:
        return [
            DayRow(dt.date.fromisoformat(sent.key), sent, scheduled, clicks)
            for sent, scheduled, clicks in zip(
                self.sent_per_day.figures, self.scheduled_per_day.figures, self.clicks_per_day.figures, strict=True
            )
        ]

    @property
    def breakdowns(self) -> list[Breakdown]:
        """Every breakdown in page order: the CSV is written from exactly this list."""
        found = [
            self.by_state,
            self.by_network,
            self.sent_per_day,
            self.scheduled_per_day,
            self.clicks_per_day,
            self.clicks_by_network,
        ]
        return [*found, self.by_draft] if self.by_draft is not None else found


def _cells(groups: Groups, labels: Iterable[tuple[str, str]]) -> list[Cell]:
    return [
        Cell(key, str(label), groups.get(key, (0, set()))[0], frozenset(groups.get(key, (0, set()))[1]))
        for key, label in labels
    ]


def _add(groups: Groups, key: str, count: int, people: Iterable[int]) -> None:
    total, members = groups.get(key, (0, set()))
    groups[key] = (total + count, members | set(people))


def _day_range(days: set[dt.date]) -> list[dt.date]:
    if not days:
        return []
    first, last = min(days), max(days)
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _build(
    *,
    kind: str,
    subject_id: int,
    title: str,
    drafts: dict[int, str],
    campaign: bool,
) -> Report:
    minimum = settings.CANDOR_MIN_GROUP_SIZE
    rows = list(
        Share.objects.filter(draft_id__in=list(drafts))
        .annotate(day=TruncDate("scheduled_at", tzinfo=dt.UTC), sent_day=TruncDate("sent_at", tzinfo=dt.UTC))
        .values("draft_id", "state", "network", "employee_id", "day", "sent_day")
        .annotate(n=Count("id"))
        .order_by()
    )
    people_by_draft: dict[int, set[int]] = defaultdict(set)
    shares_by_draft: dict[int, int] = defaultdict(int)
    for row in rows:
        people_by_draft[row["draft_id"]].add(row["employee_id"])
        shares_by_draft[row["draft_id"]] += row["n"]
    anyone = bool(rows)
    participants = _participants() if anyone else frozenset()
    if campaign:
        # A campaign counts only drafts that meet the minimum on their own, so a small
        # draft's figures cannot be had as "campaign minus the other drafts".
        scope = {d for d, people in people_by_draft.items() if _safe(people, participants, minimum)}
        rows = [row for row in rows if row["draft_id"] in scope]
    else:
        scope = set(drafts)
    everyone = frozenset(row["employee_id"] for row in rows)
    shown = not anyone or _safe(everyone, participants, minimum)
    hide = not shown

    by_state: Groups = {}
    by_network: Groups = {}
    # Over time, each share is in at most one series (sent: the day it went out;
    # still scheduled: the day it is due), so no series can be subtracted from another.
    sent_per_day: Groups = {}
    scheduled_per_day: Groups = {}
    days: set[dt.date] = set()
    for row in rows:
        who = (row["employee_id"],)
        _add(by_state, row["state"], row["n"], who)
        _add(by_network, row["network"], row["n"], who)
        if row["state"] == Share.State.SENT and row["sent_day"] is not None:
            _add(sent_per_day, row["sent_day"].isoformat(), row["n"], who)
            days.add(row["sent_day"])
        elif row["state"] == Share.State.SCHEDULED:
            _add(scheduled_per_day, row["day"].isoformat(), row["n"], who)
            days.add(row["day"])

    clicks_day, clicks_network, click_days = _clicks(scope=scope) if scope and not hide else ({}, {}, set())
    days |= click_days
    # Even the span of days would say when a too-small group was active.
    day_labels = [] if hide else [(day.isoformat(), day.isoformat()) for day in _day_range(days)]
    networks_with_clicks = [(key, label) for key, label in LINK_NETWORK_CHOICES if key in clicks_network]

    def make(
        key: str, title: str, groups: Groups, labels: Iterable[tuple[str, str]], parent: Figure | None = None
    ) -> Breakdown:
        return breakdown(
            key=key,
            title=title,
            cells=_cells(groups, labels),
            minimum=minimum,
            total_label=str(_("Total")),
            hide_all=hide,
            parent=parent,
        )

    by_draft = None
    if campaign:
        figures = tuple(
            Figure(
                str(draft_id),
                name,
                shares_by_draft.get(draft_id, 0)
                if not hide and (draft_id in scope or not people_by_draft.get(draft_id))
                else None,
            )
            for draft_id, name in drafts.items()
        )
        in_scope = sum(shares_by_draft.get(d, 0) for d in scope)
        total = Figure("total", str(_("Total")), None if hide else in_scope)
        by_draft = Breakdown("by_draft", str(_("Shares per draft")), figures, total)
    states = make("state", str(_("Shares by state")), by_state, [(k, str(v)) for k, v in Share.State.choices])
    clicks_per_day = make("clicks_per_day", str(_("Clicks per day")), clicks_day, day_labels)
    return Report(
        kind=kind,
        subject_id=subject_id,
        title=title,
        minimum=minimum,
        shown=shown,
        people=Figure("people", str(_("People who shared")), None if hide else len(everyone)),
        by_state=states,
        by_network=make("network", str(_("Shares per network")), by_network, NETWORK_CHOICES),
        sent_per_day=make(
            "sent_per_day", str(_("Shares sent per day")), sent_per_day, day_labels, states.figure(Share.State.SENT)
        ),
        scheduled_per_day=make(
            "scheduled_per_day",
            str(_("Shares still scheduled, per day they are due")),
            scheduled_per_day,
            day_labels,
            states.figure(Share.State.SCHEDULED),
        ),
        clicks_per_day=clicks_per_day,
        clicks_by_network=make(
            "clicks_by_network",
            str(_("Clicks per tracked link network")),
            clicks_network,
            [(k, str(v)) for k, v in networks_with_clicks],
            clicks_per_day.total,
        ),
        by_draft=by_draft,
    )


def _participants() -> frozenset[int]:
    """Everyone taking part now: those who could have shared a post."""
    return frozenset(Enrollment.objects.filter(status=Enrollment.Status.ACTIVE).values_list("user_id", flat=True))


def _safe(sharers: Iterable[int], participants: frozenset[int], minimum: int) -> bool:
    """Those who shared and the participants who did not each number at least ``minimum``."""
    sharers = frozenset(sharers)
    return len(sharers) >= minimum and len(participants - sharers) >= minimum


def _clicks(*, scope: set[int]) -> tuple[Groups, Groups, set[dt.date]]:
    """Clicks per day and per link network, each with the employees whose posts carried
    the link. On a given day a link's clicks describe the people who had posted it by
    then, so early days (one person's post) stay hidden until the group is large enough."""
    clicks = list(
        LinkClickDaily.objects.filter(link__draft_id__in=list(scope))
        .values("day", "link_id", "link__network", "link__draft_id", "link__code")
        .annotate(n=Sum("clicks"))
        .order_by()
    )
    if not clicks:
        return {}, {}, set()
    sent = list(
        Share.objects.filter(draft_id__in=list(scope), state=Share.State.SENT)
        .values_list("draft_id", "employee_id", "sent_at", "text")
        .order_by()
    )
    links = {(row["link_id"], row["link__draft_id"], row["link__code"]) for row in clicks}
    posters: dict[int, list[tuple[dt.date, int]]] = {}
    for link_id, draft_id, code in links:
        marker = f"/l/{code}"
        posters[link_id] = [
            ((sent_at or dt.datetime.max.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).date(), employee_id)
            for share_draft, employee_id, sent_at, text in sent
            if share_draft == draft_id and marker in text
        ]
    per_day: Groups = {}
    per_network: Groups = {}
    for row in clicks:
        day, link_id = row["day"], row["link_id"]
        out_by_then = {e for posted, e in posters[link_id] if posted <= day}
        _add(per_day, day.isoformat(), row["n"], out_by_then)
        _add(per_network, row["link__network"], row["n"], out_by_then)
    return per_day, per_network, {row["day"] for row in clicks}


def draft_report(*, user: User, draft_id: int) -> Report:
    _viewer(user)
    draft = Draft.objects.filter(pk=draft_id, published_version__isnull=False).only("id", "title").first()
    if draft is None:
        raise Http404("No such published draft.")
    return _build(kind="draft", subject_id=draft.pk, title=draft.title, drafts={draft.pk: draft.title}, campaign=False)


def campaign_report(*, user: User, campaign_id: int) -> Report:
    _viewer(user)
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("No such campaign.")
    drafts = dict(
        Draft.objects.filter(campaign=campaign, published_version__isnull=False)
        .order_by("published_at", "id")
        .values_list("id", "title")
    )
    return _build(kind="campaign", subject_id=campaign.pk, title=campaign.name, drafts=drafts, campaign=True)


# --- overview ------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftLine:
    draft_id: int
    title: str
    published_at: dt.datetime | None
    retired: bool
    shares: Figure


@dataclass(frozen=True)
class CampaignLine:
    campaign_id: int
    name: str
    drafts: int
    shares: Figure


@dataclass(frozen=True)
class Overview:
    minimum: int
    drafts: list[DraftLine]
    campaigns: list[CampaignLine]


@dataclass
class _CampaignTally:
    name: str
    drafts: int = 0
    shares: int = 0  # of drafts that meet the minimum on their own
    eligible: int = 0
    any_shares: int = 0


def analytics_overview(*, user: User) -> Overview:
    """Published drafts and campaigns with their share totals (group figures only)."""
    _viewer(user)
    minimum = settings.CANDOR_MIN_GROUP_SIZE
    taking_part = Q(shares__employee__enrollment__status=Enrollment.Status.ACTIVE)
    rows = list(
        Draft.objects.filter(published_version__isnull=False)
        .select_related("campaign")
        .annotate(
            share_count=Count("shares"),
            people=Count("shares__employee", distinct=True),
            people_taking_part=Count("shares__employee", distinct=True, filter=taking_part),
        )
        .order_by("-published_at", "-id")
    )
    participants = Enrollment.objects.filter(status=Enrollment.Status.ACTIVE).count() if rows else 0
    lines = []
    tallies: dict[int, _CampaignTally] = {}
    for draft in rows:
        # As in the reports: enough who shared, and enough taking part who did not.
        eligible = draft.people >= minimum and participants - draft.people_taking_part >= minimum
        value = draft.share_count if eligible or draft.people == 0 else None
        retired = draft.state == Draft.State.RETIRED
        figure = Figure(str(draft.pk), draft.title, value)
        lines.append(DraftLine(draft.pk, draft.title, draft.published_at, retired, figure))
        if draft.campaign_id is not None and draft.campaign is not None:
            tally = tallies.setdefault(draft.campaign_id, _CampaignTally(draft.campaign.name))
            tally.drafts += 1
            tally.any_shares += draft.share_count
            if eligible:
                tally.eligible += 1
                tally.shares += draft.share_count
    campaigns = [
        CampaignLine(
            campaign_id,
            tally.name,
            tally.drafts,
            Figure(str(campaign_id), tally.name, tally.shares if tally.eligible or not tally.any_shares else None),
        )
        for campaign_id, tally in sorted(tallies.items(), key=lambda item: item[1].name.lower())
    ]
    return Overview(minimum, lines, campaigns)


# --- my impact -----------------------------------------------------------------------


@dataclass(frozen=True)
class ImpactRow:
    key: str
    label: str
    counts: list[int]
    total: int


@dataclass(frozen=True)
class MyImpact:
    """An employee's own share counts, for their eyes only. No clicks: a click cannot
    be traced to one person's post, and Candor does not try."""

    states: list[tuple[str, str]]
    rows: list[ImpactRow]
    state_totals: list[int]
    total: int


def my_impact(*, user: User) -> MyImpact:
    if not user_can(user, Capability.PARTICIPATE):
        raise PermissionDenied
    counts = {
        (row["network"], row["state"]): row["n"]
        for row in Share.objects.filter(employee=user).values("network", "state").annotate(n=Count("id")).order_by()
    }
    states = [(key, str(label)) for key, label in Share.State.choices]
    rows = []
    for network, label in NETWORK_CHOICES:
        numbers = [counts.get((network, state), 0) for state, _label in states]
        if any(numbers):
            rows.append(ImpactRow(network, str(label), numbers, sum(numbers)))
    state_totals = [sum(row.counts[i] for row in rows) for i in range(len(states))]
    # Only the states that occur: ten columns, most of them zeros, do not fit a phone.
    used = [i for i, total in enumerate(state_totals) if total]
    rows = [ImpactRow(row.key, row.label, [row.counts[i] for i in used], row.total) for row in rows]
    return MyImpact([states[i] for i in used], rows, [state_totals[i] for i in used], sum(state_totals))
