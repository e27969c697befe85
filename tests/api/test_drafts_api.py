"""The comms workflow over HTTP: write, review with four eyes, publish, retire."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from advocacy.audit.models import AuditEvent
from tests.api.conftest import published_draft, submitted_draft, write_draft
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_DRAFT = {"title": "Launch", "body": "We opened a new warehouse in Leipzig.", "networks": ["bluesky", "x"]}


def png(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_the_whole_comms_flow(api_as, author, reviewer, employee, policy):
    writer = api_as(author)
    created = writer.post("/api/drafts/", NEW_DRAFT, format="json")
    assert created.status_code == 201
    draft = created.json()
    url = f"/api/drafts/{draft['id']}/"
    assert (draft["state"], draft["working_version"]["number"]) == ("draft", 1)
    assert draft["published_version"] is None

    assert writer.post(url + "submit/", {"comment": "Ready"}, format="json").json()["state"] == "in_review"
    sent_back = api_as(reviewer).post(url + "request-changes/", {"comment": "Name the city first."}, format="json")
    assert sent_back.json()["state"] == "changes_requested"
    edited = api_as(author).patch(url, {"body": "Leipzig: we opened a new warehouse."}, format="json").json()
    assert edited["working_version"]["number"] == 2
    assert edited["working_version"]["networks"] == ["bluesky", "x"]  # unchanged fields are kept
    assert api_as(author).post(url + "submit/", {}, format="json").json()["state"] == "in_review"
    approved = api_as(reviewer).post(url + "approve/", {}, format="json")
    assert approved.status_code == 200
    assert approved.json()["working_version"]["approved_by"]["id"] == reviewer.pk
    published = api_as(author).post(url + "publish/").json()

    assert published["state"] == "published"
    assert published["published_version"]["number"] == 2
    feed = api_as(employee).get("/api/feed/").json()["results"]
    assert [item["id"] for item in feed] == [draft["id"]]
    history = api_as(author).get(url + "versions/").json()
    assert [v["number"] for v in history["versions"]] == [2, 1]
    assert [d["decision"] for d in history["decisions"]] == [
        "approved", "submitted", "changes_requested", "submitted",
    ]  # fmt: skip
    assert history["decisions"][2]["comment"] == "Name the city first."


def test_a_reviewer_cannot_approve_a_version_they_wrote(api_as, author, reviewer):
    draft = submitted_draft(author)
    api_as(reviewer).post(f"/api/drafts/{draft.pk}/request-changes/", {"comment": "Let me fix it."}, format="json")
    api_as(reviewer).patch(f"/api/drafts/{draft.pk}/", {"body": "Fixed by the reviewer."}, format="json")
    api_as(reviewer).post(f"/api/drafts/{draft.pk}/submit/", format="json")

    refused = api_as(reviewer).post(f"/api/drafts/{draft.pk}/approve/", {}, format="json")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "four_eyes"
    assert AuditEvent.objects.filter(action="draft.approval_refused", actor=reviewer).exists()
    second_reviewer = UserFactory(role="comms_reviewer")
    assert api_as(second_reviewer).post(f"/api/drafts/{draft.pk}/approve/", {}, format="json").status_code == 200


def test_authors_cannot_review(api_as, author):
    draft = submitted_draft(author)

    response = api_as(author).post(f"/api/drafts/{draft.pk}/approve/", {}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_asking_for_changes_needs_a_comment(api_as, author, reviewer):
    draft = submitted_draft(author)

    response = api_as(reviewer).post(f"/api/drafts/{draft.pk}/request-changes/", {"comment": ""}, format="json")

    assert response.status_code == 400
    assert "comment" in response.json()["error"]["fields"]


def test_a_draft_in_review_cannot_be_edited(api_as, author):
    draft = submitted_draft(author)

    response = api_as(author).patch(f"/api/drafts/{draft.pk}/", {"body": "Sneaky change"}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "draft_in_review"


def test_steps_out_of_order_are_conflicts(api_as, author):
    draft = write_draft(author)

    response = api_as(author).post(f"/api/drafts/{draft.pk}/publish/")

    assert response.status_code == 409


def test_a_post_that_does_not_fit_a_network_is_refused_with_the_field(api_as, author):
    response = api_as(author).post("/api/drafts/", NEW_DRAFT | {"body": "x " * 200}, format="json")

    assert response.status_code == 400
    assert "Too long for X" in " ".join(response.json()["error"]["fields"]["body"])


def test_editing_a_published_draft_keeps_the_published_version_live(api_as, author, reviewer, employee, policy):
    draft = published_draft(author, reviewer, body="Version one.")

    edited = api_as(author).patch(f"/api/drafts/{draft.pk}/", {"body": "Version two."}, format="json").json()

    assert edited["state"] == "draft"
    assert edited["published_version"]["body"] == "Version one."
    assert api_as(employee).get("/api/feed/").json()["results"][0]["body"] == "Version one."


def test_the_diff_shows_what_changed(api_as, author):
    draft = write_draft(author, body="Line one.\nLine two.")
    api_as(author).patch(f"/api/drafts/{draft.pk}/", {"body": "Line one.\nLine 2.", "language": "de"}, format="json")

    diff = api_as(author).get(f"/api/drafts/{draft.pk}/diff/?from=1&to=2").json()

    assert (diff["from_version"], diff["to_version"]) == (1, 2)
    assert diff["lines"] == [
        {"kind": "same", "text": "Line one."},
        {"kind": "removed", "text": "Line two."},
        {"kind": "added", "text": "Line 2."},
    ]
    assert diff["changed"] == [{"field": "language", "old": "en", "new": "de"}]


@pytest.mark.parametrize("query", ["", "?from=1", "?from=1&to=9", "?from=a&to=1", "?from=-1&to=1", "?from=1&to=1e99"])
def test_a_bad_diff_request_is_a_clear_error(api_as, author, query):
    draft = write_draft(author)

    response = api_as(author).get(f"/api/drafts/{draft.pk}/diff/{query}")

    assert response.status_code in (400, 404)
    assert response.json()["error"]["code"] in ("validation_failed", "not_found")


def test_the_review_queue_lists_drafts_in_review_oldest_first(api_as, author, reviewer):
    first, second = submitted_draft(author, title="First"), submitted_draft(author, title="Second")
    write_draft(author, title="Not submitted")

    queue = api_as(reviewer).get("/api/review-queue/").json()

    assert [d["id"] for d in queue["results"]] == [first.pk, second.pk]
    assert queue["results"][0]["version_author"]["id"] == author.pk


def test_drafts_can_be_filtered_by_state(api_as, author):
    submitted = submitted_draft(author)
    write_draft(author)

    listed = api_as(author).get("/api/drafts/?state=in_review").json()["results"]

    assert [d["id"] for d in listed] == [submitted.pk]
    assert api_as(author).get("/api/drafts/?state=bogus").status_code == 400


def test_retiring_cancels_scheduled_shares(api_as, author, share):
    response = api_as(author).post(f"/api/drafts/{share.draft_id}/retire/", {"reason": "Outdated"}, format="json")

    assert response.status_code == 200
    assert response.json()["cancelled_shares"] == 1
    assert response.json()["draft"]["state"] == "retired"
    share.refresh_from_db()
    assert share.state == "cancelled"


def test_an_image_can_be_uploaded_with_alt_text(api_as, author):
    response = api_as(author).post(
        "/api/drafts/",
        NEW_DRAFT | {"networks": ["bluesky", "mastodon"], "image": png(), "image_alt": "A teal square"},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    version = response.json()["working_version"]
    assert version["image"].startswith("http://testserver/media/drafts/")
    assert version["image_alt"] == "A teal square"
    assert version["networks"] == ["bluesky", "mastodon"]
    # An edit without a new image keeps it.
    edited = (
        api_as(author).patch(f"/api/drafts/{response.json()['id']}/", {"body": "New words."}, format="multipart").json()
    )
    assert edited["working_version"]["image"] == version["image"]


def test_an_image_needs_alt_text(api_as, author):
    response = api_as(author).post("/api/drafts/", NEW_DRAFT | {"image": png()}, format="multipart")

    assert response.status_code == 400
    assert "image_alt" in response.json()["error"]["fields"]


def test_a_file_that_is_not_an_image_is_refused(api_as, author):
    fake = SimpleUploadedFile("photo.png", b"<?php echo 'hi'; ?>", content_type="image/png")

    response = api_as(author).post(
        "/api/drafts/", NEW_DRAFT | {"networks": ["bluesky"], "image": fake, "image_alt": "x"}, format="multipart"
    )

    assert response.status_code == 400
    assert "image" in response.json()["error"]["fields"]
