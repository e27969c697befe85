"""The public programme page and its JSON twin: policy and history, disclosures,
networks, and how many take part only when at least k do."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Role
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.program.services import enrollment_opt_in, policy_publish
from advocacy.public.services import public_name_set
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def people_taking_part(count: int, policy) -> None:
    for _ in range(count):
        user = UserFactory(role=Role.EMPLOYEE)
        enrollment_opt_in(user=user, policy_version_id=policy.pk, accepted=True)


def test_the_programme_page_shows_policy_history_and_the_disclosure_in_every_language(admin_user, policy):
    policy_publish(actor=admin_user, texts={"en": {"title": "Policy two", "body": "Still voluntary."}})
    response = Client().get("/programme/public/")
    page = response.content.decode()
    assert response.status_code == 200 and not response.cookies
    assert "Policy two" in page and "Still voluntary." in page
    assert "Version 1" in page  # the earlier version, in the history
    for disclosure in ("#employee · I work at Acme Robotics.", "#karyawan · Saya bekerja di Acme Robotics."):
        assert disclosure in page


def test_fewer_than_k_participants_are_not_counted_publicly(policy, settings):
    settings.CANDOR_MIN_GROUP_SIZE = 5
    people_taking_part(4, policy)
    page = Client().get("/programme/public/").content.decode()
    assert "Fewer than 5 people take part" in page
    assert Client().get("/.well-known/candor-programme.json").json()["participants"] is None
    people_taking_part(1, policy)
    assert "5 people take part" in Client().get("/programme/public/").content.decode()
    assert Client().get("/.well-known/candor-programme.json").json()["participants"] == 5


def test_the_json_document_carries_the_same_facts_and_may_be_read_from_anywhere(send_share, admin_user):
    send_share("mastodon")
    response = Client().get("/.well-known/candor-programme.json")
    facts = response.json()
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not response.cookies and "public" in response["Cache-Control"]
    assert facts["organisation"] == "Acme Robotics"
    assert (facts["voluntary"], facts["paid"]) == (True, False)
    assert facts["policy"]["current"] == 1
    assert facts["policy"]["versions"][0]["texts"]["en"]["body"] == "Voluntary, always."
    assert facts["disclosures"]["de"] == "Werbung · #Mitarbeiter · Ich arbeite bei Acme Robotics."
    assert "mastodon" in facts["networks"]
    assert facts["post_pages"].endswith("/p/{public_id}")


def test_an_employee_chooses_their_public_name_and_the_change_is_audited_without_the_name(client, enrolled):
    client.force_login(enrolled)
    assert client.get("/programme/public/my-name/").status_code == 200
    response = client.post("/programme/public/my-name/", {"name": "Emma from Logistics"}, follow=True)
    assert "Saved." in response.content.decode()
    assert enrolled.public_name.name == "Emma from Logistics"
    event = AuditEvent.objects.filter(action=AuditAction.PUBLIC_NAME_CHANGED).get()
    assert "Emma from Logistics" not in str(event.payload)


@pytest.mark.parametrize(
    ("name", "rule"), [("x" * 81, "at most 80 characters"), ("Emma\u200bLogistics", "must be visible text")]
)
def test_a_bad_public_name_is_refused_with_the_rule_it_broke(client, enrolled, name, rule):
    client.force_login(enrolled)
    response = client.post("/programme/public/my-name/", {"name": name})
    assert response.status_code == 200
    assert rule in response.content.decode()
    assert not hasattr(enrolled, "public_name") or enrolled.public_name.name == ""


def test_only_the_person_sets_their_public_name(enrolled):
    public_name_set(actor=enrolled, name="  Emma   E.  ")
    enrolled.refresh_from_db()
    assert enrolled.public_name.name == "Emma E."
