"""What employees do over HTTP: read the feed, preview a text, share, reschedule,
cancel. Only their own shares exist for them."""

from __future__ import annotations

import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from advocacy.drafts import services as drafts
from advocacy.program.selectors import disclosure_for
from advocacy.sharing import engine
from advocacy.sharing.models import Share
from tests.api.conftest import ALL_NETWORKS, connect, later, published_draft, share_text, submitted_draft

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


# --- the feed ------------------------------------------------------------------------------


def test_the_feed_offers_each_network_a_text_with_the_disclosure_first(api_as, employee, published):
    response = api_as(employee).get("/api/feed/")

    assert response.status_code == 200
    (item,) = response.json()["results"]
    disclosure = disclosure_for(language="en")
    assert (item["id"], item["body"], item["networks"]) == (
        published.pk,
        "Our robots sort parcels faster.",
        ALL_NETWORKS,
    )
    assert set(item["texts"]) == set(ALL_NETWORKS)
    for text in item["texts"].values():
        assert text == f"{disclosure}\n\nOur robots sort parcels faster."
    assert item["image"] is None


def test_the_feed_shows_only_published_posts(api_as, employee, author, reviewer):
    submitted_draft(author, title="Not yet")
    retired = published_draft(author, reviewer, title="Withdrawn")
    api_as(author).post(f"/api/drafts/{retired.pk}/retire/", {}, format="json")
    live = published_draft(author, reviewer, title="Live")

    feed = api_as(employee).get("/api/feed/").json()["results"]

    assert [item["id"] for item in feed] == [live.pk]


# --- preview -------------------------------------------------------------------------------


def test_a_preview_of_a_good_text_is_ok(api_as, employee, published):
    text = share_text(published, "mastodon")

    check = api_as(employee).post("/api/preview/", {"text": text, "network": "mastodon"}, format="json").json()

    assert check == {
        "network": "mastodon",
        "ok": True,
        "count": len(text),
        "limit": 500,
        "unit": "characters",
        "problems": [],
    }


def test_a_preview_lists_problems_instead_of_failing(api_as, employee):
    response = api_as(employee).post(
        "/api/preview/", {"text": "  " + "Great news! " * 40, "network": "x"}, format="json"
    )

    assert response.status_code == 200
    check = response.json()
    assert check["ok"] is False
    assert check["limit"] == 280 and check["count"] > 280
    assert any("disclosure is missing" in p for p in check["problems"])
    assert any(f"{check['count']:,} of 280" in p for p in check["problems"])


def test_a_preview_uses_the_posts_language(api_as, employee):
    text = disclosure_for(language="de") + "\n\nNeues Lager in Leipzig."

    check = (
        api_as(employee)
        .post("/api/preview/", {"text": text, "network": "bluesky", "language": "de"}, format="json")
        .json()
    )

    assert check["ok"] is True


def _bluesky_post_with_image_and_link(author, reviewer, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "orange").save(out, "PNG")
    image = SimpleUploadedFile("robot.png", out.getvalue(), content_type="image/png")
    draft = drafts.draft_create(
        actor=author,
        title="Robots",
        content=drafts.DraftContent(
            body="Robots.",
            link="https://example.com/robots",
            networks=["bluesky"],
            image=image,
            image_alt="An orange square",
        ),
    )
    drafts.draft_submit(actor=author, draft_id=draft.pk)
    drafts.draft_approve(actor=reviewer, draft_id=draft.pk)
    return drafts.draft_publish(actor=author, draft_id=draft.pk)


def test_a_preview_of_a_feed_post_counts_the_link_bluesky_adds_and_agrees_with_the_share(
    api_as, enrolled, author, reviewer, tmp_path, settings
):
    draft = _bluesky_post_with_image_and_link(author, reviewer, tmp_path, settings)
    account = connect(enrolled, "bluesky")
    disclosure = disclosure_for(language="en")
    # 300 graphemes as typed; the link Bluesky adds (the post has an image) makes it longer.
    text = disclosure + "\n\n" + "a" * (300 - len(disclosure) - 2)
    body = {"text": text, "network": "bluesky", "account": account.pk}

    as_typed = api_as(enrolled).post("/api/preview/", body, format="json").json()
    as_posted = api_as(enrolled).post("/api/preview/", {**body, "draft": draft.pk}, format="json").json()
    share = api_as(enrolled).post(
        "/api/shares/", {"draft": draft.pk, "account": account.pk, "text": text}, format="json"
    )

    assert as_typed["ok"] is True
    assert as_posted["ok"] is False and as_posted["count"] > 300
    assert any("link is added to the text" in p for p in as_posted["problems"])
    assert share.status_code == 400 and "link is added to the text" in share.json()["error"]["message"]


def test_a_preview_of_a_post_not_in_my_feed_is_a_404(api_as, employee, author):
    unpublished = submitted_draft(author)

    response = api_as(employee).post(
        "/api/preview/", {"text": "x", "network": "bluesky", "draft": unpublished.pk}, format="json"
    )

    assert response.status_code == 404


def test_a_preview_with_someone_elses_account_is_a_404(api_as, other_employee, account):
    response = api_as(other_employee).post(
        "/api/preview/", {"text": "x", "network": "bluesky", "account": account.pk}, format="json"
    )

    assert response.status_code == 404


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=400) | st.text(alphabet=st.characters(), min_size=300, max_size=2000))
def test_a_preview_answers_200_for_any_unicode_at_all(api_as, employee, text):
    for network in ALL_NETWORKS:
        # json.dumps escapes everything to ASCII, so even unpaired surrogates reach the server.
        body = json.dumps({"text": text, "network": network})
        response = api_as(employee).post("/api/preview/", body, content_type="application/json")

        assert response.status_code == 200, (network, text, response.content)
        assert response.json()["ok"] is not bool(response.json()["problems"])


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("\x00", "The text contains a NUL character, which cannot be posted."),
        ("\ud800", "The text contains broken Unicode (an unpaired surrogate), which cannot be posted."),
    ],
)
def test_a_preview_reports_characters_that_can_never_be_posted(api_as, employee, published, bad, problem):
    body = json.dumps({"text": share_text(published, "x") + bad, "network": "x"})

    check = api_as(employee).post("/api/preview/", body, content_type="application/json").json()

    assert check["ok"] is False
    assert check["problems"] == [problem]


# --- sharing -------------------------------------------------------------------------------


def test_it_schedules_a_share(api_as, enrolled, published, account):
    when = later(days=3)

    response = api_as(enrolled).post(
        "/api/shares/",
        {"draft": published.pk, "account": account.pk, "text": share_text(published), "scheduled_at": when.isoformat()},
        format="json",
    )

    assert response.status_code == 201, response.content
    share = response.json()
    assert (share["state"], share["network"], share["account_handle"], share["editable"]) == (
        "scheduled", "bluesky", "emma.test", True,
    )  # fmt: skip
    assert share["scheduled_at"] == when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    assert api_as(enrolled).get("/api/shares/").json()["results"][0]["id"] == share["id"]


# --- one share to several networks: all or none -----------------------------------------------


def test_a_share_to_several_networks_that_fails_on_one_schedules_none(api_as, enrolled, published, account):
    on_x = connect(enrolled, handle="emma_x", network="x")
    too_long_for_x = share_text(published, "bluesky", extra=" Robots sort parcels faster." * 8)
    targets = [{"account": account.pk, "text": too_long_for_x}, {"account": on_x.pk, "text": too_long_for_x}]

    response = api_as(enrolled).post("/api/shares/batch/", {"draft": published.pk, "targets": targets}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["message"].startswith("X (emma_x): ")
    assert "Nothing was scheduled." in response.json()["error"]["message"]
    assert not Share.objects.exists()


def test_a_share_to_several_networks_schedules_them_all(api_as, enrolled, published, account, assert_documented):
    on_x = connect(enrolled, handle="emma_x", network="x")
    targets = [
        {"account": account.pk, "text": share_text(published, "bluesky")},
        {"account": on_x.pk, "text": share_text(published, "x")},
    ]

    response = api_as(enrolled).post("/api/shares/batch/", {"draft": published.pk, "targets": targets}, format="json")

    assert response.status_code == 201, response.content
    assert_documented(response, "POST", "/api/shares/batch/")
    assert [(s["network"], s["state"], s["edited"]) for s in response.json()["shares"]] == [
        ("bluesky", "scheduled", False),
        ("x", "scheduled", False),
    ]
    assert Share.objects.count() == 2


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Our robots sort parcels faster.", "The disclosure is missing"),
        ("Our robots sort parcels faster.\n\n#employee · I work at Acme Robotics.", "must come first"),
        ("\n\n#employee · I work at Acme Robotics.\n\nOur robots.", "must be the very first thing"),
        ("#emp\u200bloyee · I work at Acme Robotics.\n\nOur robots.", "must not contain hidden characters"),
    ],
)
def test_a_text_whose_disclosure_was_removed_or_moved_is_refused(api_as, enrolled, published, account, text, rule):
    response = api_as(enrolled).post(
        "/api/shares/", {"draft": published.pk, "account": account.pk, "text": text}, format="json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"].startswith("disclosure_")
    assert any(rule in message for message in error["fields"]["text"]), error
    assert not Share.objects.exists()


def test_a_text_too_long_for_the_network_says_by_how_much(api_as, enrolled, published, account):
    text = share_text(published, extra=" " + "a" * 400)

    response = api_as(enrolled).post(
        "/api/shares/", {"draft": published.pk, "account": account.pk, "text": text}, format="json"
    )

    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert f"Too long for Bluesky: {len(text):,} of 300 graphemes" in message


def test_a_time_without_an_offset_means_my_own_time_zone(api_as, enrolled, published, account):
    day = (timezone.now() + dt.timedelta(days=10)).astimezone(BERLIN).date()
    expected = dt.datetime.combine(day, dt.time(9, 30), tzinfo=BERLIN)
    client = api_as(enrolled)

    created = client.post(
        "/api/shares/",
        {"draft": published.pk, "account": account.pk, "text": share_text(published), "scheduled_at": f"{day}T09:30"},
        format="json",
    ).json()

    assert created["scheduled_at"] == expected.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    assert created["scheduled_at_local"] == expected.isoformat()
    assert created["time_zone"] == "Europe/Berlin"
    fetched = client.get(f"/api/shares/{created['id']}/").json()
    assert (fetched["scheduled_at"], fetched["scheduled_at_local"]) == (created["scheduled_at"], expected.isoformat())
    # An explicit offset is honoured as given.
    moved = client.patch(
        f"/api/shares/{created['id']}/", {"scheduled_at": f"{day}T12:00:00-05:00"}, format="json"
    ).json()
    assert moved["scheduled_at"] == f"{day}T17:00:00Z"
    assert dt.datetime.fromisoformat(moved["scheduled_at_local"]) == dt.datetime.fromisoformat(f"{day}T17:00:00+00:00")


def test_a_local_time_that_does_not_exist_is_refused(api_as, enrolled, published, account):
    response = api_as(enrolled).post(
        "/api/shares/",
        # Clocks in Berlin jump from 02:00 to 03:00 that night.
        {
            "draft": published.pk,
            "account": account.pk,
            "text": share_text(published),
            "scheduled_at": "2027-03-28T02:30",
        },
        format="json",
    )

    assert response.status_code == 400
    assert "scheduled_at" in response.json()["error"]["fields"]


def test_a_scheduled_share_can_be_edited_and_cancelled(api_as, enrolled, share):
    client = api_as(enrolled)
    new_text = share.text + " Proud of the team!"

    edited = client.patch(f"/api/shares/{share.pk}/", {"text": new_text}, format="json")
    assert edited.status_code == 200
    assert edited.json()["text"] == new_text

    cancelled = client.delete(f"/api/shares/{share.pk}/")
    assert cancelled.status_code == 200
    assert (cancelled.json()["id"], cancelled.json()["state"]) == (share.pk, "cancelled")
    assert cancelled.json()["editable"] is False


def test_an_edit_must_keep_the_disclosure(api_as, enrolled, share):
    response = api_as(enrolled).patch(f"/api/shares/{share.pk}/", {"text": "No disclosure now."}, format="json")

    assert response.status_code == 400
    assert "text" in response.json()["error"]["fields"]
    share.refresh_from_db()
    assert share.text.startswith("#employee")


def test_once_sending_has_started_a_share_cannot_be_changed(api_as, enrolled, share):
    engine.dispatch_due(now=share.scheduled_at + dt.timedelta(seconds=1))
    share.refresh_from_db()
    assert share.state == Share.State.SENDING
    client = api_as(enrolled)

    edit = client.patch(f"/api/shares/{share.pk}/", {"text": share.text + " more"}, format="json")
    cancel = client.delete(f"/api/shares/{share.pk}/")

    assert (edit.status_code, cancel.status_code) == (409, 409)
    assert edit.json()["error"]["code"] == cancel.json()["error"]["code"] == "share_locked"
    assert client.get(f"/api/shares/{share.pk}/").json()["editable"] is False


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_someone_elses_share_does_not_exist(api_as, other_employee, share, method):
    response = getattr(api_as(other_employee), method)(f"/api/shares/{share.pk}/", {"text": "mine now"}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    share.refresh_from_db()
    assert share.state == "scheduled"
    assert "mine now" not in share.text


def test_i_only_see_my_own_shares(api_as, other_employee, share):
    assert api_as(other_employee).get("/api/shares/").json() == {
        "count": 0, "next": None, "previous": None, "results": [],
    }  # fmt: skip


def test_sharing_to_someone_elses_account_is_refused(api_as, other_employee, policy, published, account):
    from tests.api.conftest import enroll

    enroll(other_employee, policy)

    response = api_as(other_employee).post(
        "/api/shares/", {"draft": published.pk, "account": account.pk, "text": share_text(published)}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"account": ["Not one of your accounts."]}


def test_an_unpublished_post_cannot_be_shared(api_as, enrolled, author, account):
    draft = submitted_draft(author)

    response = api_as(enrolled).post(
        "/api/shares/", {"draft": draft.pk, "account": account.pk, "text": "x"}, format="json"
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Our robots sort parcels faster.", "disclosure_missing"),
        ("Our robots sort parcels faster. #employee · I work at Acme Robotics.", "disclosure_trailing_hashtags"),
        ("#emp\u200bloyee · I work at Acme Robotics.\n\nOur robots.", "disclosure_hidden_characters"),
        ("#employee · I work at Acme Robotics.\n\n" + "x" * 400, "too_long"),
    ],
)
def test_a_refused_text_carries_a_stable_code_naming_the_rule(api_as, enrolled, published, account, text, code):
    response = api_as(enrolled).post(
        "/api/shares/", {"draft": published.pk, "account": account.pk, "text": text}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


# --- edited shares ---------------------------------------------------------------------------


def test_a_share_says_whether_its_text_was_edited(api_as, enrolled, published, account, assert_documented):
    unchanged = {"draft": published.pk, "account": account.pk, "text": share_text(published)}
    edited = {**unchanged, "text": share_text(published, extra=" I am proud of my team!")}

    first = api_as(enrolled).post("/api/shares/", unchanged, format="json")
    second = api_as(enrolled).post("/api/shares/", edited, format="json")

    assert (first.json()["edited"], second.json()["edited"]) == (False, True)
    assert (first.json()["state"], second.json()["state"]) == ("scheduled", "scheduled")
    assert_documented(second, "POST", "/api/shares/")


def test_with_edits_reviewed_an_edited_share_waits_in_review(api_as, admin_user, enrolled, published, account):
    settings_change = api_as(admin_user).patch(
        "/api/programme/settings/", {"edited_shares_need_review": True}, format="json"
    )
    edited = {"draft": published.pk, "account": account.pk, "text": share_text(published, extra=" Proud!")}

    response = api_as(enrolled).post("/api/shares/", edited, format="json")

    assert settings_change.json() == {"edited_shares_need_review": True}
    assert (response.json()["state"], response.json()["edited"], response.json()["editable"]) == ("review", True, True)


def test_only_admins_change_the_programme_settings(api_as, employee, reviewer):
    for user in (employee, reviewer):
        response = api_as(user).patch("/api/programme/settings/", {"edited_shares_need_review": True}, format="json")
        assert response.status_code == 403
    assert api_as(employee).get("/api/programme/settings/").status_code == 403
