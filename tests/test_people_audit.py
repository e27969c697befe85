"""Every change of a person is recorded in the audit log, with actor, person and
old/new values, whichever path made it: the Django admin's change, add and password
forms, allauth's password pages, the preferences page."""

import re

import pytest
from django.core import mail

from accounts.models import User
from accounts.services import user_profile_update
from advocacy.audit.models import AuditEvent
from advocacy.core.errors import NotAllowed, ValidationFailed
from advocacy.ledger.custody import custody_transfer_accept, custody_transfer_start
from advocacy.ledger.models import ConnectedAccount, Offboarding
from advocacy.sharing.models import Share
from tests.api.conftest import connect, schedule
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-long-password-42"


@pytest.fixture
def superadmin(admin_user) -> User:
    admin_user.is_superuser = True  # Django's admin also needs model permissions
    admin_user.save(update_fields=["is_superuser"])
    return admin_user


def _admin_change(client, admin_user, person, **changes):
    if not admin_user.is_superuser:
        admin_user.is_superuser = True
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
        "is_staff": "on" if person.is_staff else "",
        "is_superuser": "on" if person.is_superuser else "",
        # Read-only now; posted anyway, as the form before it asked for them.
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        **changes,
    }
    return client.post(f"/admin/accounts/user/{person.pk}/change/", {k: v for k, v in data.items() if v != ""})


def _event(action):
    return AuditEvent.objects.get(action=action)


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


def test_granting_staff_and_superuser_in_the_admin_is_audited(client, superadmin, employee):
    response = _admin_change(client, superadmin, employee, is_staff="on", is_superuser="on")

    assert response.status_code == 302, response.content.decode()[:2000]
    employee.refresh_from_db()
    assert employee.is_staff and employee.is_superuser
    event = _event("user.privileges_changed")
    assert (event.actor, event.subject, event.via) == (superadmin, employee, "admin")
    assert event.payload == {
        "old": {"is_staff": False, "is_superuser": False},
        "new": {"is_staff": True, "is_superuser": True},
    }


def test_withdrawing_staff_in_the_admin_is_audited(client, superadmin, author):
    author.is_staff = True
    author.save(update_fields=["is_staff"])

    _admin_change(client, superadmin, author, is_staff="")

    author.refresh_from_db()
    assert not author.is_staff
    assert _event("user.privileges_changed").payload == {"old": {"is_staff": True}, "new": {"is_staff": False}}


def test_nobody_changes_their_own_privileges_and_the_whole_save_is_undone(client, superadmin):
    response = _admin_change(client, superadmin, superadmin, is_superuser="", display_name="Renamed")

    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "You cannot change your own privileges; ask another admin." in page
    assert "was changed successfully" not in page
    superadmin.refresh_from_db()
    assert superadmin.is_superuser and superadmin.display_name == "Ada Admin"
    assert not AuditEvent.objects.filter(action__in=["user.privileges_changed", "user.profile_changed"]).exists()


def test_a_profile_change_in_the_admin_is_audited_without_personal_values(client, admin_user, employee):
    zone = employee.time_zone
    _admin_change(client, admin_user, employee, email="emma.new@example.com", time_zone="Europe/Rome")

    employee.refresh_from_db()
    assert (employee.email, employee.time_zone) == ("emma.new@example.com", "Europe/Rome")
    event = _event("user.profile_changed")
    assert (event.actor, event.subject) == (admin_user, employee)
    # The email is named, not recorded: erasure must be able to forget it.
    assert event.payload == {"old": {"time_zone": zone}, "new": {"time_zone": "Europe/Rome", "changed": ["email"]}}
    assert "emma" not in str(event.payload)


def test_creating_a_person_in_the_admin_is_audited(client, superadmin):
    client.force_login(superadmin)

    response = client.post(
        "/admin/accounts/user/add/",
        {"email": "Nina@Example.com", "role": "comms_author", "usable_password": "true",
         "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:3000]
    nina = User.objects.get(email="nina@example.com")
    assert nina.role == "comms_author" and nina.check_password(NEW_PASSWORD)
    event = _event("user.created")
    assert (event.actor, event.subject, event.via) == (superadmin, nina, "admin")
    assert event.payload == {"old": {}, "new": {"role": "comms_author", "is_active": True, "usable_password": True}}
    assert NEW_PASSWORD not in str(event.payload)


def test_changing_a_password_in_the_admin_is_audited_without_the_password(client, superadmin, employee):
    client.force_login(superadmin)
    old_hash = employee.password

    response = client.post(
        f"/admin/accounts/user/{employee.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    employee.refresh_from_db()
    assert employee.check_password(NEW_PASSWORD)
    event = _event("user.password_changed")
    assert (event.actor, event.subject, event.via) == (superadmin, employee, "admin")
    assert event.payload == {"old": {"usable_password": True}, "new": {"usable_password": True, "by": "admin"}}
    assert NEW_PASSWORD not in str(event.payload) and old_hash not in str(event.payload)


def test_changing_ones_own_password_is_audited(client, employee):
    client.force_login(employee)

    client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    employee.refresh_from_db()
    assert employee.check_password(NEW_PASSWORD)
    event = _event("user.password_changed")
    assert (event.actor, event.subject, event.via) == (employee, employee, "portal")
    assert event.payload["new"]["by"] == "self"


def test_saving_preferences_is_audited(client, employee):
    old_language, old_zone = employee.language, employee.time_zone
    client.force_login(employee)

    response = client.post("/preferences/", {"language": "de", "time_zone": "Europe/Rome"})

    assert response.status_code == 302
    employee.refresh_from_db()
    assert (employee.language, employee.time_zone) == ("de", "Europe/Rome")
    event = _event("user.preferences_saved")
    assert (event.actor, event.subject, event.via) == (employee, employee, "portal")
    assert event.payload == {
        "old": {"language": old_language, "time_zone": old_zone},
        "new": {"language": "de", "time_zone": "Europe/Rome"},
    }


def test_deactivating_in_the_admin_hands_everything_back(client, admin_user, employee):
    _admin_change(client, admin_user, employee, is_active="")

    employee.refresh_from_db()
    assert not employee.is_active
    assert Offboarding.objects.filter(user=employee).exists()
    assert AuditEvent.objects.filter(action="user.deactivated", subject=employee).exists()


def test_unticking_active_in_the_admin_cancels_shares_and_hands_back(
    client, admin_user, enrolled, published, account, networks, django_capture_on_commit_callbacks
):
    share = schedule(enrolled, published, account)

    with django_capture_on_commit_callbacks(execute=True):
        response = _admin_change(client, admin_user, enrolled, is_active="")

    assert response.status_code == 302
    share.refresh_from_db()
    assert share.state == Share.State.CANCELLED
    case = Offboarding.objects.get(user=enrolled)
    assert case.started_by == admin_user
    assert case.state == Offboarding.State.COMPLETED and case.receipt
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.HANDED_BACK and account.credentials_encrypted == ""


def test_a_refused_deactivation_leaves_the_person_active_and_says_why(client, admin_user, enrolled, other_employee):
    corporate = connect(admin_user, handle="acme.test", ownership=ConnectedAccount.Ownership.CORPORATE)
    # Emma becomes its custodian the only way there is: a custody transfer she accepts.
    transfer = custody_transfer_start(actor=admin_user, account_id=corporate.pk, to_user_id=enrolled.pk)
    custody_transfer_accept(actor=enrolled, transfer_id=transfer.pk)

    response = _admin_change(client, admin_user, enrolled, is_active="", display_name="Renamed")

    page = client.get(response.url).content.decode()
    assert "Name a successor for each corporate account" in page
    assert "was changed successfully" not in page
    enrolled.refresh_from_db()
    assert enrolled.is_active and enrolled.display_name == "Emma Employee"
    assert not Offboarding.objects.filter(user=enrolled).exists()


def test_sign_ins_and_failures_are_audited_without_secrets(client, employee):
    client.post("/accounts/login/", {"login": employee.email, "password": "wrong-password"})
    client.post("/accounts/login/", {"login": employee.email, "password": PASSWORD})

    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "user.login_failed" in actions and "user.logged_in" in actions
    assert all("wrong-password" not in str(e.payload) for e in AuditEvent.objects.all())


def test_a_password_reset_is_audited(client, employee):
    client.post("/accounts/password/reset/", {"email": employee.email})
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    event = _event("user.password_changed")
    assert (event.actor, event.subject) == (employee, employee)


def test_the_profile_service_refuses_other_fields_and_bad_values_without_a_trace(admin_user, employee):
    with pytest.raises(ValidationFailed, match="cannot be changed here"):
        user_profile_update(actor=admin_user, user_id=employee.pk, changes={"is_superuser": True})
    with pytest.raises(ValidationFailed) as refused:
        user_profile_update(actor=admin_user, user_id=employee.pk, changes={"language": "x" * 20})
    with pytest.raises(NotAllowed):
        user_profile_update(actor=employee, user_id=admin_user.pk, changes={"display_name": "Mine now"})

    assert "language" in refused.value.fields
    employee.refresh_from_db()
    assert not employee.is_superuser and employee.language != "x" * 20
    assert not AuditEvent.objects.filter(action="user.profile_changed").exists()
