"""Employees sharing published drafts to their own accounts: the disclosure leads
every post and cannot be disguised, moved or removed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.http import Http404

from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from advocacy.drafts.services import draft_create, draft_retire, draft_submit
from advocacy.ledger.models import ConnectedAccount
from advocacy.ledger.services import account_disconnect, account_mark_needs_reconnect
from advocacy.program.selectors import disclosure_for, programme_settings
from advocacy.program.services import enrollment_leave, programme_settings_set
from advocacy.sharing import engine
from advocacy.sharing.models import Share
from advocacy.sharing.services import (
    share_cancel,
    share_create,
    share_edit,
    share_review_approve,
    share_review_reject,
)

pytestmark = pytest.mark.django_db

BODY = "Proud of the team: our new lab is open!"
DISCLOSURE = "#employee · I work at Acme Robotics."
FULL_WIDTH_TAG = "".join(chr(ord(char) + 0xFEE0) for char in "#employee")


def test_the_disclosure_is_the_test_organisations():
    assert disclosure_for(language="en") == DISCLOSURE


def test_a_share_is_scheduled_with_the_disclosure_first(enrolled, make_share, account):
    share = make_share()

    assert share.state == Share.State.SCHEDULED
    assert share.text.startswith(DISCLOSURE + "\n\n")
    assert (share.disclosure, share.account, share.network) == (DISCLOSURE, account, "bluesky")
    event = AuditEvent.objects.get(action=AuditAction.SHARE_SCHEDULED)
    assert (event.actor, event.subject, event.target_id) == (enrolled, enrolled, str(share.pk))


# --- disclosure bypass attempts ----------------------------------------------------------------

BYPASSES = {
    "zero-width space in the tag": (
        DISCLOSURE.replace("#employee", "#emp\u200bloyee") + "\n\n" + BODY,
        "must not contain hidden characters",
    ),
    "Cyrillic look-alike letter": (
        DISCLOSURE.replace("#employee", "#\u0435mployee") + "\n\n" + BODY,
        "must be written with ordinary letters",
    ),
    "full-width tag": (
        DISCLOSURE.replace("#employee", FULL_WIDTH_TAG) + "\n\n" + BODY,
        "must be written with ordinary letters",
    ),
    "tag split by a space": (
        DISCLOSURE.replace("#employee", "#emp loyee") + "\n\n" + BODY,
        "must not be split up",
    ),
    "tag split by a line break": (
        DISCLOSURE.replace("#employee", "#emp\nloyee") + "\n\n" + BODY,
        "must not be split up",
    ),
    "moved into a trailing hashtag block": (
        BODY + "\n\n#robots #innovation " + DISCLOSURE,
        "must come first: it was found inside a block of hashtags at the end of the post",
    ),
    "only the tag, among trailing hashtags": (
        BODY + " #robots #employee",
        "must come first: part of it (“#employee”) was found inside a block of hashtags",
    ),
    "moved to the end": (BODY + " " + DISCLOSURE, "must come first: it was found at the end of the post"),
    "pushed below the fold": ("\n\n\n" + DISCLOSURE + "\n\n" + BODY, "must be the very first thing in the post"),
    "removed": (BODY, "The disclosure is missing: the post must start with “#employee"),
}


@pytest.mark.parametrize(("text", "rule"), BYPASSES.values(), ids=BYPASSES.keys())
def test_a_disclosure_bypass_is_refused_naming_the_rule(enrolled, published_draft, account, text, rule):
    with pytest.raises(ValidationFailed) as refused:
        share_create(employee=enrolled, draft_id=published_draft.pk, account_id=account.pk, text=text)

    assert refused.value.code.startswith("disclosure_")
    assert rule in refused.value.message
    assert any(rule in problem for problem in refused.value.fields["text"])
    assert not Share.objects.exists()


@pytest.mark.parametrize(("text", "rule"), BYPASSES.values(), ids=BYPASSES.keys())
def test_an_edit_cannot_bypass_the_disclosure_either(make_share, enrolled, text, rule):
    share = make_share()

    with pytest.raises(ValidationFailed) as refused:
        share_edit(employee=enrolled, share_id=share.pk, text=text)

    assert rule in refused.value.message
    share.refresh_from_db()
    assert share.text.startswith(DISCLOSURE)


def test_the_employee_may_edit_the_body_freely(make_share, share_text):
    share = make_share(text=share_text("My own words about the lab, in my own voice."))

    assert share.text == DISCLOSURE + "\n\nMy own words about the lab, in my own voice."


def test_a_post_too_long_for_the_account_is_refused_with_count_and_limit(
    enrolled, published_draft, account, share_text
):
    text = share_text("Robots! " * 40)

    with pytest.raises(ValidationFailed) as refused:
        share_create(employee=enrolled, draft_id=published_draft.pk, account_id=account.pk, text=text)

    assert f"Too long for Bluesky: {len(text)} of 300 graphemes" in refused.value.message


# --- whose account, which draft, when ----------------------------------------------------------


def test_only_own_accounts(enrolled, published_draft, other_employee, enroll, connect, share_text):
    enroll(other_employee)
    ottos = connect(other_employee, handle="otto.bsky.test")

    with pytest.raises(ValidationFailed) as refused:
        share_create(employee=enrolled, draft_id=published_draft.pk, account_id=ottos.pk, text=share_text())

    assert refused.value.fields == {"account": ["Not one of your accounts."]}
    assert not Share.objects.exists()


def test_an_account_that_needs_reconnecting_cannot_be_used(enrolled, published_draft, account, share_text):
    account_mark_needs_reconnect(account_id=account.pk, reason="Token revoked.")

    with pytest.raises(Conflict) as refused:
        share_create(employee=enrolled, draft_id=published_draft.pk, account_id=account.pk, text=share_text())

    assert refused.value.code == "account_unusable"


def test_only_participants_can_share(employee, policy, published_draft, connect, share_text):
    account = connect(employee)

    with pytest.raises(Conflict) as refused:
        share_create(employee=employee, draft_id=published_draft.pk, account_id=account.pk, text=share_text())

    assert refused.value.code == "not_enrolled"


def test_a_draft_that_is_not_published_cannot_be_shared(enrolled, account, author, draft_content, share_text):
    draft = draft_create(actor=author, title="Not yet", content=draft_content())
    draft_submit(actor=author, draft_id=draft.pk)

    with pytest.raises(Http404):
        share_create(employee=enrolled, draft_id=draft.pk, account_id=account.pk, text=share_text())


def test_a_retired_draft_cannot_be_shared(enrolled, account, published_draft, author, share_text):
    draft_retire(actor=author, draft_id=published_draft.pk)

    with pytest.raises(Http404):
        share_create(employee=enrolled, draft_id=published_draft.pk, account_id=account.pk, text=share_text())


def test_an_expired_draft_cannot_be_shared(enrolled, account, make_published_draft, clock, share_text):
    draft = make_published_draft(expires_at=clock.now + dt.timedelta(hours=1))
    clock.advance(hours=1, seconds=1)

    with pytest.raises(Http404):
        share_create(employee=enrolled, draft_id=draft.pk, account_id=account.pk, text=share_text())


def test_a_share_cannot_be_scheduled_after_the_post_expires(enrolled, account, make_published_draft, clock, make_share):
    draft = make_published_draft(expires_at=clock.now + dt.timedelta(hours=1))

    with pytest.raises(ValidationFailed) as refused:
        make_share(draft=draft, scheduled_at=clock.now + dt.timedelta(hours=2))

    assert refused.value.fields == {"scheduled_at": ["After the post's expiry."]}


def test_a_draft_not_meant_for_the_network_is_refused(enrolled, account, make_published_draft, make_share):
    draft = make_published_draft(networks=["linkedin"])

    with pytest.raises(ValidationFailed) as refused:
        make_share(draft=draft)

    assert "not meant for Bluesky" in refused.value.message


@pytest.mark.parametrize(
    ("when", "field_message"),
    [
        (dt.timedelta(hours=-1), "The time is in the past."),
        (dt.timedelta(days=91), "Too far in the future."),
    ],
    ids=["past", "too far ahead"],
)
def test_the_time_must_be_now_or_later(make_share, clock, when, field_message):
    with pytest.raises(ValidationFailed) as refused:
        make_share(scheduled_at=clock.now + when)

    assert refused.value.fields == {"scheduled_at": [field_message]}
    assert not Share.objects.exists()


def test_a_time_without_a_time_zone_is_refused(make_share, clock):
    with pytest.raises(ValidationFailed) as refused:
        make_share(scheduled_at=(clock.now + dt.timedelta(hours=1)).replace(tzinfo=None))

    assert "scheduled_at" in refused.value.fields


# --- editing and cancelling ----------------------------------------------------------------------


def test_a_scheduled_share_can_be_edited(make_share, enrolled, share_text, clock):
    share = make_share(scheduled_at=clock.now + dt.timedelta(hours=1))
    later = clock.now + dt.timedelta(hours=5)

    edited = share_edit(employee=enrolled, share_id=share.pk, text=share_text("Even better."), scheduled_at=later)

    assert edited.text == DISCLOSURE + "\n\nEven better."
    assert edited.scheduled_at == edited.next_attempt_at == later
    event = AuditEvent.objects.get(action=AuditAction.SHARE_EDITED)
    assert event.payload["old"]["text"] == share.text
    assert event.payload["new"]["text"] == edited.text


def test_a_scheduled_share_can_be_cancelled(make_share, enrolled):
    share = share_cancel(employee=enrolled, share_id=make_share().pk)

    assert (share.state, share.cancelled_reason) == (Share.State.CANCELLED, "You cancelled it.")
    assert AuditEvent.objects.filter(action=AuditAction.SHARE_CANCELLED).count() == 1


def test_once_the_dispatcher_claimed_a_share_it_can_no_longer_be_edited_or_cancelled(make_share, enrolled, share_text):
    share = make_share()
    assert engine.dispatch_due() == [share.pk]

    with pytest.raises(Conflict) as edit_refused:
        share_edit(employee=enrolled, share_id=share.pk, text=share_text("Too late to change."))
    with pytest.raises(Conflict) as cancel_refused:
        share_cancel(employee=enrolled, share_id=share.pk)

    assert edit_refused.value.code == cancel_refused.value.code == "share_locked"
    share.refresh_from_db()
    assert share.state == Share.State.SENDING
    assert share.text == share_text()
    assert not AuditEvent.objects.filter(action__in=[AuditAction.SHARE_EDITED, AuditAction.SHARE_CANCELLED]).exists()


def test_a_cancelled_share_cannot_be_cancelled_or_edited_again(make_share, enrolled, share_text):
    share = share_cancel(employee=enrolled, share_id=make_share().pk)

    with pytest.raises(Conflict):
        share_cancel(employee=enrolled, share_id=share.pk)
    with pytest.raises(Conflict):
        share_edit(employee=enrolled, share_id=share.pk, text=share_text("Back again?"))


def test_someone_else_cannot_touch_a_share(make_share, other_employee, enroll, share_text):
    share = make_share()
    enroll(other_employee)

    with pytest.raises(ValidationFailed) as edit_refused:
        share_edit(employee=other_employee, share_id=share.pk, text=share_text("Hijacked."))
    with pytest.raises(ValidationFailed) as cancel_refused:
        share_cancel(employee=other_employee, share_id=share.pk)

    assert edit_refused.value.code == cancel_refused.value.code == "not_found"
    share.refresh_from_db()
    assert share.state == Share.State.SCHEDULED
    assert share.text == share_text()


def test_a_share_on_a_disconnected_account_is_cancelled_with_it(make_share, enrolled, account):
    share = make_share()

    account_disconnect(actor=enrolled, account_id=account.pk)

    share.refresh_from_db()
    assert (share.state, share.cancelled_reason) == (Share.State.CANCELLED, "The account was disconnected.")
    assert ConnectedAccount.objects.get(pk=account.pk).status == ConnectedAccount.Status.DISCONNECTED


# --- edited shares and the review setting ------------------------------------------------------


@pytest.fixture
def edits_reviewed(admin_user):

    programme_settings_set(actor=admin_user, edited_shares_need_review=True)


def test_the_approved_text_unchanged_is_not_an_edit_even_when_edits_are_reviewed(
    edits_reviewed, make_share, share_text, published_draft
):
    share = make_share(text=share_text(published_draft.published_version.body))

    assert (share.state, share.edited) == (Share.State.SCHEDULED, False)
    event = AuditEvent.objects.get(action=AuditAction.SHARE_SCHEDULED)
    assert event.payload["new"]["edited"] is False


def test_an_edited_share_is_marked_edited_and_still_scheduled_by_default(make_share):
    share = make_share()

    assert (share.state, share.edited) == (Share.State.SCHEDULED, True)
    assert AuditEvent.objects.get(action=AuditAction.SHARE_SCHEDULED).payload["new"]["edited"] is True


def test_an_edited_share_waits_for_review_and_the_engine_never_sends_it(
    edits_reviewed, make_share, fake_network, clock
):
    share = make_share()

    assert (share.state, share.edited) == (Share.State.REVIEW, True)
    assert engine.dispatch_due() == []
    clock.advance(hours=6)  # long past its time: still not sent, not marked missed either
    assert engine.dispatch_due() == []
    engine.share_send(share_id=share.pk)
    share.refresh_from_db()
    assert share.state == Share.State.REVIEW
    assert fake_network.posts == []


def test_a_reviewer_approves_an_edited_share_and_it_goes_out(edits_reviewed, make_share, reviewer, fake_network):
    share = make_share()

    approved = share_review_approve(actor=reviewer, share_id=share.pk)

    assert (approved.state, approved.reviewed_by) == (Share.State.SCHEDULED, reviewer)
    assert engine.dispatch_due() == [share.pk]
    engine.share_send(share_id=share.pk)
    assert [post.text for post in fake_network.posts] == [share.text]
    event = AuditEvent.objects.get(action=AuditAction.SHARE_REVIEW_APPROVED)
    assert (event.actor, event.subject) == (reviewer, share.employee)


def test_an_approval_after_the_time_passed_sends_at_once(edits_reviewed, make_share, reviewer, clock, later):
    share = make_share(scheduled_at=clock.now + dt.timedelta(minutes=10))
    clock.advance(hours=3)

    approved = share_review_approve(actor=reviewer, share_id=share.pk)

    assert approved.scheduled_at == clock.now
    assert engine.dispatch_due() == [share.pk]


def test_no_one_reviews_their_own_edited_share(edits_reviewed, reviewer, enroll, make_share, connect):
    enroll(reviewer)
    own = make_share(employee=reviewer, on=connect(reviewer, handle="rita.bsky.test", external_id="did:plc:rita"))

    with pytest.raises(NotAllowed, match="Four eyes"):
        share_review_approve(actor=reviewer, share_id=own.pk)
    own.refresh_from_db()
    assert own.state == Share.State.REVIEW


def test_the_database_refuses_a_share_reviewed_by_its_own_employee(edits_reviewed, make_share):
    share = make_share()

    with pytest.raises(IntegrityError), transaction.atomic():
        Share.objects.filter(pk=share.pk).update(reviewed_by=share.employee)


def test_a_rejected_share_is_cancelled_with_the_reviewers_reason(edits_reviewed, make_share, reviewer):
    share = make_share()

    rejected = share_review_reject(actor=reviewer, share_id=share.pk, reason="Please keep the product name.")

    assert (rejected.state, rejected.cancelled_reason) == (Share.State.CANCELLED, "Please keep the product name.")
    assert AuditEvent.objects.filter(action=AuditAction.SHARE_REVIEW_REJECTED).count() == 1


def test_editing_an_approved_share_sends_it_back_to_review(edits_reviewed, make_share, reviewer, share_text, later):
    share = make_share(scheduled_at=later)
    share_review_approve(actor=reviewer, share_id=share.pk)

    edited = share_edit(employee=share.employee, share_id=share.pk, text=share_text("Something else entirely."))

    assert (edited.state, edited.reviewed_by) == (Share.State.REVIEW, None)
    assert AuditEvent.objects.filter(action=AuditAction.SHARE_EDITED).get().payload["new"]["edited"] is True


def test_leaving_cancels_shares_awaiting_review(edits_reviewed, make_share, enrolled):
    share = make_share()

    enrollment_leave(user=enrolled)

    share.refresh_from_db()
    assert share.state == Share.State.CANCELLED


def test_changing_the_review_setting_is_audited(admin_user, employee):
    assert programme_settings().edited_shares_need_review is False
    with pytest.raises(NotAllowed):
        programme_settings_set(actor=employee, edited_shares_need_review=True)
    programme_settings_set(actor=admin_user, edited_shares_need_review=True)
    assert programme_settings().edited_shares_need_review is True
    event = AuditEvent.objects.get(action=AuditAction.SETTINGS_CHANGED, actor=admin_user)
    assert event.payload["new"] == {"edited_shares_need_review": True}
