"""People the audit trail refers to are never deleted: the admin says to deactivate
and hand back instead. GDPR erasure pseudonymises the person and the audit chain
still verifies afterwards."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.services import user_pseudonymise
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.audit.verify import audit_verify
from advocacy.core.errors import Conflict, NotAllowed
from advocacy.ledger.models import Offboarding
from advocacy.ledger.services import account_disconnect
from advocacy.program.models import Enrollment
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superadmin(admin_user) -> User:
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    return admin_user


@pytest.fixture
def leaver(enrolled) -> User:
    """An employee with history in the audit trail (opted in) and nothing held."""
    return enrolled


def test_the_admin_refuses_to_delete_someone_the_audit_trail_refers_to(client, superadmin, leaver):
    client.force_login(superadmin)

    response = client.post(f"/admin/accounts/user/{leaver.pk}/delete/", {"post": "yes"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[0][0] == f"/admin/accounts/user/{leaver.pk}/change/"
    assert "Deactivate and hand back instead" in response.content.decode()
    assert User.objects.filter(pk=leaver.pk).exists()


def test_the_bulk_delete_action_refuses_too(client, superadmin, leaver):
    client.force_login(superadmin)

    response = client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [leaver.pk], "post": "yes"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Deactivate and hand back instead" in response.content.decode()
    assert User.objects.filter(pk=leaver.pk).exists()


def test_someone_nothing_refers_to_can_still_be_deleted(client, superadmin):
    mistake = UserFactory(email="typo@example.com")
    client.force_login(superadmin)

    client.post(f"/admin/accounts/user/{mistake.pk}/delete/", {"post": "yes"})

    assert not User.objects.filter(pk=mistake.pk).exists()


def test_the_admin_erases_personal_data_only_after_confirming(client, superadmin, leaver):
    client.force_login(superadmin)
    chosen = {"action": "erase_personal_data", "_selected_action": [leaver.pk]}

    asked = client.post("/admin/accounts/user/", chosen)

    assert asked.status_code == 200
    assert "cannot be undone" in asked.content.decode() and leaver.email in asked.content.decode()
    assert User.objects.get(pk=leaver.pk).email == leaver.email  # nothing erased yet

    done = client.post("/admin/accounts/user/", {**chosen, "confirmed": "yes"}, follow=True)

    erased = User.objects.get(pk=leaver.pk)
    assert erased.email.startswith("erased-") and not erased.is_active
    assert f"Person #{leaver.pk}: personal data erased." in done.content.decode()
    assert leaver.email not in done.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.USER_PSEUDONYMISED, subject=erased).exists()
    assert audit_verify().ok


def test_the_erase_action_refuses_while_accounts_are_held(client, superadmin, leaver, account):
    client.force_login(superadmin)

    response = client.post(
        "/admin/accounts/user/",
        {"action": "erase_personal_data", "_selected_action": [leaver.pk], "confirmed": "yes"},
        follow=True,
    )

    assert "Deactivate and hand back first" in response.content.decode()
    assert User.objects.get(pk=leaver.pk).email == leaver.email


def test_the_admin_can_deactivate_and_hand_back_instead(client, superadmin, leaver):
    client.force_login(superadmin)

    client.post("/admin/accounts/user/", {"action": "deactivate_and_hand_back", "_selected_action": [leaver.pk]})

    leaver.refresh_from_db()
    assert not leaver.is_active
    assert AuditEvent.objects.filter(action=AuditAction.USER_DEACTIVATED, subject=leaver).exists()


def test_pseudonymising_erases_personal_fields_and_keeps_the_chain_verifiable(client, admin_user, leaver):
    TOTP.activate(leaver, generate_totp_secret())
    Token.objects.create(user=leaver)
    history = list(AuditEvent.objects.filter(subject=leaver).values_list("pk", flat=True))
    assert history and audit_verify().ok

    user_pseudonymise(actor=admin_user, user_id=leaver.pk)

    erased = User.objects.get(pk=leaver.pk)
    assert erased.email == f"erased-{leaver.pk}@invalid"
    assert (erased.first_name, erased.last_name, erased.display_name) == ("", "", f"erased-{leaver.pk}")
    assert not erased.is_active and not erased.has_usable_password()
    assert not EmailAddress.objects.filter(user=erased).exists()
    assert not Token.objects.filter(user=erased).exists()
    assert not erased.authenticator_set.exists()
    event = AuditEvent.objects.get(action=AuditAction.USER_PSEUDONYMISED)
    assert (event.actor, event.subject, event.target_id) == (admin_user, erased, str(erased.pk))
    assert "emma" not in str(event.payload).lower()
    assert set(AuditEvent.objects.filter(subject=erased).values_list("pk", flat=True)) >= set(history)
    report = audit_verify()
    assert report.ok, report.summary()
    assert client.post("/accounts/login/", {"login": "emma@example.com", "password": PASSWORD}).status_code == 200


def test_it_refuses_while_candor_still_holds_their_accounts(admin_user, account):
    person = account.owner
    events = AuditEvent.objects.count()

    with pytest.raises(Conflict, match="Deactivate and hand back first"):
        user_pseudonymise(actor=admin_user, user_id=person.pk)

    person.refresh_from_db()
    assert person.email == "emma@example.com" and person.is_active
    assert AuditEvent.objects.count() == events
    account_disconnect(actor=person, account_id=account.pk)
    assert user_pseudonymise(actor=admin_user, user_id=person.pk).email.startswith("erased-")


def test_only_another_admin_can_erase(admin_user, author, leaver):
    with pytest.raises(NotAllowed):
        user_pseudonymise(actor=author, user_id=leaver.pk)
    with pytest.raises(NotAllowed):
        user_pseudonymise(actor=admin_user, user_id=admin_user.pk)


def test_erasing_twice_records_it_once(admin_user, leaver):
    user_pseudonymise(actor=admin_user, user_id=leaver.pk)
    user_pseudonymise(actor=admin_user, user_id=leaver.pk)

    assert AuditEvent.objects.filter(action=AuditAction.USER_PSEUDONYMISED).count() == 1
    assert audit_verify().ok


def test_erasing_someone_still_active_hands_back_and_ends_their_enrollment(
    admin_user, leaver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user_pseudonymise(actor=admin_user, user_id=leaver.pk)

    assert Enrollment.objects.get(user=leaver).status == Enrollment.Status.LEFT
    case = Offboarding.objects.get(user=leaver)
    assert (case.started_by, case.state) == (admin_user, Offboarding.State.COMPLETED)
    assert AuditEvent.objects.filter(action=AuditAction.USER_DEACTIVATED, subject=leaver).exists()
