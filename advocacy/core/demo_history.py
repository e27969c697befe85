"""A few weeks of history for the demo organisation: 48 people in four teams, half of
them taking part, four published posts with shares in every state and clicks on
their links, so that every analytics figure and chart has groups of at least
``CANDOR_MIN_GROUP_SIZE`` (5) people to show.

Everything is written through the services (people, teams, consent, accounts,
drafts with four eyes, shares, cancelling, the missed-shares sweep), with the clock
set back to the day each step happens, so the audit log tells the same story in
order and its chain stays valid. Two steps have no service because in real life a
worker does them after talking to a network: the seed marks shares *sent* or
*failed* itself (the same state change and audit event the posting engine writes),
and it adds clicks with the click counter the link redirect uses.

Seeded people have no password (only the four demo logins sign in), their accounts
point at ``demo.candor.test`` (a name that never resolves: nothing reaches a real
network), and the shares still scheduled are due in the next days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock

from django.utils import timezone

from accounts.models import Role, User
from accounts.services import user_create, user_profile_update
from accounts.teams import user_team_set
from advocacy.analytics.models import ALL_NETWORKS
from advocacy.analytics.services import link_click_count, tracked_link_ensure
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import AuditEntry, audit_record_many
from advocacy.drafts import services as drafts
from advocacy.drafts.models import Draft
from advocacy.drafts.selectors import published_draft_get
from advocacy.ledger.models import ConnectedAccount
from advocacy.ledger.services import account_connect
from advocacy.networks.base import ConnectedAccount as Identity
from advocacy.program.models import PolicyVersion
from advocacy.program.services import enrollment_opt_in, programme_settings_set
from advocacy.sharing.engine import share_missed_sweep
from advocacy.sharing.models import Share
from advocacy.sharing.offered import approved_text
from advocacy.sharing.services import IN_DOUBT, ShareTarget, share_cancel, shares_create

TEAMS = ("Warehouse", "Engineering", "Customer care", "Communications")
TAKING_PART_PER_TEAM = 6  # and six who do not (one of them a demo login): both sides >= 5
NOT_TAKING_PART_PER_TEAM = 5  # seeded; with the team's demo login, six
DEMO_DOMAIN = "demo.candor.test"  # .test never resolves: no post reaches a real network
HISTORY_DAYS = 28

FIRST_NAMES = (
    "Giulia", "Marco", "Sari", "Budi", "Lena", "Felix", "Amelia", "Noah", "Chiara", "Luca", "Dewi", "Agus",
    "Hanna", "Jonas", "Olivia", "Ethan", "Sofia", "Matteo", "Putri", "Rizky", "Mia", "Paul", "Grace", "Liam",
    "Elena", "Davide", "Ayu", "Eko", "Clara", "Max", "Isla", "Oscar", "Alessia", "Pietro", "Wulan", "Bayu",
    "Emma", "Lukas", "Ruby", "Leon", "Marta", "Enzo", "Nadia", "Tomas",
)  # fmt: skip
FAMILY_NAMES = ("Rossi", "Santoso", "Schmidt", "Brown", "Bianchi", "Wijaya", "Fischer", "Taylor", "Ferrari", "Lestari")
LOCALES = (("it", "Europe/Rome"), ("id", "Asia/Jakarta"), ("de", "Europe/Berlin"), ("en", "Europe/London"))


@contextmanager
def demo_clock(at: dt.datetime) -> Iterator[None]:
    """Run the services as if it were ``at``: they (and auto_now fields) read
    ``django.utils.timezone.now``, so the history lands on the days it describes."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def demo_team_assign(*, admin: User, user: User, team: str) -> None:
    """The one place the demo puts someone in a team (made on first use)."""
    user_team_set(actor=admin, user_id=user.pk, team_name=team)


@dataclass(frozen=True)
class Wave:
    """Some participants sharing a post on one day: ``people`` index the participants,
    ``outcome`` is what became of the shares (a Share state)."""

    day: int  # days before today (negative) or after it (positive)
    hour: int
    people: range
    networks: tuple[str, ...]
    outcome: str


@dataclass(frozen=True)
class PostPlan:
    title: str
    campaign: str
    body: str
    link: str
    published_day: int
    waves: tuple[Wave, ...]


S = Share.State
# Each wave is at least five people, each post and each campaign at most 19 of the 24
# taking part, and people 0-11 have Mastodon, 0-7 LinkedIn, 0-5 X: every cell of every
# report shows. Every state a share can end in or wait in appears; "sending" lasts a
# second and "on hold" needs a changed disclosure, so those two stay at zero.
POSTS = (
    PostPlan(
        "Robots sort 40% more parcels",
        "Launch week",
        "Our new sorting robots handle 40% more parcels per hour. The team that built them explains how.",
        "https://example.com/robots",
        -24,
        (
            Wave(-24, 9, range(0, 6), ("bluesky", "mastodon"), S.SENT),
            Wave(-23, 10, range(6, 12), ("bluesky", "mastodon"), S.SENT),
            Wave(-23, 15, range(12, 17), ("bluesky",), S.FAILED),
        ),
    ),
    PostPlan(
        "Our Turin lab opens",
        "Launch week",
        "Our Turin lab opens its doors today: 60 engineers working on safer warehouse robots.",
        "https://example.com/turin",
        -17,
        (
            Wave(-17, 9, range(0, 8), ("bluesky", "linkedin"), S.SENT),
            Wave(-16, 11, range(8, 14), ("bluesky",), S.SENT),
            Wave(-16, 14, range(14, 19), ("bluesky",), S.MISSED),
        ),
    ),
    PostPlan(
        "We are hiring robotics engineers",
        "Hiring",
        "We are hiring robotics engineers in Turin, Berlin and Jakarta. Ask me what it is like to work here.",
        "https://example.com/jobs",
        -12,
        (
            Wave(-12, 9, range(0, 6), ("bluesky", "x"), S.SENT),
            Wave(-11, 10, range(6, 12), ("bluesky", "mastodon"), S.SENT),
            Wave(-11, 16, range(12, 17), ("bluesky",), S.CANCELLED),
        ),
    ),
    PostPlan(
        "Warehouse safety, one year on",
        "Safety",
        "One year without a lost-time injury in our warehouses. Here is what changed on the floor.",
        "https://example.com/safety",
        -6,
        (
            Wave(-6, 9, range(0, 6), ("bluesky",), S.SENT),
            Wave(-6, 9, range(0, 6), ("mastodon",), S.UNKNOWN),
            Wave(2, 10, range(13, 18), ("bluesky",), S.REVIEW),
            Wave(1, 9, range(6, 12), ("bluesky",), S.SCHEDULED),
        ),
    ),
)
CLICKS_FIRST_DAY = 42  # clicks on a post's link the day it first goes out, fewer each day after


def _day(offset: int, hour: int = 9) -> dt.datetime:
    """``hour`` o'clock UTC, ``offset`` days from today. The real today, not the demo
    clock's: this is called while the clock is set back."""
    today = dt.datetime.now(tz=dt.UTC).replace(minute=0, second=0, microsecond=0)
    return today.replace(hour=hour) + dt.timedelta(days=offset)


def history_start() -> dt.datetime:
    """When the demo organisation's story begins: the people and the policy date from then."""
    return _day(-HISTORY_DAYS, 8)


def _networks_of(index: int) -> tuple[str, ...]:
    networks = ["bluesky"]
    networks += ["mastodon"] if index < 12 else []
    networks += ["linkedin"] if index < 8 else []
    networks += ["x"] if index < 6 else []
    return tuple(networks)


def _people(*, admin: User, start: dt.datetime) -> list[User]:
    """The seeded colleagues, team by team; returns those who will take part,
    interleaved across teams so that no wave of sharers is one team."""
    per_team = TAKING_PART_PER_TEAM + NOT_TAKING_PART_PER_TEAM
    by_team: list[list[User]] = []
    for t, team in enumerate(TEAMS):
        members = []
        for n in range(per_team):
            i = t * per_team + n
            first, family = FIRST_NAMES[i], FAMILY_NAMES[i % len(FAMILY_NAMES)]
            language, time_zone = LOCALES[i % len(LOCALES)]
            with demo_clock(start + dt.timedelta(minutes=i)):
                user = user_create(
                    actor=admin,
                    email=f"{first}.{family}@{DEMO_DOMAIN}".lower(),
                    role=Role.EMPLOYEE,
                    display_name=f"{first} {family}",
                )
                user_profile_update(
                    actor=admin, user_id=user.pk, changes={"language": language, "time_zone": time_zone}
                )
                demo_team_assign(admin=admin, user=user, team=team)
            members.append(user)
        by_team.append(members[:TAKING_PART_PER_TEAM])
    return [by_team[t][n] for n in range(TAKING_PART_PER_TEAM) for t in range(len(TEAMS))]


def _join_and_connect(*, participants: Sequence[User], policy: PolicyVersion, start: dt.datetime) -> None:
    for index, user in enumerate(participants):
        with demo_clock(start + dt.timedelta(hours=3 * index)):
            enrollment_opt_in(user=user, policy_version_id=policy.pk, accepted=True)
            slug = user.email.split("@")[0].replace(".", "-")
            for network in _networks_of(index):
                handle = f"{slug}@{DEMO_DOMAIN}" if network == "mastodon" else f"{slug}.{DEMO_DOMAIN}"
                account_connect(
                    actor=user,
                    network=network,
                    identity=Identity(
                        handle=handle,
                        external_id=f"did:plc:{slug}" if network == "bluesky" else f"{network}-{slug}",
                        service_url=f"https://{network}.{DEMO_DOMAIN}",
                        credentials={"app_password": "demo-only-not-a-secret"},
                    ),
                )


def _publish(*, plan: PostPlan, author: User, reviewer: User) -> Draft:
    """Written by the author, approved by the reviewer (who wrote none of it), published."""
    at = _day(plan.published_day, 8)
    with demo_clock(at - dt.timedelta(hours=20)):
        content = drafts.DraftContent(body=plan.body, link=plan.link, networks=["bluesky", "mastodon", "linkedin", "x"])
        draft = drafts.draft_create(actor=author, title=plan.title, content=content, campaign=plan.campaign)
        drafts.draft_submit(actor=author, draft_id=draft.pk)
    with demo_clock(at - dt.timedelta(hours=2)):
        drafts.draft_approve(actor=reviewer, draft_id=draft.pk, comment="Clear, and the disclosure comes first.")
    with demo_clock(at):
        drafts.draft_publish(actor=author, draft_id=draft.pk)
    return draft


# What a worker records after talking to the network: the audit action, and the fields
# it sets (``sent_at`` is the demo clock's now).
OUTCOMES: dict[str, tuple[AuditAction, dict[str, object]]] = {
    S.SENT: (AuditAction.SHARE_SENT, {}),
    S.FAILED: (AuditAction.SHARE_FAILED, {"last_error_code": "demo", "last_error": "The network refused the post."}),
    S.UNKNOWN: (
        AuditAction.SHARE_UNKNOWN,
        {
            "last_error_code": IN_DOUBT,
            "last_error": "Candor cannot tell whether this post reached the network. Check your profile; "
            "it was not re-posted to avoid a duplicate.",
        },
    ),
}


def _settle(shares: Sequence[Share], *, to: str) -> None:
    """A worker's outcome for ``shares`` (see the module docstring), with its audit events."""
    now = timezone.now()
    action, fields = OUTCOMES[to]
    if to == S.SENT:
        fields = {"sent_at": now}
    ids = [share.pk for share in shares]
    Share.objects.filter(pk__in=ids, state=S.SCHEDULED).update(state=to, attempts=1, updated_at=now, **fields)
    audit_record_many(
        entries=[
            AuditEntry(
                actor=None,
                action=action,
                target=share,
                subject=share.employee,
                old={"state": S.SCHEDULED},
                new={"state": to, "attempts": 1, "tool": "candor", "demo": True},
            )
            for share in shares
        ]
    )


def _share_wave(*, draft: Draft, wave: Wave, participants: Sequence[User]) -> None:
    when = _day(wave.day, wave.hour)
    # Shares due later are made yesterday afternoon (edited ones while the programme
    # asks for reviews, see ``history_seed``); the others at the time they go out.
    made = _day(-1, 17 if wave.outcome == S.REVIEW else 15) if wave.day > 0 else when
    if wave.outcome == S.CANCELLED:
        when = when + dt.timedelta(days=1)  # scheduled for the next day, cancelled before it
    for index in wave.people:
        user = participants[index]
        accounts = ConnectedAccount.objects.filter(owner=user, network__in=wave.networks).order_by("network")
        with demo_clock(made + dt.timedelta(minutes=3 * index)):
            text = approved_text(draft=published_draft_get(user=user, draft_id=draft.pk))
            if wave.outcome == S.REVIEW:
                text += "\n\nProud of this team!"  # edited, so it waits for a second person
            shares = shares_create(
                employee=user,
                draft_id=draft.pk,
                targets=[ShareTarget(account_id=account.pk, text=text) for account in accounts],
                scheduled_at=when if when > made else None,
            )
            if wave.outcome in OUTCOMES:
                _settle(shares, to=wave.outcome)
            elif wave.outcome == S.CANCELLED:
                for share in shares:
                    share_cancel(employee=user, share_id=share.pk)
    if wave.outcome == S.MISSED:
        # The worker was down that afternoon: the sweep finds them late and says so.
        with demo_clock(when + dt.timedelta(hours=3)):
            share_missed_sweep(now=timezone.now())


def _clicks(*, draft: Draft, plan: PostPlan) -> None:
    """Clicks on the post's tracked link, from the day it first went out to yesterday."""
    link = tracked_link_ensure(draft=draft, network=ALL_NETWORKS)
    if link is None:
        return
    first = min(wave.day for wave in plan.waves if wave.outcome == S.SENT)
    for offset in range(first, 0):
        clicks = CLICKS_FIRST_DAY * 3 // (3 + (offset - first) * 2)
        day = _day(offset).date()
        for _ in range(clicks):
            link_click_count(link_id=link.pk, day=day)


def history_seed(*, admin: User, author: User, reviewer: User, policy: PolicyVersion) -> tuple[int, int]:
    """Seed the history once (found by its first post's title); the caller holds the
    transaction. Returns how many people and posts it created (none the second time)."""
    if Draft.objects.filter(title=POSTS[0].title).exists():
        return 0, 0
    start = history_start()
    participants = _people(admin=admin, start=start)
    _join_and_connect(participants=participants, policy=policy, start=start + dt.timedelta(hours=2))
    for plan in POSTS:
        draft = _publish(plan=plan, author=author, reviewer=reviewer)
        for wave in sorted(plan.waves, key=lambda w: (w.outcome == S.REVIEW, w.day, w.hour)):
            if wave.outcome == S.REVIEW:
                # Edited shares wait for a reviewer only while the programme asks for it.
                with demo_clock(_day(-1, 16)):
                    programme_settings_set(actor=admin, edited_shares_need_review=True)
                _share_wave(draft=draft, wave=wave, participants=participants)
                with demo_clock(_day(-1, 18)):
                    programme_settings_set(actor=admin, edited_shares_need_review=False)
            else:
                _share_wave(draft=draft, wave=wave, participants=participants)
        _clicks(draft=draft, plan=plan)
    return len(TEAMS) * (TAKING_PART_PER_TEAM + NOT_TAKING_PART_PER_TEAM), len(POSTS)
