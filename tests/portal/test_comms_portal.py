"""The comms portal: write, review with four eyes, publish, retire."""

import pytest

from advocacy.audit.models import AuditEvent
from advocacy.drafts.models import Draft
from tests.support.scenario import publish_draft

pytestmark = pytest.mark.django_db

DRAFT = {
    "title": "Launch",
    "body": "Our new robot ships today.",
    "language": "en",
    "networks": ["bluesky", "x"],
}


def test_the_full_review_cycle_in_the_portal(client, author, reviewer, enrolled):
    client.force_login(author)
    client.post("/comms/drafts/new/", DRAFT)
    draft = Draft.objects.get()
    client.post(f"/comms/drafts/{draft.pk}/submit/")

    client.force_login(reviewer)
    client.post(f"/comms/drafts/{draft.pk}/request-changes/", {"comment": "Add the price, please."})
    client.force_login(author)
    client.post(f"/comms/drafts/{draft.pk}/edit/", {**DRAFT, "body": "Our new robot ships today at €999."})
    client.post(f"/comms/drafts/{draft.pk}/submit/")
    client.force_login(reviewer)
    client.post(f"/comms/drafts/{draft.pk}/approve/", {"comment": "Good."})
    client.force_login(author)
    client.post(f"/comms/drafts/{draft.pk}/publish/")

    draft.refresh_from_db()
    assert draft.state == "published"
    assert draft.published_version.number == 2
    diff = client.get(f"/comms/drafts/{draft.pk}/diff/?from=1&to=2")
    assert "€999" in diff.content.decode()
    client.force_login(enrolled)
    assert "€999" in client.get("/feed/").content.decode()


def test_the_author_of_a_version_cannot_approve_it(client, reviewer):
    client.force_login(reviewer)
    client.post("/comms/drafts/new/", DRAFT)
    draft = Draft.objects.get()
    client.post(f"/comms/drafts/{draft.pk}/submit/")

    page = client.get(f"/comms/drafts/{draft.pk}/").content.decode()
    response = client.post(f"/comms/drafts/{draft.pk}/approve/", follow=True)

    assert "someone else must approve it" in page
    assert "Four eyes" in response.content.decode()
    assert Draft.objects.get().state == "in_review"
    assert AuditEvent.objects.filter(action="draft.approval_refused", actor=reviewer).exists()


def test_an_over_long_draft_is_refused_with_count_and_limit(client, author):
    client.force_login(author)
    response = client.post("/comms/drafts/new/", {**DRAFT, "body": "x" * 290})

    html = response.content.decode()
    assert "Too long for X" in html and "280" in html
    assert not Draft.objects.exists()


def test_mentions_are_flagged_for_the_reviewer_not_blocked(client, author, reviewer):
    client.force_login(author)
    client.post("/comms/drafts/new/", {**DRAFT, "body": "Thanks @senator for nothing."})
    draft = Draft.objects.get()
    client.post(f"/comms/drafts/{draft.pk}/submit/")
    client.force_login(reviewer)

    queue = client.get("/comms/review/").content.decode()
    detail = client.get(f"/comms/drafts/{draft.pk}/").content.decode()

    assert "mention" in queue
    assert "@senator" in detail


def test_employees_cannot_open_the_comms_portal(client, employee):
    client.force_login(employee)
    assert client.get("/comms/").status_code == 403
    assert client.get("/comms/drafts/new/").status_code == 403
    assert client.get("/comms/review/").status_code == 403


@pytest.mark.parametrize("rows", [2, 20])
def test_review_queue_uses_a_fixed_number_of_queries(client, author, reviewer, rows, django_assert_max_num_queries):
    from advocacy.drafts import services

    for index in range(rows):
        draft = services.draft_create(
            actor=author, title=f"D{index}", content=services.DraftContent(body="Hello", networks=["x"])
        )
        services.draft_submit(actor=author, draft_id=draft.pk)
    client.force_login(reviewer)

    with django_assert_max_num_queries(8):
        assert client.get("/comms/review/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/comms/").status_code == 200


def test_participation_page_hides_small_groups(client, admin_user, author, reviewer):
    from tests.factories import UserFactory

    for _ in range(5):
        UserFactory(team="Warehouse")
    UserFactory(team="Legal")
    client.force_login(admin_user)

    html = client.get("/programme/participation/").content.decode()

    assert "Warehouse" in html and "too few to show" in html
    assert "Legal" in html
    # Named people never appear on the page.
    assert author.email not in html and author.display_name not in html


def test_retiring_cancels_pending_shares(client, author, reviewer, account, later):
    from advocacy.sharing.services import share_create

    draft = publish_draft(author, reviewer)
    share = share_create(
        employee=account.owner,
        draft_id=draft.pk,
        account_id=account.pk,
        text="#employee · I work at Acme Robotics.\n\nRobots sort parcels faster.",
        scheduled_at=later,
    )
    client.force_login(author)
    client.post(f"/comms/drafts/{draft.pk}/retire/", {"comment": "Facts changed."})

    share.refresh_from_db()
    assert share.state == "cancelled"
    assert "Facts changed." in share.cancelled_reason


def _team(name: str, size: int, *, taking_part: int, policy) -> None:
    from advocacy.program.services import enrollment_opt_in
    from tests.factories import UserFactory

    for index in range(size):
        person = UserFactory(team=name)
        if index < taking_part:
            enrollment_opt_in(user=person, policy_version_id=policy.pk, accepted=True)


def _participation_rows(client) -> dict[str, str]:
    html = client.get("/programme/participation/").content.decode()
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    rows = {}
    for row in body.split("<tr>")[1:]:
        name = row.split("<td>")[1].split("</td>")[0]
        rows[name] = row
    return rows


@pytest.mark.parametrize(
    ("size", "taking_part", "shown"),
    [(7, 7, False), (10, 5, True), (10, 4, False), (10, 6, False), (10, 0, False)],
)
def test_a_teams_participation_shows_only_when_takers_and_others_are_both_enough(
    client, admin_user, policy, size, taking_part, shown
):
    _team("Warehouse", size, taking_part=taking_part, policy=policy)
    # Another safe team, so the whole organisation minus Warehouse is never the reason it is hidden.
    _team("Sales", 10, taking_part=5, policy=policy)
    client.force_login(admin_user)

    warehouse = _participation_rows(client)["Warehouse"]

    assert ("too few to show" not in warehouse) is shown
    if shown:
        assert f"{taking_part} ({round(100 * taking_part / size)}%)" in warehouse
