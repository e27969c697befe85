"""My notifications, and the export of everything Candor holds about me."""

import pytest

from advocacy.notifications.services import notify
from tests.api.conftest import schedule

pytestmark = pytest.mark.django_db


def note(user, title):
    return notify(user=user, kind="draft_published", title=title, email=False)


def test_it_lists_my_notifications_newest_first(api_as, employee, other_employee):
    first, second = note(employee, "First"), note(employee, "Second")
    note(other_employee, "Not mine")

    listed = api_as(employee).get("/api/notifications/").json()["results"]

    assert [n["id"] for n in listed] == [second.pk, first.pk]
    assert listed[0]["read_at"] is None


def test_it_marks_some_or_all_read(api_as, employee, other_employee):
    first, second, third = note(employee, "1"), note(employee, "2"), note(employee, "3")
    theirs = note(other_employee, "theirs")
    client = api_as(employee)

    assert client.post("/api/notifications/read/", {"ids": [first.pk, theirs.pk]}, format="json").json() == {
        "marked": 1
    }
    assert [n["id"] for n in client.get("/api/notifications/?unread=true").json()["results"]] == [third.pk, second.pk]
    assert client.post("/api/notifications/read/", {}, format="json").json() == {"marked": 2}
    assert client.get("/api/notifications/?unread=true").json()["count"] == 0
    assert client.get("/api/notifications/?unread=false").json()["count"] == 3
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_my_data_export_has_consent_accounts_shares_and_notifications(api_as, enrolled, published, account):
    share = schedule(enrolled, published, account)
    note(enrolled, "New post to share")

    response = api_as(enrolled).get("/api/me/export/")

    assert response.status_code == 200
    data = response.json()
    assert data["person"]["email"] == enrolled.email
    assert [(e["kind"], e["policy_version"]) for e in data["consent_history"]] == [("opted_in", 1)]
    assert [(a["network"], a["handle"], a["status"]) for a in data["connected_accounts"]] == [
        ("bluesky", "emma.test", "active")
    ]
    assert [(s["id"], s["state"], s["url"]) for s in data["shares"]] == [(share.pk, "scheduled", "")]
    assert [n["title"] for n in data["notifications"]] == ["New post to share"]
    body = response.content.decode()
    assert "planted-secret-app-password" not in body
    assert "credentials" not in body
