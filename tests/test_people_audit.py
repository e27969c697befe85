"""Roles, deactivation and sign-ins are recorded in the audit log, whichever path made them."""

import pytest

from advocacy.audit.models import AuditEvent
from advocacy.ledger.models import Offboarding
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _admin_change(client, admin_user, person, **changes):
    admin_user.is_superuser = True  # Django's admin also needs model permissions
    admin_user.save(update_fields=["is_superuser"])
    client.force_login(admin_user)
    data = {
        "email": person.email,
        "display_name": person.display_name,
        "first_name": "",
        "last_name": "",
        "time_zone": person.time_zone,
        "language": person.language,
        "role": person.role,
        "is_active": "on" if person.is_active else "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        **changes,
    }
    return client.post(f"/admin/accounts/user/{person.pk}/change/", {k: v for k, v in data.items() if v != ""})


def test_a_role_change_in_the_admin_is_audited(client, admin_user, employee):
    response = _admin_change(client, admin_user, employee, role="comms_author")

    assert response.status_code == 302, response.content.decode()[:2000]
    employee.refresh_from_db()
    assert employee.role == "comms_author"
    event = AuditEvent.objects.get(action="user.role_changed")
    assert (event.actor, event.subject, event.payload) == (
        admin_user,
        employee,
        {"old": {"role": "employee"}, "new": {"role": "comms_author"}},
    )


def test_deactivating_in_the_admin_hands_everything_back(client, admin_user, employee):
    _admin_change(client, admin_user, employee, is_active="")

    employee.refresh_from_db()
    assert not employee.is_active
    assert Offboarding.objects.filter(user=employee).exists()
    assert AuditEvent.objects.filter(action="user.deactivated", subject=employee).exists()


def test_sign_ins_and_failures_are_audited_without_secrets(client, employee):
    client.post("/accounts/login/", {"login": employee.email, "password": "wrong-password"})
    client.post("/accounts/login/", {"login": employee.email, "password": PASSWORD})

    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "user.login_failed" in actions and "user.logged_in" in actions
    assert all("wrong-password" not in str(e.payload) for e in AuditEvent.objects.all())
