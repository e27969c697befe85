import pytest
from django.core.management import call_command

from accounts.models import Role, User
from accounts.permissions import Capability, capabilities_for
from advocacy.core.demo import DEMO_PASSWORD, DEMO_PEOPLE


@pytest.mark.django_db
def test_demo_seed_is_idempotent_and_prints_logins(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    second = capsys.readouterr().out

    assert User.objects.count() == 48
    assert "created this run: 48 people, 1 policies, 5 posts" in first
    assert "created this run: 0 people, 0 policies, 0 posts" in second
    for person in DEMO_PEOPLE:
        assert person.email in second


@pytest.mark.django_db
def test_every_demo_login_works(client):
    call_command("seed_demo")
    for person in DEMO_PEOPLE:
        assert client.login(email=person.email, password=DEMO_PASSWORD), person.email
        client.logout()


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (Role.EMPLOYEE, {Capability.PARTICIPATE}, {Capability.WRITE_DRAFTS, Capability.VIEW_AUDIT}),
        (Role.COMMS_AUTHOR, {Capability.WRITE_DRAFTS}, {Capability.REVIEW_DRAFTS, Capability.OFFBOARD}),
        (Role.COMMS_REVIEWER, {Capability.REVIEW_DRAFTS, Capability.WRITE_DRAFTS}, {Capability.OFFBOARD}),
        (Role.ADMIN, {Capability.OFFBOARD, Capability.VIEW_AUDIT}, {Capability.REVIEW_DRAFTS}),
    ],
)
def test_roles_map_to_capabilities(role, allowed, refused):
    user = User(role=role, is_active=True)
    caps = capabilities_for(user)
    assert allowed <= caps
    assert not (refused & caps)


def test_a_deactivated_user_can_do_nothing():
    assert capabilities_for(User(role=Role.ADMIN, is_active=False)) == frozenset()


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "status"), [("employee", 403), ("reviewer", 403), ("admin_user", 200)])
def test_only_admins_open_diagnostics(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/diagnostics/").status_code == status
