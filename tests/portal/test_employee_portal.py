"""The employee portal, as a person uses it: join, share, change their mind, leave."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils.formats import date_format

from advocacy.drafts import services as drafts
from advocacy.portal import employee as employee_views
from advocacy.program.models import ConsentEvent, Enrollment
from advocacy.program.services import enrollment_opt_in, programme_settings_set
from advocacy.sharing.models import Share
from tests.support.scenario import connect, publish_draft

ROBOTS = "#employee · I work at Acme Robotics.\n\nRobots!"


def schedule(account, draft, when, text=ROBOTS) -> Share:
    """The account's owner schedules ``draft`` on it, as the composer would."""
    from advocacy.sharing.services import share_create

    return share_create(employee=account.owner, draft_id=draft.pk, account_id=account.pk, text=text, scheduled_at=when)


pytestmark = pytest.mark.django_db


def test_joining_needs_the_box_ticked(client, employee, policy):
    client.force_login(employee)

    refused = client.post("/programme/", {"policy_version": policy.pk})
    joined = client.post("/programme/", {"policy_version": policy.pk, "accept": "on"})

    assert "Consent must be given explicitly." in refused.content.decode()
    assert joined.status_code == 302
    assert Enrollment.objects.get(user=employee).status == "active"
    assert list(ConsentEvent.objects.filter(user=employee).values_list("kind", flat=True)) == ["opted_in"]


def test_the_opt_in_checkbox_starts_unticked(client, employee, policy):
    client.force_login(employee)
    html = client.get("/programme/").content.decode()
    assert 'name="accept"' in html
    assert "checked" not in html.split('name="accept"')[1].split(">")[0]


def test_sharing_schedules_in_my_time_zone(client, account, published, later):
    client.force_login(account.owner)
    page = client.get(f"/feed/{published.pk}/share/").content.decode()
    assert "#employee · I work at Acme Robotics." in page
    text = "#employee · I work at Acme Robotics.\n\nRobots sort parcels faster. I am proud of my team!"
    local = later.astimezone(ZoneInfo("Europe/Berlin")).replace(tzinfo=None)

    response = client.post(
        f"/feed/{published.pk}/share/",
        {
            "text": text,
            "accounts": [str(account.pk)],
            "when": "later",
            "scheduled_at": local.strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert response.status_code == 302
    share = Share.objects.get()
    assert share.scheduled_at == later
    assert share.text == text
    listing = client.get("/shares/").content.decode()
    assert date_format(local, "SHORT_DATETIME_FORMAT") in listing
    assert "Scheduled" in listing


@pytest.mark.parametrize(
    ("text", "rule_words"),
    [
        ("Robots sort parcels faster.", "disclosure"),
        ("Robots sort parcels faster. #employee · I work at Acme Robotics.", "must come first"),
        ("#emp\u200bloyee · I work at Acme Robotics.\n\nRobots!", "hidden characters"),
    ],
)
def test_removing_or_hiding_the_disclosure_is_refused(client, account, published, text, rule_words):
    client.force_login(account.owner)

    response = client.post(f"/feed/{published.pk}/share/", {"text": text, "accounts": [str(account.pk)], "when": "now"})

    assert response.status_code == 200
    assert rule_words in response.content.decode()
    assert not Share.objects.exists()


def test_live_preview_shows_counter_and_problems(client, enrolled):
    client.force_login(enrolled)
    ok = client.post("/preview/", {"text": "#employee · I work at Acme Robotics.\n\nHi", "network": ["x"]})
    long = client.post(
        "/preview/",
        {"text": "#employee · I work at Acme Robotics.\n\n" + "a" * 300, "network": ["x"], "language": "en"},
    )

    assert "40 / 280" in ok.content.decode()
    assert "Ready to post" in ok.content.decode()
    assert "Too long for X" in long.content.decode()


def test_a_scheduled_share_can_be_cancelled_but_not_once_sending(client, account, published, later):
    client.force_login(account.owner)
    first = schedule(account, published, later)
    second = schedule(account, published, later)
    Share.objects.filter(pk=second.pk).update(state=Share.State.SENDING)

    client.post(f"/shares/{first.pk}/cancel/")
    response = client.post(f"/shares/{second.pk}/cancel/", follow=True)

    assert Share.objects.get(pk=first.pk).state == "cancelled"
    assert Share.objects.get(pk=second.pk).state == "sending"
    assert "Sending has already started" in response.content.decode()


def test_leaving_cancels_pending_shares_and_says_how_many(client, account, published, later):
    for _ in range(3):
        schedule(account, published, later)
    client.force_login(account.owner)

    confirm = client.get("/programme/leave/").content.decode()
    done = client.post("/programme/leave/", follow=True).content.decode()

    assert "Your 3 scheduled posts will be cancelled" in confirm
    assert "3 scheduled posts were cancelled" in done
    assert set(Share.objects.values_list("state", flat=True)) == {"cancelled"}


def test_someone_elses_share_is_not_found(client, account, published, other_employee, later):
    share = schedule(account, published, later)
    client.force_login(other_employee)

    assert client.get(f"/shares/{share.pk}/").status_code == 404
    assert client.post(f"/shares/{share.pk}/cancel/").status_code == 404
    assert Share.objects.get().state == "scheduled"


def test_my_data_export_never_contains_credentials(client, account):
    client.force_login(account.owner)
    response = client.get("/my-data/export.json")

    assert response.status_code == 200
    body = response.content.decode()
    assert "emma.test" in body
    assert "planted-secret-app-password" not in body
    assert "credentials" not in body


@pytest.mark.parametrize("rows", [2, 20])
def test_feed_and_my_shares_pages_use_a_fixed_number_of_queries(
    client, account, author, reviewer, later, rows, django_assert_max_num_queries
):
    for index in range(rows):
        draft = publish_draft(author, reviewer, title=f"Post {index}")
        schedule(
            account,
            draft,
            later + dt.timedelta(minutes=index),
            text="#employee · I work at Acme Robotics.\n\nRobots sort parcels faster.",
        )
    client.force_login(account.owner)

    with django_assert_max_num_queries(12):
        assert client.get("/feed/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/shares/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/").status_code == 200


def test_the_feed_shows_a_page_of_posts_and_links_to_older_ones(client, enrolled, author, reviewer, monkeypatch):
    monkeypatch.setattr(employee_views, "FEED_PAGE_SIZE", 2)
    for title in ("Alpha launch", "Beta launch", "Gamma launch"):
        publish_draft(author, reviewer, title=title)
    client.force_login(enrolled)

    newest = client.get("/feed/").content.decode()
    oldest = client.get("/feed/?page=2").content.decode()
    nonsense = client.get("/feed/?page=first").content.decode()
    far = client.get(f"/feed/?page={10**30}")

    assert "Gamma launch" in newest and "Beta launch" in newest and "Alpha launch" not in newest
    assert 'href="?page=2"' in newest and "Newer posts" not in newest
    assert "Alpha launch" in oldest and "Beta launch" not in oldest
    assert 'href="?page=1"' in oldest and "Older posts" not in oldest
    assert "Gamma launch" in nonsense and "Alpha launch" not in nonsense
    assert far.status_code == 200 and "nothing to share" in far.content.decode()


def test_a_retired_post_leaves_the_feed_at_once(client, enrolled, author, reviewer):
    publish_draft(author, reviewer, title="Alpha launch")
    retired = publish_draft(author, reviewer, title="Beta launch")
    client.force_login(enrolled)
    assert "Beta launch" in client.get("/feed/").content.decode()

    drafts.draft_retire(actor=author, draft_id=retired.pk)

    page = client.get("/feed/").content.decode()
    assert "Alpha launch" in page and "Beta launch" not in page


def test_share_buttons_follow_whoever_looks_not_who_looked_first(client, enrolled, other_employee, published):
    client.force_login(enrolled)
    assert "Share this" in client.get("/feed/").content.decode()

    client.force_login(other_employee)
    page = client.get("/feed/").content.decode()

    assert "Robots" in page and "You are not taking part" in page
    assert "Share this" not in page and f"/feed/{published.pk}/share/" not in page


def test_my_shares_link_each_post_and_explain_a_cancellation_in_my_language(client, account, author, published, later):
    share = schedule(account, published, later)
    drafts.draft_retire(actor=author, draft_id=published.pk)
    client.force_login(account.owner)

    page = client.get("/shares/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert f'<a href="/shares/{share.pk}/">Robots</a>' in page
    assert "Bluesky emma.test" in page
    assert "Abgebrochen" in page
    assert "Das Kommunikationsteam hat diesen Beitrag zurückgezogen." in page


def test_a_second_account_of_mine_is_offered_when_composing(client, account, published):
    connect(account.owner, handle="emma2.test")
    client.force_login(account.owner)
    page = client.get(f"/feed/{published.pk}/share/").content.decode()
    assert "emma.test" in page and "emma2.test" in page


def test_browser_line_endings_are_posted_as_plain_newlines(client, account, published, later):
    client.force_login(account.owner)
    text = "#employee · I work at Acme Robotics.\r\n\r\nRobots sort parcels faster."

    client.post(f"/feed/{published.pk}/share/", {"text": text, "accounts": [str(account.pk)], "when": "now"})

    assert Share.objects.get().text == "#employee · I work at Acme Robotics.\n\nRobots sort parcels faster."


# --- one share to several networks: all or none ------------------------------------------------

# 290 characters after the disclosure line: within Bluesky's 300 graphemes, over X's 280.
TOO_LONG_FOR_X = "#employee · I work at Acme Robotics.\n\n" + "Robots sort parcels faster. " * 9


def test_a_share_to_several_networks_that_fails_on_one_schedules_none(client, account, published):
    on_x = connect(account.owner, handle="emma_x", network="x")
    client.force_login(account.owner)

    response = client.post(
        f"/feed/{published.pk}/share/",
        {"text": TOO_LONG_FOR_X, "accounts": [str(account.pk), str(on_x.pk)], "when": "now"},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "X (emma_x)" in page
    assert "Nothing was scheduled." in page
    assert not Share.objects.exists()
    again = client.post(
        f"/feed/{published.pk}/share/",
        {"text": TOO_LONG_FOR_X, "accounts": [str(account.pk)], "when": "now"},
    )
    assert again.status_code == 302
    assert list(Share.objects.values_list("network", flat=True)) == ["bluesky"]


def test_a_share_to_several_networks_schedules_them_all(client, account, published):
    on_x = connect(account.owner, handle="emma_x", network="x")
    client.force_login(account.owner)

    client.post(
        f"/feed/{published.pk}/share/",
        {"text": ROBOTS, "accounts": [str(account.pk), str(on_x.pk)], "when": "now"},
    )

    assert sorted(Share.objects.values_list("network", "state")) == [("bluesky", "scheduled"), ("x", "scheduled")]


# --- edited shares ------------------------------------------------------------------------------


@pytest.fixture
def edits_reviewed(admin_user):
    programme_settings_set(actor=admin_user, edited_shares_need_review=True)


def test_my_shares_say_an_edited_share_waits_for_a_review_and_why(client, edits_reviewed, account, published, later):
    share = schedule(account, published, later, text=ROBOTS)
    client.force_login(account.owner)

    listing = client.get("/shares/").content.decode()
    detail = client.get(f"/shares/{share.pk}/").content.decode()

    assert share.state == "review"
    assert "Awaiting review" in listing
    assert "edited" in listing
    assert "a comms reviewer checks it before it is sent" in listing
    assert "Your text differs from the approved post." in detail


def test_the_approved_text_shared_as_offered_goes_straight_to_scheduled(client, edits_reviewed, account, published):
    client.force_login(account.owner)
    offered = client.get(f"/feed/{published.pk}/share/").context["form"].initial["text"]

    client.post(f"/feed/{published.pk}/share/", {"text": offered, "accounts": [str(account.pk)], "when": "now"})

    share = Share.objects.get()
    assert (share.state, share.edited) == ("scheduled", False)
    assert "edited" not in client.get("/shares/").content.decode().split("<tbody>")[1]


def test_a_reviewer_approves_an_edited_share_in_the_review_queue(
    client, edits_reviewed, account, published, reviewer, later
):
    share = schedule(account, published, later)
    client.force_login(reviewer)

    queue = client.get("/comms/review/").content.decode()
    response = client.post(f"/comms/review/shares/{share.pk}/approve/")

    assert ROBOTS.split("\n")[-1] in queue
    assert response.status_code == 302
    share.refresh_from_db()
    assert (share.state, share.reviewed_by) == ("scheduled", reviewer)


def test_a_reviewer_cannot_approve_their_own_edited_share(client, edits_reviewed, reviewer, policy, published, later):
    enrollment_opt_in(user=reviewer, policy_version_id=policy.pk, accepted=True)
    share = schedule(connect(reviewer, handle="rita.test"), published, later)
    client.force_login(reviewer)

    queue = client.get("/comms/review/").content.decode()
    client.post(f"/comms/review/shares/{share.pk}/approve/")

    assert "yours — someone else must review" in queue
    share.refresh_from_db()
    assert share.state == "review"


def test_an_employee_cannot_reach_the_share_review(client, edits_reviewed, account, published, later, other_employee):
    share = schedule(account, published, later)
    client.force_login(other_employee)

    response = client.post(f"/comms/review/shares/{share.pk}/approve/")

    assert response.status_code == 403
    share.refresh_from_db()
    assert share.state == "review"
