"""Offboarding someone deactivates them: they cannot sign in, an open session stops
working, and they cannot rejoin the programme. Their audit trail stays."""

import pytest

from advocacy.audit.models import AuditEvent
from advocacy.audit.verify import audit_verify
from advocacy.ledger.offboarding import hand_back_run, offboarding_start
from advocacy.program.models import Enrollment
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_offboarding_through_the_people_page_ends_sign_in_and_rejoining(
    client, enrolled, policy, admin_user, networks, django_capture_on_commit_callbacks
):
    from django.test import Client

    assert client.login(email=enrolled.email, password=PASSWORD)
    admin = Client()
    admin.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/people/{enrolled.pk}/offboard/", {"reason": "Moving on"})
    assert response.status_code == 302

    # The session Emma already had no longer lets her in, nor back into the programme.
    assert client.get("/programme/").status_code == 302
    client.post("/programme/", {"policy_version": policy.pk, "accept": "on"})
    assert Enrollment.objects.get(user=enrolled).status == Enrollment.Status.LEFT
    client.logout()
    assert not client.login(email=enrolled.email, password=PASSWORD)


def test_the_offboarding_service_deactivates_on_the_record(enrolled, admin_user, networks):
    case = offboarding_start(actor=admin_user, user_id=enrolled.pk, reason="Contract ended")
    hand_back_run(offboarding_id=case.pk)

    enrolled.refresh_from_db()
    assert not enrolled.is_active
    event = AuditEvent.objects.get(action="user.deactivated", target_id=str(enrolled.pk))
    assert event.actor_id == admin_user.pk
    assert event.payload["new"]["reason"] == "Contract ended"
    assert AuditEvent.objects.filter(subject_id=enrolled.pk, action="consent.opted_in").exists(), "trail kept"
    assert audit_verify().ok
