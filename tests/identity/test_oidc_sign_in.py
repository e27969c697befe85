"""Sign-in through the company's identity provider, end to end: Chromium, Candor's
live server and a real OpenID Connect provider (npm ``oidc-provider``) on loopback."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import expect

from accounts.models import Role, User
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_first_sign_in_creates_the_person_and_the_second_finds_them_again(page, live_server, sso, sso_sign_in):
    sso.add_person("nina@acme.example", name="Nina Novak")

    sso_sign_in(page, "nina@acme.example")

    expect(page.get_by_text("Nina Novak").first).to_be_visible()
    nina = User.objects.get(email="nina@acme.example")
    assert (nina.display_name, nina.first_name, nina.last_name) == ("Nina Novak", "Nina", "Novak")
    assert nina.role == Role.EMPLOYEE
    assert not nina.has_usable_password()
    created = AuditEvent.objects.get(action=AuditAction.USER_CREATED, subject_id=nina.pk)
    assert created.payload["new"]["source"] == "acme"

    sso_sign_in(page, "nina@acme.example")

    expect(page.get_by_text("Nina Novak").first).to_be_visible()
    assert User.objects.filter(email="nina@acme.example").count() == 1
    assert SocialAccount.objects.get(user=nina).provider == "acme"
    assert AuditEvent.objects.filter(action=AuditAction.USER_LOGGED_IN, subject_id=nina.pk).count() == 2


def test_a_person_already_in_candor_is_matched_by_their_verified_email(page, live_server, sso, sso_sign_in):
    emma = UserFactory(email="emma@acme.example", display_name="Emma Employee", role=Role.COMMS_AUTHOR)
    sso.add_person("emma@acme.example", name="Emma E.")

    sso_sign_in(page, "emma@acme.example")

    expect(page.get_by_text("Emma Employee").first).to_be_visible()
    assert User.objects.get(email="emma@acme.example").role == Role.COMMS_AUTHOR
    assert User.objects.filter(email="emma@acme.example").count() == 1
    assert SocialAccount.objects.get(provider="acme").user == emma


def test_an_unverified_email_is_refused_with_the_reason(page, live_server, sso, sso_sign_in):
    sso.add_person("ivo@acme.example", name="Ivo Unverified", email_verified=False)

    sso_sign_in(page, "ivo@acme.example")

    expect(page.get_by_text("has not verified your email address (ivo@acme.example)")).to_be_visible()
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    assert not User.objects.filter(email="ivo@acme.example").exists()


def test_an_address_outside_the_organisations_domains_is_refused(page, live_server, sso, sso_sign_in):
    sso.add_person("fred", email="fred@elsewhere.example", name="Fred Foreign")

    sso_sign_in(page, "fred")

    expect(page.get_by_text("fred@elsewhere.example is not a work address of this organisation")).to_be_visible()
    expect(page.get_by_text("acme.example")).to_be_visible()
    assert not User.objects.filter(email="fred@elsewhere.example").exists()


def test_roles_follow_the_groups_claim_when_a_mapping_is_configured(page, live_server, settings, sso, sso_sign_in):
    settings.CANDOR_SSO_ROLE_GROUPS = {"comms_author": ["Comms"], "comms_reviewer": ["Comms Leads"]}
    sso.add_person("carla@acme.example", name="Carla Comms", groups=["Staff", "Comms"])
    sso.add_person("sam@acme.example", name="Sam Staff", groups=["Staff"])

    sso_sign_in(page, "carla@acme.example")
    sso_sign_in(page, "sam@acme.example")

    assert User.objects.get(email="carla@acme.example").role == Role.COMMS_AUTHOR
    assert User.objects.get(email="sam@acme.example").role == Role.EMPLOYEE

    # Carla moves to the leads' group at the provider: her next sign-in follows it.
    sso.add_person("carla@acme.example", name="Carla Comms", groups=["Staff", "Comms", "Comms Leads"])
    sso_sign_in(page, "carla@acme.example")

    carla = User.objects.get(email="carla@acme.example")
    assert carla.role == Role.COMMS_REVIEWER
    change = AuditEvent.objects.filter(action=AuditAction.USER_ROLE_CHANGED, subject_id=carla.pk).latest("sequence")
    assert change.actor_id is None
    assert change.payload["new"] == {"role": Role.COMMS_REVIEWER, "source": "acme"}


def test_without_a_mapping_everyone_new_is_an_employee_whatever_their_groups(page, live_server, sso, sso_sign_in):
    sso.add_person("gia@acme.example", name="Gia Group", groups=["Candor Admins"])

    sso_sign_in(page, "gia@acme.example")

    assert User.objects.get(email="gia@acme.example").role == Role.EMPLOYEE


def test_a_reviewer_must_still_set_up_mfa_unless_the_provider_asserts_it(page, live_server, settings, sso, sso_sign_in):
    settings.CANDOR_REQUIRE_MFA = True
    UserFactory(email="rita@acme.example", display_name="Rita Reviewer", role=Role.COMMS_REVIEWER)
    sso.add_person("rita@acme.example", name="Rita Reviewer", amr=["pwd"])

    sso_sign_in(page, "rita@acme.example")
    page.goto(f"{live_server.url}/comms/review/")

    # Sent to set up an authenticator (allauth first asks them to confirm who they are).
    assert page.url.startswith(f"{live_server.url}/accounts/")
    assert "totp" in unquote(page.url)
    expect(page.get_by_text("Your role requires two-factor authentication")).to_be_visible()

    # The same person, signing in with a second factor at the provider.
    sso.add_person("rita@acme.example", name="Rita Reviewer", amr=["pwd", "mfa"])
    sso_sign_in(page, "rita@acme.example")
    page.goto(f"{live_server.url}/people/")

    assert "/accounts/2fa/" not in page.url
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_a_trusted_acr_value_counts_as_a_second_factor(page, live_server, settings, sso, sso_sign_in):
    settings.CANDOR_REQUIRE_MFA = True
    settings.CANDOR_SSO_MFA_ACR = ["urn:acme:loa:2fa"]
    UserFactory(email="ada@acme.example", display_name="Ada Admin", role=Role.ADMIN)
    sso.add_person("ada@acme.example", name="Ada Admin", acr="urn:acme:loa:2fa")

    sso_sign_in(page, "ada@acme.example")
    page.goto(f"{live_server.url}/people/")

    assert "/accounts/2fa/" not in page.url
