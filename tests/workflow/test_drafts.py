"""The comms workflow: draft → in review → changes requested → approved → published →
retired, with four eyes on every version employees can share."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import Role
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from advocacy.drafts.content import final_text
from advocacy.drafts.models import Draft, DraftVersion, ReviewDecision
from advocacy.drafts.selectors import feed_for_employee, version_diff
from advocacy.drafts.services import (
    draft_approve,
    draft_create,
    draft_edit,
    draft_publish,
    draft_request_changes,
    draft_retire,
    draft_submit,
)
from advocacy.program.selectors import disclosure_for
from advocacy.program.services import blocked_terms_set
from advocacy.sharing.models import Share
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

State = Draft.State


def audit_actions(draft: Draft) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="drafts.draft", target_id=str(draft.pk)).values_list("action", flat=True)
    )


def feed(user) -> list[Draft]:
    return list(feed_for_employee(user=user))


@pytest.fixture
def in_review(author, draft_content):
    draft = draft_create(actor=author, title="Turin lab", content=draft_content())
    return draft_submit(actor=author, draft_id=draft.pk)


# --- the happy path and four eyes ------------------------------------------------------


def test_a_draft_reaches_employees_only_after_a_second_person_approves_it(author, reviewer, employee, draft_content):
    draft = draft_create(actor=author, title="Turin lab", content=draft_content())
    assert (draft.state, draft.working_version.number) == (State.DRAFT, 1)
    assert feed(employee) == []

    draft_submit(actor=author, draft_id=draft.pk)
    assert feed(employee) == []
    draft = draft_approve(actor=reviewer, draft_id=draft.pk, comment="Looks good.")
    assert draft.state == State.APPROVED
    assert feed(employee) == []
    draft = draft_publish(actor=author, draft_id=draft.pk)

    assert draft.state == State.PUBLISHED
    assert feed(employee) == [draft]
    version = DraftVersion.objects.get(pk=draft.published_version_id)
    assert (version.created_by, version.approved_by) == (author, reviewer)
    assert audit_actions(draft) == [
        AuditAction.DRAFT_CREATED,
        AuditAction.DRAFT_SUBMITTED,
        AuditAction.DRAFT_APPROVED,
        AuditAction.DRAFT_PUBLISHED,
    ]


def test_an_author_without_the_reviewer_role_cannot_approve(in_review, author):
    with pytest.raises(NotAllowed):
        draft_approve(actor=author, draft_id=in_review.pk)

    in_review.refresh_from_db()
    assert in_review.state == State.IN_REVIEW


@pytest.mark.django_db(transaction=True)
def test_four_eyes_the_writer_of_a_version_cannot_approve_it_and_the_attempt_is_on_record(reviewer, draft_content):
    """A transactional test: the refusal must be committed, not just visible inside
    the test's own transaction."""
    draft = draft_create(actor=reviewer, title="Self-approval", content=draft_content())
    draft_submit(actor=reviewer, draft_id=draft.pk)

    with pytest.raises(NotAllowed) as refused:
        draft_approve(actor=reviewer, draft_id=draft.pk)

    assert refused.value.code == "four_eyes"
    assert "someone else must approve" in refused.value.message
    draft.refresh_from_db()
    assert draft.state == State.IN_REVIEW
    assert draft.working_version.approved_by is None
    event = AuditEvent.objects.get(action=AuditAction.DRAFT_APPROVAL_REFUSED)
    assert (event.actor, event.target_id) == (reviewer, str(draft.pk))
    assert event.payload["new"] == {"version": 1, "rule": "four_eyes"}


def test_four_eyes_follows_the_version_not_the_draft(author, reviewer, draft_content):
    """The reviewer rewrote the text after changes were requested: that version is
    theirs now, so another reviewer must approve it."""
    draft = draft_create(actor=author, title="Turin lab", content=draft_content())
    draft_submit(actor=author, draft_id=draft.pk)
    draft_request_changes(actor=reviewer, draft_id=draft.pk, comment="Shorter, please.")
    draft_edit(actor=reviewer, draft_id=draft.pk, content=draft_content("Our Turin lab is open."))
    draft_submit(actor=reviewer, draft_id=draft.pk)

    with pytest.raises(NotAllowed):
        draft_approve(actor=reviewer, draft_id=draft.pk)

    second_reviewer = UserFactory(role=Role.COMMS_REVIEWER)
    assert draft_approve(actor=second_reviewer, draft_id=draft.pk).state == State.APPROVED


def test_an_unchanged_save_by_someone_else_does_not_let_the_writer_approve(author, reviewer, draft_content):
    """The reviewer saves the author's text untouched: that makes no version, so the
    author is still its writer and cannot approve it."""
    draft = draft_create(actor=author, title="Turin lab", content=draft_content())
    draft_submit(actor=author, draft_id=draft.pk)
    draft_request_changes(actor=reviewer, draft_id=draft.pk, comment="Let me look again.")
    events_before = audit_actions(draft)

    saved = draft_edit(actor=reviewer, draft_id=draft.pk, content=draft_content())
    draft_submit(actor=author, draft_id=draft.pk)

    assert saved.nothing_changed
    assert DraftVersion.objects.filter(draft=draft).count() == 1
    assert audit_actions(draft)[len(events_before) :] == [AuditAction.DRAFT_SUBMITTED]
    author.role = Role.COMMS_REVIEWER  # even as a reviewer the writer may not approve
    author.save(update_fields=["role"])
    with pytest.raises(NotAllowed) as refused:
        draft_approve(actor=author, draft_id=draft.pk)
    assert refused.value.code == "four_eyes"


def test_the_approver_must_not_have_written_any_version_since_the_last_approval(author, reviewer, draft_content):
    """The reviewer wrote version 2 and the author a tiny version 3: the reviewer's own
    words are still in what is approved, so neither of them may approve it."""
    draft = draft_create(actor=author, title="Turin lab", content=draft_content())
    draft_submit(actor=author, draft_id=draft.pk)
    draft_request_changes(actor=reviewer, draft_id=draft.pk, comment="Let me fix it.")
    draft_edit(actor=reviewer, draft_id=draft.pk, content=draft_content("Our new robotics lab in Turin is open."))
    draft_edit(actor=author, draft_id=draft.pk, content=draft_content("Our new robotics lab in Turin is open!"))
    draft_submit(actor=author, draft_id=draft.pk)

    with pytest.raises(NotAllowed) as refused:
        draft_approve(actor=reviewer, draft_id=draft.pk)

    assert refused.value.code == "four_eyes"
    assert draft_approve(actor=UserFactory(role=Role.COMMS_REVIEWER), draft_id=draft.pk).state == State.APPROVED


def test_versions_before_the_last_approval_do_not_bar_a_reviewer(author, reviewer, make_published_draft, draft_content):
    draft = make_published_draft()
    draft_edit(actor=author, draft_id=draft.pk, content=draft_content("A second, approved-again text."))
    draft_submit(actor=author, draft_id=draft.pk)

    assert draft_approve(actor=reviewer, draft_id=draft.pk).state == State.APPROVED


def test_an_unchanged_save_through_the_api_makes_no_version(api_as, author, reviewer, draft_content):
    draft = draft_create(actor=author, title="Turin lab", content=draft_content())
    draft_submit(actor=author, draft_id=draft.pk)
    api_as(reviewer).post(f"/api/drafts/{draft.pk}/request-changes/", {"comment": "Hm."}, format="json")

    response = api_as(reviewer).patch(f"/api/drafts/{draft.pk}/", {"body": draft.working_version.body}, format="json")
    api_as(author).post(f"/api/drafts/{draft.pk}/submit/", format="json")
    author.role = Role.COMMS_REVIEWER
    author.save(update_fields=["role"])
    refused = api_as(author).post(f"/api/drafts/{draft.pk}/approve/", {}, format="json")

    assert response.status_code == 200
    assert DraftVersion.objects.filter(draft=draft).count() == 1
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "four_eyes"


@pytest.mark.parametrize(
    "link",
    ["javascript:alert(1)", "data:text/html,<b>hi</b>", "ftp://files.example.com/a", "mailto:hr@example.com", "//a.io"],
)
def test_a_draft_link_must_be_a_web_address(author, draft_content, link):
    with pytest.raises(ValidationFailed) as refused:
        draft_create(actor=author, title="Bad link", content=draft_content(link=link))

    assert "http:// or https://" in refused.value.message
    assert refused.value.fields["link"]
    assert not Draft.objects.exists()


def test_a_draft_link_is_checked_on_edit_and_through_the_api(api_as, author, draft_content):
    draft = draft_create(actor=author, title="Turin lab", content=draft_content(link="https://example.com/lab"))
    with pytest.raises(ValidationFailed):
        draft_edit(actor=author, draft_id=draft.pk, content=draft_content(link="JavaScript:alert(1)"))

    response = api_as(author).patch(f"/api/drafts/{draft.pk}/", {"link": "ftp://files.example.com/a"}, format="json")

    assert response.status_code == 400
    assert "http:// or https://" in str(response.json())
    draft.refresh_from_db()
    assert draft.working_version.link == "https://example.com/lab"


# --- editing ---------------------------------------------------------------------------


def test_editing_a_published_draft_makes_a_new_version_and_keeps_the_published_one_live(
    published_draft, author, reviewer, employee, draft_content, make_share
):
    first = published_draft.published_version

    draft = draft_edit(actor=author, draft_id=published_draft.pk, content=draft_content("A better text."))

    assert draft.state == State.DRAFT
    assert draft.working_version.number == 2
    assert draft.working_version.approved_by is None
    assert draft.published_version == first
    assert first.body == "We just opened a robotics lab in Turin. Come and see it!"
    assert feed(employee) == [draft]
    assert make_share().draft_version == first  # staff keep sharing what was approved
    with pytest.raises(Conflict):
        draft_publish(actor=author, draft_id=draft.pk)

    draft_submit(actor=author, draft_id=draft.pk)
    draft_approve(actor=reviewer, draft_id=draft.pk)
    draft = draft_publish(actor=author, draft_id=draft.pk)

    assert draft.published_version.number == 2
    assert feed(employee)[0].published_version.body == "A better text."


def test_editing_an_approved_draft_needs_approval_again(in_review, author, reviewer, draft_content):
    draft_approve(actor=reviewer, draft_id=in_review.pk)

    draft = draft_edit(actor=author, draft_id=in_review.pk, content=draft_content("Changed after approval."))

    assert draft.state == State.DRAFT
    assert draft.published_version is None
    with pytest.raises(Conflict):
        draft_publish(actor=author, draft_id=draft.pk)
    assert [v.number for v in draft.versions.all()] == [1, 2]
    assert draft.versions.get(number=1).body == "We just opened a robotics lab in Turin. Come and see it!"


def test_requesting_changes_needs_a_comment(in_review, reviewer):
    for comment in ("", "   \n"):
        with pytest.raises(ValidationFailed) as refused:
            draft_request_changes(actor=reviewer, draft_id=in_review.pk, comment=comment)
        assert "comment" in refused.value.fields

    draft = draft_request_changes(actor=reviewer, draft_id=in_review.pk, comment="Mention the open day.")

    assert draft.state == State.CHANGES_REQUESTED
    decision = ReviewDecision.objects.filter(decision=ReviewDecision.Decision.CHANGES_REQUESTED).get()
    assert (decision.reviewer, decision.comment) == (reviewer, "Mention the open day.")


def test_changes_requested_then_edited_and_resubmitted(in_review, author, reviewer, draft_content):
    draft_request_changes(actor=reviewer, draft_id=in_review.pk, comment="Mention the open day.")

    draft = draft_edit(actor=author, draft_id=in_review.pk, content=draft_content("Open day on Saturday!"))
    assert draft.state == State.CHANGES_REQUESTED
    draft = draft_submit(actor=author, draft_id=draft.pk)

    assert draft.state == State.IN_REVIEW
    assert draft_approve(actor=reviewer, draft_id=draft.pk).working_version.number == 2


# --- invalid transitions -----------------------------------------------------------------


def _publish_unapproved(*, draft, author, reviewer, content):
    draft_publish(actor=author, draft_id=draft.pk)


def _approve_unsubmitted(*, draft, author, reviewer, content):
    draft_approve(actor=reviewer, draft_id=draft.pk)


def _request_changes_unsubmitted(*, draft, author, reviewer, content):
    draft_request_changes(actor=reviewer, draft_id=draft.pk, comment="Why?")


def _submit_twice(*, draft, author, reviewer, content):
    draft_submit(actor=author, draft_id=draft.pk)
    draft_submit(actor=author, draft_id=draft.pk)


def _edit_in_review(*, draft, author, reviewer, content):
    draft_submit(actor=author, draft_id=draft.pk)
    draft_edit(actor=author, draft_id=draft.pk, content=content)


def _submit_published(*, draft, author, reviewer, content):
    draft_submit(actor=author, draft_id=draft.pk)
    draft_approve(actor=reviewer, draft_id=draft.pk)
    draft_publish(actor=author, draft_id=draft.pk)
    draft_submit(actor=author, draft_id=draft.pk)


def _approve_twice(*, draft, author, reviewer, content):
    draft_submit(actor=author, draft_id=draft.pk)
    draft_approve(actor=reviewer, draft_id=draft.pk)
    draft_approve(actor=reviewer, draft_id=draft.pk)


def _retire_twice(*, draft, author, reviewer, content):
    draft_retire(actor=author, draft_id=draft.pk)
    draft_retire(actor=author, draft_id=draft.pk)


def _edit_retired(*, draft, author, reviewer, content):
    draft_retire(actor=author, draft_id=draft.pk)
    draft_edit(actor=author, draft_id=draft.pk, content=content)


INVALID_TRANSITIONS = [
    (_publish_unapproved, "Only an approved draft can be published."),
    (_approve_unsubmitted, "Only a draft in review can be approved."),
    (_request_changes_unsubmitted, "Only a draft in review can be sent back for changes."),
    (_submit_twice, "Only a draft can be submitted for review; this one is in review."),
    (_edit_in_review, "A draft in review cannot be edited; ask for changes first."),
    (_submit_published, "Only a draft can be submitted for review; this one is published."),
    (_approve_twice, "Only a draft in review can be approved."),
    (_retire_twice, "This draft is already retired."),
    (_edit_retired, "A retired draft cannot be edited."),
]


@pytest.mark.parametrize(
    ("attempt", "message"), INVALID_TRANSITIONS, ids=[fn.__name__.strip("_") for fn, _ in INVALID_TRANSITIONS]
)
def test_an_invalid_transition_is_a_conflict_with_a_clear_message(attempt, message, author, reviewer, draft_content):
    draft = draft_create(actor=author, title="Turin lab", content=draft_content())

    with pytest.raises(Conflict) as refused:
        attempt(draft=draft, author=author, reviewer=reviewer, content=draft_content("Edited."))

    assert refused.value.status == 409
    assert refused.value.message == message


def test_a_failed_transition_changes_nothing(author, reviewer, draft_content):
    draft = draft_create(actor=author, title="Turin lab", content=draft_content())
    before = audit_actions(draft)

    with pytest.raises(Conflict):
        draft_publish(actor=author, draft_id=draft.pk)

    draft.refresh_from_db()
    assert draft.state == State.DRAFT
    assert draft.published_version is None
    assert audit_actions(draft) == before


# --- retiring ----------------------------------------------------------------------------


def test_retiring_takes_a_draft_off_the_feed_and_cancels_its_scheduled_shares(
    published_draft, author, employee, make_share, clock
):
    share = make_share(scheduled_at=clock.now + dt.timedelta(hours=3))

    draft, cancelled = draft_retire(actor=author, draft_id=published_draft.pk, reason="Embargo moved.")

    assert draft.state == State.RETIRED
    assert cancelled == 1
    assert feed(employee) == []
    share.refresh_from_db()
    assert (share.state, share.cancelled_reason) == (Share.State.CANCELLED, "Embargo moved.")


# --- tone flags and length ---------------------------------------------------------------


def test_mentions_and_blocked_terms_are_flagged_for_the_reviewer_but_never_block(
    admin_user, author, reviewer, draft_content
):
    blocked_terms_set(actor=admin_user, terms=["guaranteed returns"])

    draft = draft_create(
        actor=author,
        title="Investor day",
        content=draft_content("Thanks @ceo.bsky.social for the talk on GUARANTEED returns!"),
    )

    flags = {flag["kind"]: flag["reason"] for flag in draft.working_version.tone_flags}
    assert set(flags) == {"mention", "blocked_term"}
    assert "@ceo.bsky.social" in flags["mention"]
    assert "guaranteed returns" in flags["blocked_term"]
    draft_submit(actor=author, draft_id=draft.pk)
    draft_approve(actor=reviewer, draft_id=draft.pk)
    assert draft_publish(actor=author, draft_id=draft.pk).state == State.PUBLISHED


def test_a_clean_draft_has_no_flags(admin_user, author, draft_content):
    blocked_terms_set(actor=admin_user, terms=["guaranteed returns"])

    draft = draft_create(actor=author, title="Turin lab", content=draft_content())

    assert draft.working_version.tone_flags == []


def test_a_post_over_a_networks_limit_is_refused_with_its_count_and_the_limit(author, draft_content):
    body = "Robots! " * 40
    expected = len(final_text(disclosure=disclosure_for(language="en"), body=body))  # plain ASCII: 1 each
    assert expected > 280

    with pytest.raises(ValidationFailed) as refused:
        draft_create(actor=author, title="Long", content=draft_content(body, networks=["x", "linkedin"]))

    assert f"Too long for X: {expected} of 280" in refused.value.message
    assert refused.value.fields == {"body": [f"Too long for X: {expected} of 280 weighted characters"]}
    assert not Draft.objects.exists()


def test_a_shorter_variant_makes_a_long_post_fit(author, draft_content):
    draft = draft_create(
        actor=author,
        title="Long",
        content=draft_content("Robots! " * 40, networks=["x", "linkedin"], variants={"x": "Robots!"}),
    )

    assert draft.working_version.body_for("x") == "Robots!"


def test_an_expiry_in_the_past_is_refused(author, draft_content):
    with pytest.raises(ValidationFailed) as refused:
        draft_create(
            actor=author,
            title="Old news",
            content=draft_content(expires_at=timezone.now() - dt.timedelta(minutes=1)),
        )

    assert "expires_at" in refused.value.fields


# --- diff --------------------------------------------------------------------------------


def test_the_diff_shows_added_and_removed_lines(author, draft_content):
    draft = draft_create(actor=author, title="Turin lab", content=draft_content("Line one\nLine two\nLine three"))
    draft = draft_edit(
        actor=author,
        draft_id=draft.pk,
        content=draft_content("Line one\nLine 2\nLine three\nLine four", link="https://example.com/lab"),
    )
    old, new = draft.versions.order_by("number")

    diff = version_diff(old=old, new=new)

    lines = [(line.kind, line.text) for line in diff["lines"]]
    assert lines == [
        ("same", "Line one"),
        ("removed", "Line two"),
        ("added", "Line 2"),
        ("same", "Line three"),
        ("added", "Line four"),
    ]
    assert ("link", "", "https://example.com/lab") in diff["changed"]


# --- images ------------------------------------------------------------------------------

GPS_MARKER = "GPS 45.0703N 7.6869E home"
IMAGE_NETWORKS = ["bluesky", "mastodon"]  # Candor attaches images on these only (not yet on X, LinkedIn)


def test_a_draft_with_an_image_cannot_target_a_network_that_takes_none(author, draft_content, media_root):
    upload = SimpleUploadedFile("lab.png", png_with_exif(), content_type="image/png")

    with pytest.raises(ValidationFailed) as refused:
        draft_create(
            actor=author,
            title="Lab",
            content=draft_content(image=upload, image_alt="Door", networks=["bluesky", "x", "linkedin"]),
        )

    assert refused.value.fields["networks"] == [
        "Candor cannot attach images to posts on X, LinkedIn yet: remove the image, or untick X, LinkedIn."
    ]
    assert not Draft.objects.exists()


def png_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x010E] = GPS_MARKER  # ImageDescription
    out = io.BytesIO()
    image.save(out, "PNG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_an_uploaded_image_is_re_encoded_without_its_exif(author, draft_content, media_root):
    data = png_with_exif()
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif()[0x010E] == GPS_MARKER  # the test image really carries EXIF
    upload = SimpleUploadedFile("lab.png", data, content_type="image/png")

    draft = draft_create(
        actor=author,
        title="Lab",
        content=draft_content(image=upload, networks=IMAGE_NETWORKS, image_alt="The lab's front door"),
    )

    version = draft.working_version
    assert version.image.name.endswith(".png")
    with version.image.open("rb") as handle:
        stored = handle.read()
    assert GPS_MARKER.encode() not in stored
    assert b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as cleaned:
        assert cleaned.format == "PNG"
        assert cleaned.size == (64, 48)
        assert dict(cleaned.getexif()) == {}
        assert "exif" not in cleaned.info


def test_a_phone_photo_keeps_its_orientation_when_its_exif_is_removed(author, draft_content, media_root):
    """Phones store portrait photos sideways plus an EXIF "rotate" tag. Dropping the
    tag without applying it would publish the photo lying on its side."""
    stored_sideways = Image.new("RGB", (80, 40), (30, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010E] = GPS_MARKER
    out = io.BytesIO()
    stored_sideways.save(out, "JPEG", exif=exif.tobytes())
    upload = SimpleUploadedFile("portrait.jpg", out.getvalue(), content_type="image/jpeg")

    draft = draft_create(
        actor=author, title="Portrait", content=draft_content(image=upload, networks=IMAGE_NETWORKS, image_alt="A face")
    )

    with draft.working_version.image.open("rb") as handle:
        stored = handle.read()
    assert GPS_MARKER.encode() not in stored
    with Image.open(io.BytesIO(stored)) as cleaned:
        assert cleaned.format == "JPEG"
        assert cleaned.size == (40, 80)  # upright, as the phone showed it
        assert dict(cleaned.getexif()) == {}


def test_a_text_file_renamed_to_png_is_refused(author, draft_content, media_root):
    upload = SimpleUploadedFile("lab.png", b"definitely not an image\n", content_type="image/png")

    with pytest.raises(ValidationFailed) as refused:
        draft_create(
            actor=author, title="Lab", content=draft_content(image=upload, networks=IMAGE_NETWORKS, image_alt="Lab")
        )

    assert refused.value.fields == {"image": ["This file is not an image Candor can read (JPEG, PNG, WebP or GIF)."]}
    assert not Draft.objects.exists()


def test_an_oversized_image_is_refused(author, draft_content, media_root):
    side = 1400  # random pixels do not compress: about 5.9 MB as PNG
    noise = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert out.tell() > 5 * 1024 * 1024
    upload = SimpleUploadedFile("huge.png", out.getvalue(), content_type="image/png")

    with pytest.raises(ValidationFailed) as refused:
        draft_create(
            actor=author, title="Huge", content=draft_content(image=upload, networks=IMAGE_NETWORKS, image_alt="Noise")
        )

    assert "the limit is 5 MB" in refused.value.message
    assert "image" in refused.value.fields
    assert not Draft.objects.exists()


def test_an_image_needs_alt_text(author, draft_content, media_root):
    upload = SimpleUploadedFile("lab.png", png_with_exif(), content_type="image/png")

    with pytest.raises(ValidationFailed) as refused:
        draft_create(actor=author, title="Lab", content=draft_content(image=upload, networks=IMAGE_NETWORKS))

    assert "image_alt" in refused.value.fields


def test_an_edit_without_a_new_image_keeps_the_old_one(author, draft_content, media_root):
    upload = SimpleUploadedFile("lab.png", png_with_exif(), content_type="image/png")
    draft = draft_create(
        actor=author, title="Lab", content=draft_content(image=upload, networks=IMAGE_NETWORKS, image_alt="Door")
    )
    first_image = draft.working_version.image.name

    draft = draft_edit(
        actor=author, draft_id=draft.pk, content=draft_content("New text.", networks=IMAGE_NETWORKS, image_alt="Door")
    )

    assert draft.working_version.image.name == first_image
