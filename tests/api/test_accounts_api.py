"""An employee's own connected accounts over HTTP, and the reassignment that is
always refused."""

import pytest
from rest_framework.authtoken.models import Token

from advocacy.audit.models import AuditEvent
from advocacy.ledger.models import AccountEvent
from tests.api.conftest import connect, schedule

pytestmark = pytest.mark.django_db


def test_my_accounts_never_show_credentials(api_as, enrolled, account):
    response = api_as(enrolled).get("/api/accounts/")

    assert response.status_code == 200
    (listed,) = response.json()["results"]
    assert (listed["id"], listed["network"], listed["handle"], listed["status"]) == (
        account.pk, "bluesky", "emma.test", "active",
    )  # fmt: skip
    body = response.content.decode()
    assert "planted-secret-app-password" not in body
    assert "credentials" not in body
    assert account.credentials_encrypted not in body


def test_i_only_see_my_own_accounts(api_as, other_employee, account):
    connect(other_employee, handle="otto.test")

    listed = api_as(other_employee).get("/api/accounts/").json()["results"]

    assert [a["handle"] for a in listed] == ["otto.test"]


def test_disconnecting_cancels_scheduled_shares_and_deletes_the_credential(api_as, enrolled, published, account):
    share = schedule(enrolled, published, account)
    client = api_as(enrolled)

    response = client.delete(f"/api/accounts/{account.pk}/")

    assert response.status_code == 200
    assert response.json()["status"] == "disconnected"
    account.refresh_from_db()
    assert account.credentials_encrypted == ""
    share.refresh_from_db()
    assert share.state == "cancelled"
    assert client.delete(f"/api/accounts/{account.pk}/").status_code == 409
    events = client.get(f"/api/accounts/{account.pk}/events/").json()["results"]
    assert [e["kind"] for e in events] == ["connected", "disconnected"]
    assert events[1]["detail"] == {"cancelled_shares": 1}
    assert events[1]["actor"] == {"id": enrolled.pk, "name": enrolled.name}


@pytest.mark.parametrize(("method", "suffix"), [("get", "events/"), ("delete", "")])
def test_someone_elses_account_does_not_exist(api_as, other_employee, account, method, suffix):
    response = getattr(api_as(other_employee), method)(f"/api/accounts/{account.pk}/{suffix}")

    assert response.status_code == 404
    account.refresh_from_db()
    assert account.status == "active"


def test_an_account_is_never_reassigned_and_the_attempt_is_audited(api_as, admin_user, other_employee, account):
    response = api_as(admin_user).post(
        f"/api/accounts/{account.pk}/reassign/", {"new_owner": other_employee.pk}, format="json"
    )

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "personal_account_reassign"
    assert "can never be given to someone else" in error["message"]
    account.refresh_from_db()
    assert account.owner_id != other_employee.pk
    event = AuditEvent.objects.get(action="account.reassign_refused")
    assert (event.actor, event.target_id, event.via) == (admin_user, str(account.pk), "api")
    assert event.payload["new"] == {"attempted_owner": other_employee.pk}
    assert AccountEvent.objects.filter(account=account, kind="reassign_refused").count() == 1


def test_reassigning_is_not_even_attempted_for_non_admins(api_as, other_employee, account):
    response = api_as(other_employee).post(
        f"/api/accounts/{account.pk}/reassign/", {"new_owner": other_employee.pk}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not AuditEvent.objects.filter(action="account.reassign_refused").exists()


@pytest.mark.parametrize(("account_id", "new_owner", "status"), [(999_999, None, 404), (None, 999_999, 400)])
def test_reassigning_unknown_things_is_a_clear_error(api_as, admin_user, account, account_id, new_owner, status):
    url = f"/api/accounts/{account_id or account.pk}/reassign/"

    response = api_as(admin_user).post(url, {"new_owner": new_owner or admin_user.pk}, format="json")

    assert response.status_code == status


def test_the_token_endpoint_issues_my_own_token_once_and_audits_it(api_as, employee):
    client = api_as(employee)

    first = client.post("/api/auth/token/")
    again = client.post("/api/auth/token/")

    assert first.status_code == again.status_code == 200
    assert first.json()["token"] == again.json()["token"] == Token.objects.get(user=employee).key
    event = AuditEvent.objects.get(action="token.issued")
    assert (event.actor, event.subject, event.via) == (employee, employee, "api")
    assert first.json()["token"] not in str(event.payload)


def test_the_token_endpoint_refuses_a_reviewer_without_mfa(api_as, settings, reviewer):
    settings.CANDOR_REQUIRE_MFA = True

    response = api_as(reviewer).post("/api/auth/token/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_required"
    assert not Token.objects.filter(user=reviewer).exists()


def test_revoking_my_token_is_audited(api_as, employee):
    client = api_as(employee)
    client.post("/api/auth/token/")

    assert client.delete("/api/auth/token/").status_code == 204

    assert not Token.objects.filter(user=employee).exists()
    event = AuditEvent.objects.get(action="token.revoked")
    assert (event.actor, event.subject, event.payload["new"]) == (employee, employee, {"by": "self"})
