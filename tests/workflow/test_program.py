"""Joining, re-consenting to and leaving the programme, and the group figures
management sees. Participation is opt-in, free to leave, and nobody is singled out."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from accounts.models import Role, User
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.audit.services import audit_record as real_audit_record
from advocacy.core.errors import Conflict, ValidationFailed
from advocacy.program.models import ConsentEvent, Enrollment
from advocacy.program.selectors import (
    consent_history,
    participation_by_team,
    participation_state,
    policy_current,
)
from advocacy.program.services import enrollment_leave, enrollment_opt_in, policy_publish
from advocacy.sharing.models import Share
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def actions(*, subject=None) -> list[str]:
    events = AuditEvent.objects.all()
    if subject is not None:
        events = events.filter(subject=subject)
    return list(events.values_list("action", flat=True))


class Boom(Exception):
    pass


def fail_after_auditing(**kwargs):
    """Stands in for ``audit_record``: writes the event, then the service fails."""
    real_audit_record(**kwargs)
    raise Boom("something after the audit event failed")


# --- joining -------------------------------------------------------------------------


def test_joining_needs_an_explicit_tick(employee, policy):
    with pytest.raises(ValidationFailed) as refused:
        enrollment_opt_in(user=employee, policy_version_id=policy.pk, accepted=False)

    assert "accept" in refused.value.fields
    assert "Tick the box" in refused.value.message
    assert not Enrollment.objects.filter(user=employee).exists()
    assert not ConsentEvent.objects.filter(user=employee).exists()
    assert AuditAction.CONSENT_OPTED_IN not in actions()


def test_opting_in_records_the_consent_and_an_audit_event(employee, policy):
    enrollment = enrollment_opt_in(user=employee, policy_version_id=policy.pk, accepted=True)

    assert enrollment.status == Enrollment.Status.ACTIVE
    assert participation_state(user=employee).can_share
    [consent] = consent_history(user=employee)
    assert (consent.kind, consent.policy_version) == (ConsentEvent.Kind.OPTED_IN, policy)
    event = AuditEvent.objects.get(action=AuditAction.CONSENT_OPTED_IN)
    assert (event.actor, event.subject) == (employee, employee)
    assert event.target_id == str(enrollment.pk)
    assert event.payload["new"] == {"policy_version": policy.number}


def test_a_failed_opt_in_leaves_neither_consent_nor_audit_event(employee, policy, monkeypatch):
    monkeypatch.setattr("advocacy.program.services.audit_record", fail_after_auditing)

    with pytest.raises(Boom):
        enrollment_opt_in(user=employee, policy_version_id=policy.pk, accepted=True)

    assert not ConsentEvent.objects.filter(user=employee).exists()
    assert not Enrollment.objects.filter(user=employee).exists()
    assert AuditAction.CONSENT_OPTED_IN not in actions()


def test_consent_to_an_outdated_policy_is_refused(employee, policy, admin_user):
    policy_publish(actor=admin_user, texts={"en": {"title": "Policy v2", "body": "New rules."}})

    with pytest.raises(Conflict) as refused:
        enrollment_opt_in(user=employee, policy_version_id=policy.pk, accepted=True)

    assert refused.value.code == "policy_outdated"
    assert "version 2" in refused.value.message
    assert not Enrollment.objects.filter(user=employee).exists()


def test_joining_twice_under_the_same_policy_is_a_conflict(enrolled, policy):
    with pytest.raises(Conflict) as refused:
        enrollment_opt_in(user=enrolled, policy_version_id=policy.pk, accepted=True)

    assert refused.value.code == "already_enrolled"
    assert len(consent_history(user=enrolled)) == 1


# --- a new policy --------------------------------------------------------------------


def test_a_new_policy_stops_sharing_until_the_participant_consents_again(
    enrolled, account, published_draft, make_share, admin_user, policy
):
    new_policy = policy_publish(actor=admin_user, texts={"en": {"title": "Policy v2", "body": "New rules."}})

    state = participation_state(user=enrolled)
    assert state.enrolled and state.needs_reconsent and not state.can_share
    with pytest.raises(Conflict) as refused:
        make_share()
    assert refused.value.code == "policy_outdated"
    assert not Share.objects.exists()

    enrollment_opt_in(user=enrolled, policy_version_id=new_policy.pk, accepted=True)

    assert participation_state(user=enrolled).can_share
    assert make_share().state == Share.State.SCHEDULED
    history = [(c.kind, c.policy_version.number) for c in consent_history(user=enrolled)]
    assert history == [(ConsentEvent.Kind.OPTED_IN, 1), (ConsentEvent.Kind.RECONSENTED, 2)]
    assert AuditAction.CONSENT_RECONSENTED in actions(subject=enrolled)


def test_the_consent_history_is_kept_across_leaving_and_rejoining(enrolled, policy):
    enrollment_leave(user=enrolled)
    enrollment_opt_in(user=enrolled, policy_version_id=policy.pk, accepted=True)

    kinds = [c.kind for c in consent_history(user=enrolled)]
    assert kinds == [ConsentEvent.Kind.OPTED_IN, ConsentEvent.Kind.OPTED_OUT, ConsentEvent.Kind.OPTED_IN]
    assert participation_state(user=enrolled).can_share


# --- leaving -------------------------------------------------------------------------


@pytest.fixture
def three_scheduled(make_share, clock):
    return [make_share(scheduled_at=clock.now + dt.timedelta(hours=h)) for h in (0, 2, 24)]


def test_leaving_cancels_every_scheduled_share_and_says_how_many(
    enrolled, three_scheduled, other_employee, enroll, connect, make_share
):
    enroll(other_employee)
    others = make_share(employee=other_employee, on=connect(other_employee, handle="otto.bsky.test"))

    result = enrollment_leave(user=enrolled)

    assert result.cancelled_shares == 3
    assert result.enrollment.status == Enrollment.Status.LEFT
    for share in three_scheduled:
        share.refresh_from_db()
        assert share.state == Share.State.CANCELLED
        assert share.cancelled_reason == "You left the programme."
    others.refresh_from_db()
    assert others.state == Share.State.SCHEDULED
    assert actions(subject=enrolled).count(AuditAction.SHARE_CANCELLED) == 3
    left = AuditEvent.objects.get(action=AuditAction.CONSENT_OPTED_OUT)
    assert left.payload["new"] == {"cancelled_shares": 3}
    assert not participation_state(user=enrolled).can_share


def test_leaving_is_one_transaction(enrolled, three_scheduled, monkeypatch):
    monkeypatch.setattr("advocacy.program.services.audit_record", fail_after_auditing)

    with pytest.raises(Boom):
        enrollment_leave(user=enrolled)

    assert set(Share.objects.values_list("state", flat=True)) == {Share.State.SCHEDULED}
    assert Enrollment.objects.get(user=enrolled).status == Enrollment.Status.ACTIVE
    assert ConsentEvent.Kind.OPTED_OUT not in [c.kind for c in consent_history(user=enrolled)]
    assert AuditAction.SHARE_CANCELLED not in actions()
    assert AuditAction.CONSENT_OPTED_OUT not in actions()


def test_leaving_twice_is_a_conflict(enrolled):
    enrollment_leave(user=enrolled)

    with pytest.raises(Conflict) as refused:
        enrollment_leave(user=enrolled)

    assert refused.value.code == "not_enrolled"
    assert [c.kind for c in consent_history(user=enrolled)].count(ConsentEvent.Kind.OPTED_OUT) == 1


def test_someone_who_never_joined_cannot_leave(employee, policy):
    with pytest.raises(Conflict):
        enrollment_leave(user=employee)


# --- group figures -------------------------------------------------------------------


def team(name, size, *, participating, enroll):
    people = [UserFactory(team=name, role=Role.EMPLOYEE) for _ in range(size)]
    for person in people[:participating]:
        enroll(person)
    return people


def figures_by_group():
    return {figure.group: figure for figure in participation_by_team()}


def test_a_team_below_the_minimum_size_is_not_shown(policy, enroll, settings):
    assert settings.CANDOR_MIN_GROUP_SIZE == 5
    team("Warehouse", 4, participating=3, enroll=enroll)
    team("Sales", 11, participating=5, enroll=enroll)
    # Warehouse and the admin (no team) together are 5, of whom 3 take part: the smaller
    # of the other teams is hidden too, so "all minus Sales" does not give them away.
    team("Support", 10, participating=5, enroll=enroll)

    figures = figures_by_group()

    warehouse = figures["Warehouse"]
    assert not warehouse.shown
    assert (warehouse.members, warehouse.participating, warehouse.percent) == (None, None, None)
    sales = figures["Sales"]
    assert sales.shown
    assert (sales.members, sales.participating, sales.percent) == (11, 5, 45)
    assert not figures["Support"].shown


def test_a_hidden_team_cannot_be_worked_out_by_subtracting_the_shown_ones(policy, enroll, admin_user):
    """One lawyer in a team of one: the whole-organisation figure minus the other
    teams must not reveal whether that one person takes part."""
    admin_user.team = "Sales"
    admin_user.save(update_fields=["team"])
    team("Legal", 1, participating=1, enroll=enroll)
    team("Sales", 5, participating=2, enroll=enroll)

    figures = participation_by_team()

    whole = next(f for f in figures if f.group == "all")
    teams = [f for f in figures if f.group != "all"]
    assert not next(f for f in teams if f.group == "Legal").shown
    if whole.shown:
        hidden_members = whole.members - sum(f.members for f in teams if f.shown)
        assert hidden_members == 0 or hidden_members >= 5, (
            f"subtracting the shown teams leaves {hidden_members} person(s) exposed: "
            f"{whole.participating - sum(f.participating for f in teams if f.shown)} of them take part"
        )


def test_no_figure_names_anyone(policy, enroll, employee, other_employee, author, reviewer):
    team("Sales", 6, participating=3, enroll=enroll)
    enroll(employee)
    people = list(User.objects.all())

    figures = participation_by_team()

    for figure in figures:
        values = dataclasses.asdict(figure)
        assert set(values) == {"group", "shown", "members", "participating"}
        assert all(isinstance(v, int | bool | None) for k, v in values.items() if k != "group")
    shown = repr(figures)
    for person in people:
        assert person.email not in shown
        assert person.display_name not in shown
    assert policy_current() == policy
