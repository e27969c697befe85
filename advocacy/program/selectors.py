from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, Subquery

from accounts.models import User
from advocacy.compose import disclosure_template, render_disclosure
from advocacy.program.models import (
    BlockedTerm,
    ConsentEvent,
    DisclosureTemplate,
    Enrollment,
    PolicyVersion,
    ProgrammeSettings,
)


def policy_current() -> PolicyVersion | None:
    return PolicyVersion.objects.order_by("-number").first()


def programme_settings() -> ProgrammeSettings:
    """The programme's settings; the defaults until an admin changes one (nothing is written)."""
    return ProgrammeSettings.objects.filter(pk=1).first() or ProgrammeSettings(pk=1)


def enrollment_for(*, user: User) -> Enrollment | None:
    return Enrollment.objects.select_related("policy_version").filter(user=user).first()


@dataclass(frozen=True)
class ParticipationState:
    enrolled: bool
    needs_reconsent: bool
    enrollment: Enrollment | None
    current_policy: PolicyVersion | None

    @property
    def can_share(self) -> bool:
        return self.enrolled and not self.needs_reconsent


def participation_state(*, user: User) -> ParticipationState:
    """Where ``user`` stands. A deactivated user is never ``enrolled``, whatever their
    enrolment row says: deactivation that bypassed offboarding must not leave them able
    to share. ``is_active`` is read fresh, not from the (maybe cached) ``user``."""
    enrollment = enrollment_for(user=user)
    current = policy_current()
    enrolled = (
        enrollment is not None
        and enrollment.status == Enrollment.Status.ACTIVE
        and User.objects.filter(pk=user.pk, is_active=True).exists()
    )
    needs = enrolled and enrollment is not None and current is not None and enrollment.policy_version_id != current.pk
    return ParticipationState(enrolled=enrolled, needs_reconsent=needs, enrollment=enrollment, current_policy=current)


def users_may_share(*, user_ids: Iterable[int]) -> set[int]:
    """Those of ``user_ids`` who may share now, in one query (the rule is
    ``may_share_exists``)."""
    ids = set(user_ids)
    return set(User.objects.filter(pk__in=ids).filter(may_share_exists(OuterRef("pk"))).values_list("pk", flat=True))


def may_share_exists(user_id: OuterRef) -> Exists:
    """ "May this person share": an active user with an active enrollment under the
    latest policy, as an expression on ``user_id``, so the engine reads it with its
    other pre-send facts in one statement (the latest policy is a subquery, not a
    second round trip: bench/). A user deactivated any way at all (admin, SSO, the
    ORM) may not share, whatever their enrolment says."""
    latest = PolicyVersion.objects.order_by("-number").values("pk")[:1]
    return Exists(
        Enrollment.objects.filter(
            user_id=user_id,
            user__is_active=True,
            status=Enrollment.Status.ACTIVE,
            # Set while a leave waits for posts already on their way: no new ones.
            left_at__isnull=True,
            policy_version=Subquery(latest),
        )
    )


def consent_history(*, user: User) -> list[ConsentEvent]:
    return list(ConsentEvent.objects.filter(user=user).select_related("policy_version"))


def disclosure_for(*, language: str) -> str:
    """The disclosure text for a language, with the organisation's name filled in."""
    primary = (language or "en").split("-")[0].lower()
    override = DisclosureTemplate.objects.filter(language=primary).values_list("template", flat=True).first()
    template = override or disclosure_template(language=primary)
    return render_disclosure(template=template, organisation=settings.CANDOR_ORGANISATION_NAME)


def blocked_terms() -> list[str]:
    return list(BlockedTerm.objects.values_list("term", flat=True))


@dataclass(frozen=True)
class GroupFigure:
    """Participation of one group. ``shown`` is False when the group is smaller than
    the minimum, so nobody can single a person out; counts are then withheld."""

    group: str
    shown: bool
    members: int | None = None
    participating: int | None = None

    @property
    def percent(self) -> int | None:
        if not self.shown or not self.members:
            return None
        return round(100 * (self.participating or 0) / self.members)


def group_is_safe(*, members: int, participating: int, minimum: int) -> bool:
    """A group's participation may be shown only when those who take part and those
    who don't each number at least ``minimum``: at 100% or 0% (or close to either),
    every member's choice would be known."""
    return participating >= minimum and members - participating >= minimum


def participation_by_team() -> list[GroupFigure]:
    """Participation per team plus the whole organisation. Never names anyone."""
    minimum = settings.CANDOR_MIN_GROUP_SIZE
    active = Q(enrollment__status=Enrollment.Status.ACTIVE)
    rows = list(
        User.objects.filter(is_active=True)
        .values("team_id", "team__name")
        .annotate(members=Count("id"), participating=Count("id", filter=active))
        .order_by("team__name")
    )
    total_members = sum(row["members"] for row in rows)
    total_participating = sum(row["participating"] for row in rows)
    whole_shown = group_is_safe(members=total_members, participating=total_participating, minimum=minimum)
    shown = [
        row
        for row in rows
        if whole_shown and group_is_safe(members=row["members"], participating=row["participating"], minimum=minimum)
    ]
    # The whole minus the shown teams is the hidden teams together: it must itself be
    # nobody or a safe group, or hide the smallest shown team too, until it is.
    while shown:
        rest_members = total_members - sum(row["members"] for row in shown)
        rest_participating = total_participating - sum(row["participating"] for row in shown)
        if rest_members == 0 or group_is_safe(members=rest_members, participating=rest_participating, minimum=minimum):
            break
        shown.remove(min(shown, key=lambda row: (row["members"], row["team__name"] or "")))
    figures = []
    for row in rows:
        name = row["team__name"] or "—"
        if row in shown:
            figures.append(GroupFigure(name, True, row["members"], row["participating"]))
        else:
            figures.append(GroupFigure(name, False))
    whole = GroupFigure("all", True, total_members, total_participating) if whole_shown else GroupFigure("all", False)
    return [whole, *figures]
