"""Teams are rows: the migration keeps every existing team name, and every change
(create, rename, delete, membership) goes through ``accounts.teams``, on the record,
from the Django admin too."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from accounts.models import Team, User
from accounts.teams import team_create, team_delete, team_members_add, team_rename, user_team_set
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BEFORE, AFTER = ("accounts", "0003_api_token_admin"), ("accounts", "0004_teams")


@pytest.mark.django_db(transaction=True)
def test_it_keeps_every_team_name_when_teams_become_rows():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps.get_model("accounts", "User")
    for email, team in [
        ("a@x.test", "Warehouse"),
        ("b@x.test", " warehouse "),
        ("c@x.test", "Sales"),
        ("d@x.test", ""),
    ]:
        old.objects.create(email=email, password="!", team=team)
    try:
        executor = MigrationExecutor(connection)
        executor.migrate([AFTER])
        apps = executor.loader.project_state([AFTER]).apps
        teams = apps.get_model("accounts", "Team")
        people = apps.get_model("accounts", "User")
        assert sorted(teams.objects.values_list("name", flat=True)) == ["Sales", "Warehouse"]
        by_email = dict(people.objects.values_list("email", "team__name"))
        assert by_email == {"a@x.test": "Warehouse", "b@x.test": "Warehouse", "c@x.test": "Sales", "d@x.test": None}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def test_it_records_each_team_change_with_its_actor(admin_user, employee):
    team = team_create(actor=admin_user, name="  Ware   house ")
    assert team.name == "Ware house"
    team_rename(actor=admin_user, team_id=team.pk, name="Warehouse")
    team_members_add(actor=admin_user, team_id=team.pk, user_ids=[employee.pk])
    employee.refresh_from_db()
    assert employee.team == team
    team_delete(actor=admin_user, team_id=team.pk)
    employee.refresh_from_db()
    assert employee.team is None and not Team.objects.exists()

    (created,) = _events(AuditAction.TEAM_CREATED)
    (renamed,) = _events(AuditAction.TEAM_RENAMED)
    added, removed = _events(AuditAction.TEAM_MEMBER_ADDED)[0], _events(AuditAction.TEAM_MEMBER_REMOVED)[0]
    (deleted,) = _events(AuditAction.TEAM_DELETED)
    assert created.actor == renamed.actor == deleted.actor == admin_user
    assert renamed.payload == {"old": {"name": "Ware house"}, "new": {"name": "Warehouse"}}
    assert added.subject == removed.subject == employee
    assert deleted.payload["old"] == {"name": "Warehouse"}


def test_it_moves_a_person_so_they_are_in_one_team_only(admin_user, employee):
    sales, support = (team_create(actor=admin_user, name=name) for name in ("Sales", "Support"))
    team_members_add(actor=admin_user, team_id=sales.pk, user_ids=[employee.pk])
    team_members_add(actor=admin_user, team_id=support.pk, user_ids=[employee.pk])
    assert list(sales.members.all()) == [] and list(support.members.all()) == [employee]
    moved_out = _events(AuditAction.TEAM_MEMBER_REMOVED)[-1]
    assert (moved_out.target_id, moved_out.payload["new"]) == (str(sales.pk), {"moved_to": support.pk})


def test_it_refuses_a_second_team_of_the_same_name_whatever_its_case(admin_user):
    team_create(actor=admin_user, name="Sales")
    with pytest.raises(Conflict, match="already a team called sales"):
        team_create(actor=admin_user, name="sales")
    # The database holds the rule too, for writes that skip the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(name="SALES")


@pytest.mark.parametrize(("name", "message"), [("   ", "Name the team"), ("x" * 81, "at most 80 characters")])
def test_it_refuses_a_name_that_is_empty_or_too_long(admin_user, name, message):
    with pytest.raises(ValidationFailed, match=message):
        team_create(actor=admin_user, name=name)


def test_only_admins_change_teams(employee, author):
    with pytest.raises(NotAllowed, match="Only admins can change teams"):
        team_create(actor=author, name="Comms")
    with pytest.raises(NotAllowed):
        user_team_set(actor=employee, user_id=employee.pk, team_name="Mine")
    assert not Team.objects.exists()


def test_it_puts_someone_in_a_team_by_name_making_it_if_needed(admin_user, employee):
    user_team_set(actor=None, user_id=employee.pk, team_name="Logistics", source="scim:1 Okta")
    user_team_set(actor=None, user_id=UserFactory().pk, team_name="logistics", source="scim:1 Okta")
    assert list(Team.objects.values_list("name", flat=True)) == ["Logistics"]
    assert Team.objects.get().members.count() == 2
    user_team_set(actor=None, user_id=employee.pk, team_name="", source="scim:1 Okta")
    employee.refresh_from_db()
    assert employee.team is None


@pytest.fixture
def superadmin(client, admin_user) -> User:
    admin_user.is_superuser = True  # Django's admin also needs model permissions
    admin_user.save(update_fields=["is_superuser"])
    client.force_login(admin_user)
    return admin_user


def test_the_django_admin_writes_teams_through_the_services(client, superadmin, employee):
    response = client.post("/admin/accounts/team/add/", {"name": "Warehouse", "members": [employee.pk]})
    assert response.status_code == 302
    team = Team.objects.get()
    assert list(team.members.all()) == [employee]
    assert _events(AuditAction.TEAM_CREATED)[0].actor == superadmin
    assert _events(AuditAction.TEAM_MEMBER_ADDED)[0].subject == employee

    client.post(f"/admin/accounts/team/{team.pk}/change/", {"name": "Logistics", "members": []})
    team.refresh_from_db()
    assert team.name == "Logistics" and not team.members.exists()
    assert _events(AuditAction.TEAM_MEMBER_REMOVED)[0].subject == employee

    client.post(f"/admin/accounts/team/{team.pk}/delete/", {"post": "yes"})
    assert not Team.objects.exists()
    assert _events(AuditAction.TEAM_DELETED)[0].actor == superadmin


def test_the_django_admin_says_which_rule_a_taken_name_breaks(client, superadmin):
    Team.objects.create(name="Sales")
    page = client.post("/admin/accounts/team/add/", {"name": "sales"}).content.decode()
    assert "There is already a team of this name" in page
    assert Team.objects.count() == 1


def test_moving_someone_to_another_team_on_their_admin_page_is_audited(client, superadmin, employee):
    from tests.test_people_audit import _admin_change

    sales = Team.objects.create(name="Sales")
    response = _admin_change(client, superadmin, employee, team=sales.pk)
    assert response.status_code == 302
    employee.refresh_from_db()
    assert employee.team == sales
    (added,) = _events(AuditAction.TEAM_MEMBER_ADDED)
    assert (added.actor, added.subject, added.target_id) == (superadmin, employee, str(sales.pk))
