"""Login with django-allauth: email + password, verification, reset, rate limiting."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail

from accounts.adapters import CandorSocialAccountAdapter
from accounts.models import User
from advocacy.audit.models import AuditEvent
from advocacy.ledger.models import Offboarding
from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db
def test_it_logs_in_with_email_and_password(client, employee):
    response = client.post("/accounts/login/", {"login": employee.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_it_rejects_a_wrong_password_with_a_message(client, employee):
    response = client.post("/accounts/login/", {"login": employee.email, "password": "nope"})

    assert response.status_code == 200
    assert "not correct" in response.content.decode()


@pytest.mark.django_db
def test_it_requires_a_verified_email_before_login(client):
    user = UserFactory(email="new@example.com")
    EmailAddress.objects.filter(user=user).update(verified=False)

    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"].endswith("/accounts/confirm-email/")
    assert len(mail.outbox) == 1
    assert client.get("/").status_code == 302  # still not signed in


@pytest.mark.django_db
def test_it_resets_a_password_by_email(client, employee):
    client.post("/accounts/password/reset/", {"email": employee.email})

    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"password1": "a-new-long-password-42", "password2": "a-new-long-password-42"})

    assert response.status_code == 302
    employee.refresh_from_db()
    assert employee.check_password("a-new-long-password-42")


@pytest.mark.django_db
def test_it_throttles_repeated_failed_logins(client, employee, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip"}
    for _ in range(3):
        client.post("/accounts/login/", {"login": employee.email, "password": "wrong"})

    response = client.post("/accounts/login/", {"login": employee.email, "password": PASSWORD})

    # Even the right password is refused until the window passes.
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_self_signup_is_closed_by_default(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "x@example.com", "password1": "long-enough-pass-1", "password2": "long-enough-pass-1"},
    )

    assert "closed" in response.content.decode().lower()
    assert not User.objects.filter(email="x@example.com").exists()


@pytest.mark.django_db
def test_open_signup_is_limited_to_work_domains(client, settings):
    settings.CANDOR_SIGNUP_OPEN = True
    settings.CANDOR_SIGNUP_DOMAINS = ["acme.example"]
    data = {"password1": "long-enough-pass-1", "password2": "long-enough-pass-1"}

    refused = client.post("/accounts/signup/", {**data, "email": "me@gmail.example"})
    accepted = client.post("/accounts/signup/", {**data, "email": "me@acme.example"})

    assert "Use your work email address" in refused.content.decode()
    assert accepted.status_code == 302
    me = User.objects.get(email="me@acme.example")
    event = AuditEvent.objects.get(action="user.created")
    assert (event.actor, event.subject) == (me, me)
    assert event.payload["new"] == {"role": "employee", "is_active": True, "usable_password": True, "source": "signup"}


@pytest.mark.django_db
def test_someone_deactivated_elsewhere_is_handed_back_when_they_try_to_sign_in(client, account):
    person = account.owner
    # As an IdP sync or a shell would: no service, no hand-back.
    User.objects.filter(pk=person.pk).update(is_active=False)

    response = client.post("/accounts/login/", {"login": person.email, "password": PASSWORD})

    assert response.status_code == 302 and response.url == "/accounts/inactive/"
    case = Offboarding.objects.get(user=person)
    assert case.started_by is None and case.account_ids == [account.pk]
    assert AuditEvent.objects.filter(action="offboarding.started", subject=person, actor=None).exists()


@pytest.mark.django_db
def test_signing_in_deactivated_with_nothing_held_starts_nothing(client, employee):
    User.objects.filter(pk=employee.pk).update(is_active=False)

    client.post("/accounts/login/", {"login": employee.email, "password": PASSWORD})

    assert not Offboarding.objects.filter(user=employee).exists()


@pytest.mark.django_db
def test_a_person_provisioned_by_sso_is_recorded(rf):
    request = rf.get("/accounts/oidc/acme/login/callback/")
    request.session = SessionStore()
    login = SocialLogin(
        user=User(email="sso.person@example.com"), account=SocialAccount(provider="openid_connect", uid="sub-42")
    )

    person = CandorSocialAccountAdapter(request).save_user(request, login)

    event = AuditEvent.objects.get(action="user.created")
    assert (event.actor, event.subject) == (person, person)
    assert event.payload["new"]["source"] == "openid_connect"
    assert event.payload["new"]["usable_password"] is False
