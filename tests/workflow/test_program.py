"""Joining, re-consenting to and leaving the programme, and the group figures
management sees. Participation is opt-in, free to leave, and nobody is singled out."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Role, Team, User
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.audit.services import audit_record as real_audit_record
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from advocacy.notifications.models import Notification
from advocacy.program.models import ConsentEvent, DisclosureTemplate, Enrollment
from advocacy.program.selectors import (
    consent_history,
    disclosure_for,
    participation_by_team,
    participation_state,
    policy_current,
)
from advocacy.program.services import disclosure_template_set, enrollment_leave, enrollment_opt_in, policy_publish
from advocacy.sharing import engine
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_edit
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
    admin_user.team = Team.objects.get_or_create(name="Sales")[0]
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


# --- the disclosure template ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "rule"),
    [
        ("{organisation}", "must say that the author works there"),
        ("Proud to be at {organisation}!", "must say that the author works there"),
        ("#employee · I work at {organisation}.\u200b", "must be visible text"),
        ("\u202e#employee · I work at {organisation}.", "must be visible text"),
        ("#employee\u2066 · I work at {organisation}.", "must be visible text"),
        ("#\u0435mployee · {organisation}", "must be written with ordinary letters"),
        ("#employee\n{organisation}", "must be one line"),
        ("#employee · I work there.", "must name the employer"),
    ],
)
def test_a_disclosure_that_discloses_nothing_is_refused(admin_user, template, rule):
    with pytest.raises(ValidationFailed) as refused:
        disclosure_template_set(actor=admin_user, language="en", template=template)

    assert rule in refused.value.message
    assert not DisclosureTemplate.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.SETTINGS_CHANGED).exists()


@pytest.mark.parametrize(
    ("template", "tag"),
    [
        ("#employee · Robots at {organisation}.", ""),  # the default tag
        ("Ad · I work at {organisation}.", ""),  # the default words
        ("#AcmeCrew · Robots at {organisation}.", "#AcmeCrew"),  # the admin's own tag
    ],
)
def test_a_disclosure_keeps_an_employment_statement(admin_user, template, tag):
    disclosure_template_set(actor=admin_user, language="en", template=template, tag=tag)

    assert disclosure_for(language="en") == template.replace("{organisation}", "Acme Robotics")


@pytest.mark.parametrize("tag", ["AcmeCrew", "#Acme Crew", "#\u0430cme", "#a\u200bcme", "#1acme"])
def test_an_admins_own_tag_is_checked_like_the_default(admin_user, tag):
    with pytest.raises(ValidationFailed):
        disclosure_template_set(actor=admin_user, language="en", template=f"{tag} · {{organisation}}", tag=tag)


def test_changing_the_disclosure_is_audited_with_old_and_new(admin_user):
    disclosure_template_set(actor=admin_user, language="de", template="#Mitarbeiter · Robotik bei {organisation}.")
    disclosure_template_set(actor=admin_user, language="de", template="#Team · {organisation}", tag="#Team")

    first, second = AuditEvent.objects.filter(action=AuditAction.SETTINGS_CHANGED).order_by("sequence")
    assert first.actor == admin_user
    assert first.payload["old"]["disclosure"] is None
    assert second.payload["old"]["disclosure"] == {"template": "#Mitarbeiter · Robotik bei {organisation}.", "tag": ""}
    assert second.payload["new"]["disclosure"] == {"template": "#Team · {organisation}", "tag": "#Team"}


def test_only_programme_admins_change_the_disclosure(author):
    with pytest.raises(NotAllowed):
        disclosure_template_set(actor=author, language="en", template="#employee · I work at {organisation}.")


def test_the_database_refuses_a_disclosure_without_the_employer(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        DisclosureTemplate.objects.create(language="en", template="#employee")


def _send_due(share: Share) -> Share:
    assert share.pk in engine.dispatch_due()
    engine.share_send(share_id=share.pk)
    share.refresh_from_db()
    return share


def test_a_share_scheduled_under_an_older_disclosure_is_held_when_it_no_longer_passes(
    admin_user, make_share, fake_network
):
    share = make_share()
    disclosure_template_set(actor=admin_user, language="en", template="#ad #employee · I work at {organisation}.")

    share = _send_due(share)

    assert share.state == Share.State.HELD
    assert share.last_error_code == "disclosure_changed"
    assert "The disclosure changed after this post was scheduled" in share.last_error
    assert "#ad #employee · I work at Acme Robotics." in share.last_error
    assert fake_network.posts == []
    assert AuditEvent.objects.filter(action=AuditAction.SHARE_HELD, target_id=str(share.pk)).count() == 1
    (notice,) = Notification.objects.filter(user=share.employee, kind=Notification.Kind.SHARE_HELD)
    assert "The disclosure changed" in notice.body
    assert share.pk not in engine.dispatch_due()  # held: nothing goes out on its own


def test_a_held_share_is_sent_once_its_owner_puts_the_current_disclosure_first(
    admin_user, enrolled, make_share, fake_network
):
    share = make_share()
    old, was_edited = share.disclosure, share.edited
    disclosure_template_set(actor=admin_user, language="en", template="#ad #employee · I work at {organisation}.")
    share = _send_due(share)
    assert share.state == Share.State.HELD

    with pytest.raises(ValidationFailed):  # still the old first line: still refused
        share_edit(employee=enrolled, share_id=share.pk, text=share.text)
    current = "#ad #employee · I work at Acme Robotics."
    share = share_edit(employee=enrolled, share_id=share.pk, text=current + share.text[len(old) :])

    assert share.state == Share.State.SCHEDULED and share.disclosure == current
    assert share.edited is was_edited  # only the disclosure line changed
    share = _send_due(share)
    assert share.state == Share.State.SENT
    assert [post.text for post in fake_network.posts] == [share.text]
    assert share.text.startswith(current)


def test_leaving_cancels_a_held_share(admin_user, enrolled, make_share, fake_network):
    share = make_share()
    disclosure_template_set(actor=admin_user, language="en", template="#ad #employee · I work at {organisation}.")
    assert _send_due(share).state == Share.State.HELD

    enrollment_leave(user=enrolled)

    share.refresh_from_db()
    assert share.state == Share.State.CANCELLED


def test_a_share_that_still_passes_the_current_disclosure_is_sent_as_scheduled(admin_user, make_share, fake_network):
    share = make_share()
    disclosure_template_set(actor=admin_user, language="en", template="#ad #employee · I work at {organisation}.")
    disclosure_template_set(actor=admin_user, language="en", template="#employee · I work at {organisation}.")

    share = _send_due(share)

    assert share.state == Share.State.SENT
    assert [post.text for post in fake_network.posts] == [share.text]


def test_someone_deactivated_outside_offboarding_can_no_longer_share(enrolled, published_draft, account):
    from advocacy.sharing.services import share_create
    from tests.workflow.conftest import _share_text

    # An SSO sync or a shell session: the enrolment still says "participating", and
    # the caller holds a user object loaded before the change.
    User.objects.filter(pk=enrolled.pk).update(is_active=False)

    assert participation_state(user=enrolled).can_share is False
    with pytest.raises(Conflict):
        share_create(employee=enrolled, draft_id=published_draft.pk, account_id=account.pk, text=_share_text())
    assert not Share.objects.filter(employee=enrolled).exists()


def test_the_share_page_of_a_held_share_says_why_and_offers_the_fix(
    client, admin_user, enrolled, make_share, fake_network
):
    share = make_share()
    disclosure_template_set(actor=admin_user, language="en", template="#ad #employee · I work at {organisation}.")
    _send_due(share)
    client.force_login(enrolled)

    page = client.get(f"/shares/{share.pk}/")
    offered = page.context["form"].initial
    saved = client.post(f"/shares/{share.pk}/", {"text": offered["text"], "scheduled_at": offered["scheduled_at"]})

    assert "Nothing is sent until you change the first line" in page.content.decode()
    assert offered["text"].startswith("#ad #employee · I work at Acme Robotics.\n")
    assert saved.status_code == 302
    share.refresh_from_db()
    assert share.state == Share.State.SCHEDULED
