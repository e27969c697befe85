"""What Candor takes from the identity provider's claims (no provider needed)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from accounts.models import Role
from accounts.sso import IdentityClaims, asserts_mfa, role_for, sign_in_refusal
from advocacy.settings.environment import CandorEnv
from advocacy.settings.sso import sso_role_groups


def claims(**id_token) -> IdentityClaims:
    userinfo = {"email": "nina@acme.example", "email_verified": True, "name": "Nina Novak"}
    return IdentityClaims.from_extra_data({"userinfo": userinfo, "id_token": {"sub": "1", **id_token}})


def test_groups_amr_and_acr_are_read_from_the_id_token():
    read = claims(groups=["Comms"], amr=["pwd", "mfa"], acr="urn:acme:2fa")

    assert (read.email, read.email_verified, read.name) == ("nina@acme.example", True, "Nina Novak")
    assert read.groups == ("Comms",)
    assert read.amr == ("pwd", "mfa")
    assert read.acr == "urn:acme:2fa"


def test_a_string_true_counts_as_verified_and_anything_else_does_not():
    assert IdentityClaims.from_extra_data({"userinfo": {"email": "a@b.c", "email_verified": "true"}}).email_verified
    assert not IdentityClaims.from_extra_data({"userinfo": {"email": "a@b.c", "email_verified": "yes"}}).email_verified
    assert not IdentityClaims.from_extra_data({"userinfo": {"email": "a@b.c"}}).email_verified


def test_the_groups_claim_name_is_configurable(settings):
    settings.CANDOR_SSO_GROUPS_CLAIM = "roles"

    assert claims(roles=["Candor Admins"], groups=["Ignored"]).groups == ("Candor Admins",)


def test_refusals_name_the_rule(settings):
    settings.CANDOR_SSO_ALLOWED_DOMAINS = ["acme.example"]
    missing = IdentityClaims.from_extra_data({"userinfo": {"sub": "1"}})
    unverified = IdentityClaims.from_extra_data({"userinfo": {"email": "x@acme.example", "email_verified": False}})
    foreign = IdentityClaims.from_extra_data({"userinfo": {"email": "x@else.example", "email_verified": True}})

    assert "did not tell Candor your email address" in sign_in_refusal(missing)
    assert "has not verified your email address (x@acme.example)" in sign_in_refusal(unverified)
    assert "x@else.example is not a work address of this organisation (acme.example)" in sign_in_refusal(foreign)
    assert sign_in_refusal(claims()) is None


def test_without_allowed_domains_the_sign_up_domains_apply(settings):
    settings.CANDOR_SSO_ALLOWED_DOMAINS = []
    settings.CANDOR_SIGNUP_DOMAINS = ["other.example"]

    assert "not a work address" in sign_in_refusal(claims())


def test_a_refusal_is_in_the_persons_language(settings):
    settings.CANDOR_SSO_ALLOWED_DOMAINS = ["acme.example"]
    foreign = IdentityClaims.from_extra_data({"userinfo": {"email": "x@else.example", "email_verified": True}})

    with translation.override("de"):
        assert "keine geschäftliche Adresse" in sign_in_refusal(foreign)


def test_without_a_mapping_the_provider_does_not_decide_roles(settings):
    settings.CANDOR_SSO_ROLE_GROUPS = {}

    assert role_for(claims(groups=["Candor Admins"])) is None


def test_the_most_capable_mapped_role_wins_and_unmapped_people_are_employees(settings):
    settings.CANDOR_SSO_ROLE_GROUPS = {"admin": ["Candor Admins"], "comms_author": ["Comms"]}

    assert role_for(claims(groups=["Comms", "Candor Admins"])) == Role.ADMIN
    assert role_for(claims(groups=["Comms"])) == Role.COMMS_AUTHOR
    assert role_for(claims(groups=["Warehouse"])) == Role.EMPLOYEE


def test_mfa_counts_only_when_the_provider_asserts_a_trusted_value(settings):
    settings.CANDOR_SSO_MFA_AMR = ["mfa"]
    settings.CANDOR_SSO_MFA_ACR = ["urn:acme:2fa"]

    assert asserts_mfa(claims(amr=["pwd", "mfa"]))
    assert asserts_mfa(claims(acr="urn:acme:2fa"))
    assert not asserts_mfa(claims(amr=["pwd"], acr="urn:acme:1fa"))
    assert not asserts_mfa(claims())


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["admin"]', "must be a JSON object"),
        ('{"boss": ["Bosses"]}', "unknown roles"),
        ('{"admin": [1]}', "must be a list of group names"),
    ],
)
def test_a_bad_role_mapping_is_a_configuration_error(monkeypatch, raw, message):
    monkeypatch.setenv("CANDOR_SSO_ROLE_GROUPS", raw)

    with pytest.raises(ImproperlyConfigured, match=message):
        sso_role_groups(CandorEnv())


def test_a_role_mapping_is_read_from_json(monkeypatch):
    monkeypatch.setenv("CANDOR_SSO_ROLE_GROUPS", '{"admin": "Candor Admins", "comms_author": ["Comms", "PR"]}')

    assert sso_role_groups(CandorEnv()) == {"admin": ["Candor Admins"], "comms_author": ["Comms", "PR"]}
