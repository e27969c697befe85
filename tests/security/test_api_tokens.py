"""API tokens are personal. A token acts as its owner everywhere, so nobody else may
create one: the Django admin can list and revoke tokens but has no add form, never
shows a key, and the service refuses to issue a token for someone else."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.services import token_issue
from advocacy.audit.models import AuditEvent
from advocacy.core.errors import NotAllowed

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/accounts/apitoken/add/"


@pytest.fixture
def superadmin(admin_user) -> User:
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    return admin_user


def test_the_token_admin_has_no_add_page(client, superadmin):
    client.force_login(superadmin)

    assert client.get(ADD_URL).status_code == 403
    assert ADD_URL not in client.get("/admin/accounts/apitoken/").content.decode()


def test_posting_to_the_token_add_url_mints_nothing(client, superadmin, employee):
    client.force_login(superadmin)

    response = client.post(ADD_URL, {"user": employee.pk})

    assert response.status_code == 403
    assert not Token.objects.filter(user=employee).exists()
    assert not AuditEvent.objects.filter(action="token.issued").exists()


def test_the_token_admin_never_shows_a_key(client, superadmin, employee):
    token = token_issue(actor=employee, user=employee)
    client.force_login(superadmin)

    listing = client.get("/admin/accounts/apitoken/")
    detail = client.get(f"/admin/accounts/apitoken/{employee.pk}/change/")

    assert listing.status_code == detail.status_code == 200
    assert "Emma Employee" in listing.content.decode()
    assert token.key not in listing.content.decode() + detail.content.decode()


def test_an_admin_revokes_a_token_and_it_is_audited(client, superadmin, employee):
    token_issue(actor=employee, user=employee)
    client.force_login(superadmin)

    response = client.post(f"/admin/accounts/apitoken/{employee.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Token.objects.filter(user=employee).exists()
    event = AuditEvent.objects.get(action="token.revoked")
    assert (event.actor, event.subject, event.via) == (superadmin, employee, "admin")
    assert event.payload["new"] == {"by": "admin"}


def test_a_revoked_token_no_longer_signs_in(api, employee):
    token = token_issue(actor=employee, user=employee)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/auth/me/").status_code == 200

    api.delete("/api/auth/token/")

    assert api.get("/api/auth/me/").status_code in (401, 403)


def test_nobody_issues_a_token_for_someone_else_not_even_from_the_shell(admin_user, employee):
    with pytest.raises(NotAllowed, match="API tokens are personal") as refused:
        token_issue(actor=admin_user, user=employee)

    assert refused.value.code == "token_personal"
    assert not Token.objects.filter(user=employee).exists()


def test_a_token_needs_an_authenticator_where_the_role_requires_one(settings, reviewer):
    settings.CANDOR_REQUIRE_MFA = True

    with pytest.raises(NotAllowed) as refused:
        token_issue(actor=reviewer, user=reviewer)

    assert refused.value.code == "mfa_required"
    assert not Token.objects.filter(user=reviewer).exists()


def test_a_deactivated_person_gets_no_token(employee):
    employee.is_active = False
    employee.save(update_fields=["is_active"])

    with pytest.raises(NotAllowed):
        token_issue(actor=employee, user=employee)


@pytest.mark.parametrize("url", ["/admin/account/emailaddress/add/", "/admin/socialaccount/socialaccount/add/"])
def test_the_admin_cannot_give_someone_an_email_address_or_sso_link(client, superadmin, employee, url):
    client.force_login(superadmin)

    planted = {"user": employee.pk, "email": "ada@evil.example", "verified": "on", "primary": "on"}
    response = client.post(url, {**planted, "provider": "openid_connect", "uid": "ada", "extra_data": "{}"})

    assert response.status_code == 403
    assert not EmailAddress.objects.filter(email="ada@evil.example").exists()
    assert not SocialAccount.objects.filter(user=employee).exists()


def test_the_admin_still_lists_email_addresses(client, superadmin, employee):
    assert EmailAddress.objects.filter(user=employee).exists()  # the factory verified it
    client.force_login(superadmin)

    listing = client.get("/admin/account/emailaddress/")

    assert listing.status_code == 200 and employee.email in listing.content.decode()
