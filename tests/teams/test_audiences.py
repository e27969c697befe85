"""Audiences: a draft meant for chosen teams and/or languages reaches only them, on
every read path (feed, its cards, the share pages, the API feed, the digest), and
sharing it is refused for anyone else, in words."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Team
from accounts.teams import team_delete
from advocacy.core.errors import NotAllowed, ValidationFailed
from advocacy.drafts import services as drafts
from advocacy.drafts.selectors import feed_cards_for_employee, feed_for_employee
from advocacy.notifications.digests import digests_send_due
from advocacy.notifications.models import Notification, NotificationPreference
from advocacy.program.services import enrollment_opt_in
from advocacy.sharing.services import share_create
from tests.api.conftest import share_text
from tests.factories import UserFactory
from tests.support.scenario import connect

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(db):
    return {name: Team.objects.create(name=name) for name in ("Warehouse", "Sales")}


@pytest.fixture
def people(teams, policy):
    """Three people who take part: German in Warehouse, English in Sales, Italian in no team."""
    found = {
        "wanda": UserFactory(team=teams["Warehouse"], language="de"),
        "sam": UserFactory(team=teams["Sales"], language="en"),
        "nico": UserFactory(team=None, language="it"),
    }
    for person in found.values():
        enrollment_opt_in(user=person, policy_version_id=policy.pk, accepted=True)
    return found


@pytest.fixture
def publish(author, reviewer):
    def publish(title: str, *, teams=(), languages=()):
        content = drafts.DraftContent(
            body=f"{title}: robots sort parcels faster.",
            networks=["bluesky"],
            audience_teams=[team.pk for team in teams],
            audience_languages=list(languages),
        )
        draft = drafts.draft_create(actor=author, title=title, content=content)
        drafts.draft_submit(actor=author, draft_id=draft.pk)
        drafts.draft_approve(actor=reviewer, draft_id=draft.pk)
        return drafts.draft_publish(actor=author, draft_id=draft.pk)

    return publish


@pytest.fixture
def posts(publish, teams):
    return {
        "everyone": publish("Everyone"),
        "warehouse": publish("Warehouse only", teams=[teams["Warehouse"]]),
        "german": publish("German only", languages=["de"]),
        "sales_or_warehouse_in_english": publish(
            "Sales or Warehouse, English", teams=[teams["Sales"], teams["Warehouse"]], languages=["en"]
        ),
        "italian": publish("Italian only", languages=["it"]),
    }


EXPECTED = {
    "wanda": {"Everyone", "Warehouse only", "German only"},
    "sam": {"Everyone", "Sales or Warehouse, English"},
    "nico": {"Everyone", "Italian only"},
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_the_feed_and_its_cards_list_only_posts_meant_for_the_reader(people, posts, who):
    person = people[who]
    assert {draft.title for draft in feed_for_employee(user=person)} == EXPECTED[who]
    assert {card["title"] for card in feed_cards_for_employee(user=person, offset=0, limit=50)} == EXPECTED[who]


def test_the_portal_feed_and_share_page_show_only_posts_meant_for_the_reader(client, people, posts):
    client.force_login(people["sam"])
    page = client.get("/feed/").content.decode()
    assert "Sales or Warehouse, English" in page and "Warehouse only" not in page
    assert client.get(f"/feed/{posts['warehouse'].pk}/share/").status_code == 404
    assert client.get(f"/feed/{posts['warehouse'].pk}/share-as-is/").status_code == 404
    assert client.get(f"/feed/{posts['everyone'].pk}/share/").status_code == 200


def test_the_api_feed_lists_only_posts_meant_for_the_reader(api_as, people, posts):
    body = api_as(people["wanda"]).get("/api/feed/").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert {row["title"] for row in rows} == EXPECTED["wanda"]


def test_sharing_a_post_meant_for_others_is_refused_in_words(people, posts):
    sam = people["sam"]
    account = connect(sam, handle="sam.test")
    draft = posts["warehouse"]
    with pytest.raises(NotAllowed, match="meant for other teams or languages"):
        share_create(employee=sam, draft_id=draft.pk, account_id=account.pk, text=share_text(draft))
    share = share_create(
        employee=sam, draft_id=posts["everyone"].pk, account_id=account.pk, text=share_text(posts["everyone"])
    )
    assert share.pk


def test_the_api_refuses_a_share_of_a_post_meant_for_others(api_as, people, posts):
    sam = people["sam"]
    account = connect(sam, handle="sam.test")
    draft = posts["german"]
    response = api_as(sam).post(
        "/api/shares/", {"draft": draft.pk, "account": account.pk, "text": share_text(draft)}, format="json"
    )
    assert response.status_code == 403, response.content
    assert "meant for other teams or languages" in response.content.decode()


def test_the_digest_announces_only_posts_meant_for_the_reader(people, posts):
    for person in people.values():
        NotificationPreference.objects.create(user=person, digest=NotificationPreference.Digest.DAILY)
    digests_send_due(now=timezone.now() + dt.timedelta(minutes=5))
    for who, titles in EXPECTED.items():
        announced = Notification.objects.filter(user=people[who], kind=Notification.Kind.DRAFT_PUBLISHED)
        assert {note.title.split(": ", 1)[1] for note in announced} == titles


def test_deleting_the_only_team_a_post_is_for_never_opens_it_to_everyone(admin_user, people, posts, teams):
    team_delete(actor=admin_user, team_id=teams["Warehouse"].pk)
    for person in people.values():
        assert "Warehouse only" not in {draft.title for draft in feed_for_employee(user=person)}
    # The other team of a post for two teams still sees it.
    assert "Sales or Warehouse, English" in {d.title for d in feed_for_employee(user=people["sam"])}


@pytest.mark.parametrize(
    ("audience", "field"),
    [({"audience_teams": [987654]}, "audience_teams"), ({"audience_languages": ["fr"]}, "audience_languages")],
)
def test_an_unknown_team_or_language_is_refused_by_name(author, audience, field):
    content = drafts.DraftContent(body="Robots.", networks=["bluesky"], **audience)
    with pytest.raises(ValidationFailed) as refused:
        drafts.draft_create(actor=author, title="Robots", content=content)
    assert field in refused.value.fields


def test_the_comms_form_sets_the_audience_and_the_reviewer_sees_it(client, author, teams):
    client.force_login(author)
    response = client.post(
        "/comms/drafts/new/",
        {
            "title": "Warehouse news",
            "body": "Robots sort parcels faster.",
            "language": "en",
            "networks": ["bluesky"],
            "audience_teams": [teams["Warehouse"].pk],
            "audience_languages": ["de", "it"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response["Location"]).content.decode()
    assert "Teams: Warehouse" in page and "Languages: Deutsch, Italiano" in page


def test_the_api_sets_and_shows_the_audience_and_a_partial_edit_keeps_it(api_as, author, teams):
    api = api_as(author)
    body = {"title": "Robots", "body": "Robots sort parcels faster.", "networks": ["bluesky"]}
    created = api.post("/api/drafts/", {**body, "audience_teams": [teams["Sales"].pk]}, format="json")
    assert created.status_code == 201, created.content
    draft_id = created.json()["id"]
    assert created.json()["working_version"]["audience_teams"] == [teams["Sales"].pk]
    edited = api.patch(f"/api/drafts/{draft_id}/", {"body": "Robots sort parcels much faster."}, format="json")
    assert edited.json()["working_version"]["audience_teams"] == [teams["Sales"].pk]
    refused = api.patch(f"/api/drafts/{draft_id}/", {"audience_languages": ["fr"]}, format="json")
    assert refused.status_code == 400 and "audience_languages" in refused.content.decode()


def test_the_comms_team_finds_the_teams_to_choose_in_the_api(api_as, author, employee, teams):
    listed = api_as(author).get("/api/teams/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [(row["id"], row["name"]) for row in rows] == [
        (teams["Sales"].pk, "Sales"),
        (teams["Warehouse"].pk, "Warehouse"),
    ]
    assert api_as(employee).get("/api/teams/").status_code == 403
