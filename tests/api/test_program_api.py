"""Policy, opting in and out, re-consent, and participation figures, over HTTP."""

import pytest

from accounts.models import Role
from advocacy.audit.models import AuditEvent
from tests.api.conftest import publish_policy, schedule
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_it_404s_in_json_before_any_policy(api_as, employee):
    response = api_as(employee).get("/api/policy/current/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_it_shows_the_current_policy_in_every_language(api_as, employee, admin_user):
    publish_policy(admin_user)
    api_as(admin_user).post(
        "/api/policy/",
        {"texts": {"en": {"title": "v2", "body": "Still voluntary."}, "de": {"title": "v2", "body": "Freiwillig."}}},
        format="json",
    )

    policy = api_as(employee).get("/api/policy/current/").json()

    assert policy["number"] == 2
    assert policy["texts"]["de"] == {"title": "v2", "body": "Freiwillig."}


def test_publishing_needs_an_english_text(api_as, admin_user):
    response = api_as(admin_user).post(
        "/api/policy/", {"texts": {"de": {"title": "Nur Deutsch", "body": "…"}}}, format="json"
    )

    assert response.status_code == 400
    assert "texts.en" in response.json()["error"]["fields"]


def test_it_refuses_unsupported_policy_languages(api_as, admin_user):
    response = api_as(admin_user).post(
        "/api/policy/",
        {"texts": {"en": {"title": "t", "body": "b"}, "fr": {"title": "t", "body": "b"}}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"texts": ["Use en, de, id or it."]}


@pytest.mark.parametrize("accept", [False, None])
def test_opting_in_needs_accept_true(api_as, employee, policy, accept):
    body = {"policy_version": policy.pk} | ({} if accept is None else {"accept": accept})

    response = api_as(employee).post("/api/enrollment/", body, format="json")

    assert response.status_code == 400
    assert "accept" in response.json()["error"]["fields"]
    assert api_as(employee).get("/api/enrollment/").json()["enrolled"] is False


def test_it_opts_in_and_records_consent(api_as, employee, policy):
    client = api_as(employee)

    status = client.post("/api/enrollment/", {"policy_version": policy.pk, "accept": True}, format="json").json()

    assert status["enrolled"] is True
    assert status["can_share"] is True
    assert status["policy_version"] == policy.pk
    assert status["joined_at"].endswith("Z")
    history = client.get("/api/enrollment/history/").json()
    assert [(e["kind"], e["policy_number"]) for e in history] == [("opted_in", 1)]


def test_a_new_policy_asks_for_reconsent_before_sharing_again(
    api_as, employee, admin_user, enrolled, published, account, policy
):
    version_2 = (
        api_as(admin_user)
        .post("/api/policy/", {"texts": {"en": {"title": "v2", "body": "Changed."}}}, format="json")
        .json()
    )
    client = api_as(employee)

    status = client.get("/api/enrollment/").json()
    assert (status["enrolled"], status["needs_reconsent"], status["can_share"]) == (True, True, False)
    assert status["current_policy_version"] == version_2["id"]
    refused = client.post("/api/shares/", {"draft": published.pk, "account": account.pk, "text": "x"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "policy_outdated"
    stale = client.post("/api/enrollment/", {"policy_version": policy.pk, "accept": True}, format="json")
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "policy_outdated"

    again = client.post("/api/enrollment/", {"policy_version": version_2["id"], "accept": True}, format="json")

    assert again.status_code == 200
    assert again.json()["needs_reconsent"] is False
    history = client.get("/api/enrollment/history/").json()
    assert [(e["kind"], e["policy_number"]) for e in history] == [("opted_in", 1), ("reconsented", 2)]


def test_leaving_cancels_every_scheduled_share_and_says_how_many(api_as, enrolled, published, account):
    first, second = schedule(enrolled, published, account), schedule(enrolled, published, account)
    client = api_as(enrolled)

    response = client.post("/api/enrollment/leave/")

    assert response.status_code == 200
    assert response.json() == {"cancelled_shares": 2}
    states = {s["id"]: s["state"] for s in client.get("/api/shares/").json()["results"]}
    assert states == {first.pk: "cancelled", second.pk: "cancelled"}
    assert client.get("/api/enrollment/").json()["status"] == "left"
    assert client.post("/api/enrollment/leave/").status_code == 409


def test_participation_hides_small_groups_and_names_nobody(api_as, admin_user, policy):
    from tests.api.conftest import enroll

    # A team is shown only when those who take part and those who don't are each at
    # least 5. Warehouse (4) and the admin without a team are hidden; together they are
    # 5 people of whom 1 takes part, so one more team (Comms, the first of two equal
    # ones) is hidden too, or "all minus the shown teams" would give them away.
    warehouse = [UserFactory(team="Warehouse") for _ in range(4)]
    comms = [UserFactory(team="Comms", role=Role.COMMS_AUTHOR) for _ in range(10)]
    sales = [UserFactory(team="Sales") for _ in range(10)]
    for person in [warehouse[0], *comms[:5], *sales[:5]]:
        enroll(person, policy)

    response = api_as(admin_user).get("/api/participation/")

    assert response.status_code == 200
    figures = response.json()
    assert figures["minimum_group_size"] == 5
    groups = {g["group"]: g for g in figures["groups"]}
    assert groups["Warehouse"] == {"group": "Warehouse", "shown": False}
    assert groups["—"] == {"group": "—", "shown": False}
    assert groups["Comms"] == {"group": "Comms", "shown": False}
    assert groups["Sales"] == {"group": "Sales", "shown": True, "members": 10, "participating": 5, "percent": 50}
    assert groups["all"] == {"group": "all", "shown": True, "members": 25, "participating": 11, "percent": 44}
    text = response.content.decode()
    for person in [*warehouse, *comms, *sales, admin_user]:
        assert person.email not in text
        assert person.display_name not in text


def test_participation_is_for_admins_only(api_as, employee):
    response = api_as(employee).get("/api/participation/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_opting_in_over_the_api_is_audited_as_api(api_as, employee, policy):
    api_as(employee).post("/api/enrollment/", {"policy_version": policy.pk, "accept": True}, format="json")

    event = AuditEvent.objects.get(action="consent.opted_in")
    assert (event.actor, event.via) == (employee, "api")
