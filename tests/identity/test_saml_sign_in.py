"""Sign-in through SAML 2.0 against a real identity provider: pysaml2's IdP on
loopback (``tests/support/saml_idp.py``) signs the assertion with its own key, and
allauth's SAML provider (python3-saml) checks it, as configured by the SAML_IDP_*
variables. Candor's page, the IdP's sign-in form and the ACS post are each a real
HTTP request; only the browser is replaced by the test client and ``requests``."""

from __future__ import annotations

import os

import pytest
import requests

from accounts.models import User
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.invitations.csv_rows import InvitationRow
from advocacy.invitations.services import invitations_create
from advocacy.ledger.offboarding import offboarding_start
from advocacy.program.models import Enrollment
from advocacy.settings.environment import CandorEnv
from advocacy.settings.sso import sso_providers
from tests.support.saml_idp import (
    EMAIL,
    GIVEN_NAME,
    SURNAME,
    SamlIdpUnavailable,
    posted_form,
    running_saml_idp,
    self_signed,
)

pytestmark = pytest.mark.django_db

SLUG = "acme"
HOST = "candor.acme.example"  # python3-saml refuses single-label hosts such as "testserver"


@pytest.fixture
def saml_idp(tmp_path):
    try:
        with running_saml_idp(workdir=tmp_path) as idp:
            yield idp
    except SamlIdpUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the SAML identity provider: {exc}")
        pytest.skip(str(exc))


@pytest.fixture
def client(client, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    client.defaults["HTTP_HOST"] = HOST
    return client


@pytest.fixture
def saml(saml_idp, settings, monkeypatch, client):
    """Candor configured for ``saml_idp`` through its environment variables, and the
    IdP told about Candor from Candor's own SP metadata."""
    monkeypatch.setenv("SAML_IDP_ENTITY_ID", saml_idp.entity_id)
    monkeypatch.setenv("SAML_IDP_SSO_URL", saml_idp.sso_url)
    monkeypatch.setenv("SAML_IDP_X509CERT", saml_idp.certificate)
    monkeypatch.setenv("SAML_ORGANIZATION_SLUG", SLUG)
    settings.SOCIALACCOUNT_PROVIDERS = sso_providers(CandorEnv())
    settings.CANDOR_SSO_ALLOWED_DOMAINS = ["acme.example"]
    metadata = client.get(f"/accounts/saml/{SLUG}/metadata/")
    assert metadata.status_code == 200
    saml_idp.trust(metadata.content.decode())
    saml_idp.add_person("nina", **{EMAIL: "nina@acme.example", GIVEN_NAME: "Nina", SURNAME: "Neu"})
    saml_idp.add_person("eve", **{EMAIL: "eve@elsewhere.example", GIVEN_NAME: "Eve", SURNAME: "Else"})
    return saml_idp


def saml_sign_in(client, idp, login: str, password: str = "idp-password-123"):
    """Candor's SAML login, the IdP's form, and the signed response posted back."""
    start = client.post(f"/accounts/saml/{SLUG}/login/")
    assert start.status_code == 302, start.content[:500]
    assert start["Location"].startswith(idp.sso_url)
    form = requests.get(start["Location"], timeout=10)
    action, fields = posted_form(form.text.replace("'", '"'))
    answer = requests.post(action, data={**fields, "login": login, "password": password}, timeout=30)
    if answer.status_code != 200:
        return answer
    acs, posted = posted_form(answer.text)
    assert acs.endswith(f"/accounts/saml/{SLUG}/acs/")
    return client.post(acs.removeprefix(f"http://{HOST}"), posted, follow=True)


def signed_in(client) -> User | None:
    pk = client.session.get("_auth_user_id")
    return User.objects.filter(pk=pk).first() if pk else None


def test_a_first_saml_sign_in_creates_the_person_and_signs_them_in(client, saml):
    response = saml_sign_in(client, saml, "nina")
    nina = User.objects.get(email="nina@acme.example")
    assert signed_in(client) == nina
    assert response.status_code == 200
    assert (nina.first_name, nina.last_name) == ("Nina", "Neu")
    assert not nina.has_usable_password()
    created = AuditEvent.objects.get(action=AuditAction.USER_CREATED, subject_id=nina.pk)
    assert created.payload["new"]["source"] == saml.entity_id  # the IdP, not a person, vouched
    # Signing in through the IdP is not joining the programme.
    assert not Enrollment.objects.filter(user=nina).exists()


def test_a_second_sign_in_finds_the_same_person(client, saml):
    saml_sign_in(client, saml, "nina")
    client.logout()
    saml_sign_in(client, saml, "nina")
    assert User.objects.filter(email="nina@acme.example").count() == 1
    assert signed_in(client).email == "nina@acme.example"


def test_an_assertion_signed_with_another_key_is_refused(client, saml, tmp_path):
    # An impostor with the IdP's name but not its key: Candor trusts only the certificate
    # it was configured with.
    saml.signing_key, saml.signing_cert, _ = self_signed(tmp_path, "impostor")
    saml_sign_in(client, saml, "nina")
    assert signed_in(client) is None
    assert not User.objects.filter(email="nina@acme.example").exists()


def test_someone_invited_by_csv_is_matched_by_their_address(client, saml, admin_user):
    invited = invitations_create(
        actor=admin_user, rows=[InvitationRow(line=2, email="nina@acme.example", name="Nina N.", language="de")]
    ).invited[0]
    saml_sign_in(client, saml, "nina")
    assert signed_in(client) == invited
    assert User.objects.filter(email="nina@acme.example").count() == 1


def test_a_deactivated_person_is_refused_whatever_the_idp_says(client, saml, admin_user):
    saml_sign_in(client, saml, "nina")
    nina = User.objects.get(email="nina@acme.example")
    client.logout()
    offboarding_start(actor=admin_user, user_id=nina.pk, reason="Left")
    response = saml_sign_in(client, saml, "nina")
    assert signed_in(client) is None
    assert response.redirect_chain[-1][0] == "/accounts/inactive/"


def test_an_address_outside_the_organisations_domains_is_refused_with_the_reason(client, saml):
    response = saml_sign_in(client, saml, "eve")
    assert signed_in(client) is None
    assert not User.objects.filter(email="eve@elsewhere.example").exists()
    assert "eve@elsewhere.example is not a work address of this organisation (acme.example)" in (
        response.content.decode()
    )
