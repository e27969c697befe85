"""SCIM 2.0 provisioning at /scim/v2, driven the way Okta and Entra ID drive it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import Role, User
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.audit.verify import audit_verify
from advocacy.identity.models import ScimClient
from advocacy.identity.services import scim_client_revoke
from advocacy.ledger.models import ConnectedAccount, Offboarding
from advocacy.notifications.models import Notification
from advocacy.sharing.models import Share
from tests.factories import UserFactory
from tests.support.scenario import connect, publish_draft

pytestmark = pytest.mark.django_db
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
TEXT = "#employee · I work at Acme Robotics.\n\nRobots sort parcels faster."


def okta_user(email="nina@acme.example", given="Nina", family="Novak", **extra):
    return {
        "schemas": [USER, ENTERPRISE],
        "userName": email,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "displayName": f"{given} {family}",
        "externalId": "00u1abcd",
        "active": True,
        "preferredLanguage": "de-DE",
        "timezone": "Europe/Berlin",
        ENTERPRISE: {"department": "Warehouse"},
        **extra,
    }


def test_the_service_provider_config_declares_what_candor_supports_and_needs_no_token(client):
    response = client.get("/scim/v2/ServiceProviderConfig")
    config = response.json()

    assert response.status_code == 200
    assert config["patch"]["supported"] and config["filter"]["supported"] and config["sort"]["supported"]
    assert not config["bulk"]["supported"] and not config["changePassword"]["supported"]
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_without_a_valid_token_every_resource_is_refused_with_a_scim_error(scim, admin_user, okta):
    for token in ("", "candor_scim_not-a-token", "Bearer"):
        status, body = scim("GET", "/Users", token=token)
        assert status == 401
        assert body["schemas"] == [ERROR]

    scim_client_revoke(actor=admin_user, client_id=okta[0].pk)
    status, _ = scim("GET", "/Users")
    assert status == 401


def test_a_time_zone_or_language_candor_lacks_is_kept_for_the_idp_but_not_applied(scim):
    status, body = scim("POST", "/Users", okta_user(timezone="Mars/Olympus", preferredLanguage="tlh"))

    assert status == 201
    assert (body["timezone"], body["preferredLanguage"]) == ("Mars/Olympus", "tlh")
    nina = User.objects.get(email="nina@acme.example")
    assert (nina.time_zone, nina.language) == ("UTC", "en")


def test_creating_a_user_provisions_an_employee_who_signs_in_through_sso(scim, okta):
    status, body = scim("POST", "/Users", okta_user())

    assert status == 201
    nina = User.objects.get(email="nina@acme.example")
    assert body["id"] == str(nina.pk)
    assert body["userName"] == "nina@acme.example" and body["externalId"] == "00u1abcd"
    assert (nina.first_name, nina.last_name, nina.display_name) == ("Nina", "Novak", "Nina Novak")
    assert (nina.role, nina.language, nina.time_zone) == (Role.EMPLOYEE, "de", "Europe/Berlin")
    assert nina.team is not None and nina.team.name == "Warehouse"
    assert not nina.has_usable_password()
    assert EmailAddress.objects.get(user=nina).verified
    created = AuditEvent.objects.get(action=AuditAction.USER_CREATED, subject_id=nina.pk)
    assert created.actor_id is None
    assert created.payload["new"]["source"] == f"scim:{okta[0].pk} Okta"


def test_a_taken_email_or_username_is_a_uniqueness_error(scim, employee):
    status, body = scim("POST", "/Users", okta_user(email=employee.email))

    assert status == 409
    assert body["scimType"] == "uniqueness"


@pytest.mark.parametrize(
    ("body", "raw", "scim_type", "words"),
    [
        (None, "{not json", "invalidSyntax", ""),
        ({"schemas": [USER], "userName": "x@acme.example", "active": True}, None, "invalidValue", "emails"),
        (okta_user(emails=[{"value": "nobody-at-acme", "primary": True}]), None, "invalidValue", "email address"),
        (
            {"schemas": [USER], "userName": "x@acme.example", "emails": [{"value": "x@acme.example"}]},
            None,
            "invalidValue",
            "active",
        ),
        ({"schemas": [USER], "userName": "x@acme.example", "active": "maybe"}, None, "invalidValue", ""),
    ],
)
def test_bad_input_gets_a_scim_error_naming_the_problem_never_a_500(scim, body, raw, scim_type, words):
    status, error = scim("POST", "/Users", body, raw=raw)

    assert status == 400
    assert error["schemas"] == [ERROR]
    assert error["scimType"] == scim_type
    assert words in error.get("detail", "")
    assert not User.objects.filter(email="x@acme.example").exists()


def test_bad_filters_and_unknown_ids_get_scim_errors(scim):
    assert scim("GET", "/Users?filter=userName%20eq")[1]["scimType"] == "invalidFilter"
    assert scim("GET", "/Users/999999")[0] == 404
    assert scim("GET", "/Users/not-a-number")[0] == 404
    assert scim("PATCH", "/Users/999999", {"schemas": [PATCH], "Operations": []})[0] in (400, 404)


def test_okta_finds_an_existing_person_by_username_then_links_them(scim, employee):
    status, found = scim("GET", f'/Users?filter=userName%20eq%20"{employee.email}"')

    assert status == 200
    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == str(employee.pk)

    status, _ = scim("PUT", f"/Users/{employee.pk}", okta_user(email=employee.email, given="Emma", family="E"))
    assert status == 200
    employee.refresh_from_db()
    assert employee.scim_link.external_id == "00u1abcd"
    assert employee.last_name == "E"


def test_lists_are_paginated(scim):
    for n in range(5):
        UserFactory(email=f"p{n}@acme.example")

    status, page = scim("GET", "/Users?startIndex=2&count=2&sortBy=userName")

    assert status == 200
    assert page["totalResults"] == User.objects.count()
    assert page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [r["userName"] for r in page["Resources"]] == sorted(User.objects.values_list("email", flat=True))[1:3]


def test_entra_patch_forms_update_names_and_department(scim):
    _, created = scim("POST", "/Users", okta_user())
    operations = [
        {"op": "Replace", "path": "name.familyName", "value": "Novak-Rossi"},
        {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Logistics"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "nina.rossi@acme.example"},
        {"op": "replace", "value": {"displayName": "Nina Novak-Rossi"}},
    ]

    status, answer = scim("PATCH", f"/Users/{created['id']}", {"schemas": [PATCH], "Operations": operations})

    assert status == 200
    assert answer["name"]["familyName"] == "Novak-Rossi"
    nina = User.objects.get(pk=created["id"])
    assert (nina.last_name, nina.team.name, nina.email) == ("Novak-Rossi", "Logistics", "nina.rossi@acme.example")
    assert nina.display_name == "Nina Novak-Rossi"


@pytest.fixture
def leaver(enrolled, author, reviewer, admin_user):
    """Emma, enrolled, with a personal Bluesky account, a corporate X account in her
    custody, a pending share and an API token."""
    from advocacy.ledger.custody import custody_transfer_accept, custody_transfer_start
    from advocacy.ledger.services import account_connect
    from advocacy.networks import base as net
    from advocacy.sharing.services import share_create

    personal = connect(enrolled, handle="emma.test")
    corporate = account_connect(
        actor=admin_user,
        network="x",
        ownership=ConnectedAccount.Ownership.CORPORATE,
        identity=net.ConnectedAccount(
            handle="acme_news", external_id="42", service_url="", credentials={"access_token": "corp"}
        ),
    )
    transfer = custody_transfer_start(actor=admin_user, account_id=corporate.pk, to_user_id=enrolled.pk)
    custody_transfer_accept(actor=enrolled, transfer_id=transfer.pk)
    draft = publish_draft(author, reviewer)
    share_create(
        employee=enrolled,
        draft_id=draft.pk,
        account_id=personal.pk,
        text=TEXT,
        scheduled_at=timezone.now() + dt.timedelta(days=1),
    )
    Token.objects.create(user=enrolled)
    return enrolled


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "Replace", "path": "active", "value": "False"}],  # Entra ID
        [{"op": "replace", "value": {"active": False}}],  # Okta
    ],
    ids=["entra", "okta"],
)
def test_deactivating_through_scim_hands_everything_back_at_once(
    scim, okta, leaver, admin_user, networks, client, django_capture_on_commit_callbacks, operations
):
    client.force_login(leaver)
    token = Token.objects.get(user=leaver).key

    with django_capture_on_commit_callbacks(execute=True):
        status, answer = scim("PATCH", f"/Users/{leaver.pk}", {"schemas": [PATCH], "Operations": operations})

    assert status == 200 and answer["active"] is False
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert set(Share.objects.filter(employee=leaver).values_list("state", flat=True)) == {"cancelled"}
    accounts = {a.network: a for a in ConnectedAccount.objects.all()}
    assert accounts["bluesky"].status == "handed_back" and accounts["bluesky"].credentials_encrypted == ""
    # No manager named by the IdP: the admins are told the company account needs a custodian.
    notice = Notification.objects.get(user=admin_user, kind=Notification.Kind.CUSTODY)
    assert "acme_news" in notice.body and "no manager" in notice.body
    case = Offboarding.objects.get(user=leaver)
    assert case.started_by is None and "Okta" in case.reason
    assert case.receipt
    # Their open session and their API token stop working at once.
    assert client.get("/shares/").status_code == 302
    assert not Token.objects.filter(key=token).exists()
    sources = {
        e.payload.get("new", {}).get("source")
        for e in AuditEvent.objects.filter(subject_id=leaver.pk, action=AuditAction.TOKEN_REVOKED)
    }
    assert sources == {f"scim:{okta[0].pk} Okta"}
    assert audit_verify().ok

    _, again = scim("GET", f"/Users/{leaver.pk}")
    assert again["active"] is False


@pytest.mark.parametrize("value", ["{pk}", {"value": "{pk}"}], ids=["entra-string", "complex"])
def test_the_manager_the_idp_names_takes_over_the_company_accounts(
    scim, leaver, other_employee, networks, django_capture_on_commit_callbacks, value
):
    manager = {"value": str(other_employee.pk)} if isinstance(value, dict) else str(other_employee.pk)
    path = f"/Users/{leaver.pk}"
    add = {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": manager}
    assert scim("PATCH", path, {"schemas": [PATCH], "Operations": [add]})[0] == 200

    with django_capture_on_commit_callbacks(execute=True):
        scim("PATCH", path, {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]})

    corporate = ConnectedAccount.objects.get(network="x")
    assert corporate.owner == other_employee and corporate.status == "needs_reconnect"
    assert ConnectedAccount.objects.get(network="bluesky").status == "handed_back"
    assert not Notification.objects.filter(kind=Notification.Kind.CUSTODY, user__role=Role.ADMIN).exists()


def test_delete_offboards_and_the_person_is_gone_from_scim(scim, leaver, networks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        status, _ = scim("DELETE", f"/Users/{leaver.pk}")

    assert status == 204
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert Offboarding.objects.get(user=leaver).receipt
    assert scim("GET", f"/Users/{leaver.pk}")[0] == 404
    assert scim("DELETE", f"/Users/{leaver.pk}")[0] == 404
    # The person row stays for the audit trail.
    assert User.objects.filter(pk=leaver.pk).exists()


def test_reactivating_lets_them_sign_in_again(scim, leaver, networks, django_capture_on_commit_callbacks):
    path = f"/Users/{leaver.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        scim("PATCH", path, {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]})
    scim("PATCH", path, {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": True}]})

    leaver.refresh_from_db()
    assert leaver.is_active
    event = AuditEvent.objects.filter(action=AuditAction.USER_REACTIVATED, subject_id=leaver.pk).get()
    assert event.actor_id is None and event.payload["new"]["source"].endswith("Okta")


def test_an_admin_creates_a_client_whose_token_is_shown_once_and_stored_hashed(client, admin_user):
    client.force_login(admin_user)

    response = client.post("/admin/identity/scimclient/add/", {"name": "Entra ID"})

    assert response.status_code == 200
    page = response.content.decode()
    created = ScimClient.objects.get(name="Entra ID")
    token = page.split('data-testid="scim-token"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert token.startswith("candor_scim_") and token.endswith(created.token_hint)
    assert token not in json.dumps(list(ScimClient.objects.values()), default=str)
    assert not AuditEvent.objects.filter(payload__icontains=token).exists()
    assert AuditEvent.objects.get(action=AuditAction.TOKEN_ISSUED, target_id=str(created.pk)).actor == admin_user
    assert client.get("/admin/identity/scimclient/").status_code == 200
    assert token not in client.get(f"/admin/identity/scimclient/{created.pk}/change/").content.decode()


def test_only_admins_reach_the_provisioning_clients(client, reviewer):
    client.force_login(reviewer)

    assert client.get("/admin/identity/scimclient/add/").status_code in (302, 403)
