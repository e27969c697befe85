"""Review requested reaches every reviewer but the author; review decided reaches the
author. Sent after commit, once per review step."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.models import Role
from advocacy.core.errors import NotAllowed
from advocacy.drafts import services as drafts
from advocacy.notifications.alerts import review_decision_notify
from advocacy.notifications.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


@pytest.fixture
def second_reviewer(db):
    return UserFactory(email="remo@example.com", display_name="Remo Reviewer", role=Role.COMMS_REVIEWER)


def write(actor, title="Turin lab"):
    return drafts.draft_create(
        actor=actor, title=title, content=drafts.DraftContent(body="We opened a lab.", networks=["bluesky"])
    )


def kinds_for(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_submitting_asks_every_reviewer_but_never_the_author(
    author, reviewer, second_reviewer, employee, admin_user, django_capture_on_commit_callbacks
):
    draft = write(author)

    with django_capture_on_commit_callbacks(execute=True):
        drafts.draft_submit(actor=author, draft_id=draft.pk)

    assert kinds_for(reviewer) == [Kind.REVIEW_REQUESTED]
    assert kinds_for(second_reviewer) == [Kind.REVIEW_REQUESTED]
    assert kinds_for(author) == []
    assert kinds_for(employee) == []
    assert kinds_for(admin_user) == []
    note = Notification.objects.get(user=reviewer)
    assert note.title == "Review requested: Turin lab"
    assert note.link == f"/comms/drafts/{draft.pk}/"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([reviewer.email, second_reviewer.email])


def test_a_reviewer_who_wrote_the_draft_is_not_asked_to_review_it(
    reviewer, second_reviewer, django_capture_on_commit_callbacks
):
    draft = write(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        drafts.draft_submit(actor=reviewer, draft_id=draft.pk)

    assert kinds_for(reviewer) == []
    assert kinds_for(second_reviewer) == [Kind.REVIEW_REQUESTED]


def test_the_author_hears_of_changes_requested_with_the_comment_and_of_the_approval(
    author, reviewer, second_reviewer, django_capture_on_commit_callbacks
):
    draft = write(author)
    drafts.draft_submit(actor=author, draft_id=draft.pk)

    with django_capture_on_commit_callbacks(execute=True):
        drafts.draft_request_changes(actor=reviewer, draft_id=draft.pk, comment="Say which city.")
    drafts.draft_submit(actor=author, draft_id=draft.pk)
    with django_capture_on_commit_callbacks(execute=True):
        drafts.draft_approve(actor=second_reviewer, draft_id=draft.pk)

    decided = list(Notification.objects.filter(user=author).order_by("id"))
    assert [n.kind for n in decided] == [Kind.REVIEW_DECIDED, Kind.REVIEW_DECIDED]
    assert decided[0].title == "Changes requested: Turin lab"
    assert "Say which city." in decided[0].body
    assert "Rita Reviewer" in decided[0].body
    assert decided[1].title == "Approved: Turin lab"
    assert [m.to for m in mail.outbox] == [[author.email], [author.email]]
    assert Kind.REVIEW_DECIDED not in kinds_for(reviewer)


def test_nothing_is_sent_when_the_step_is_refused_or_rolled_back(author, reviewer, django_capture_on_commit_callbacks):
    draft = write(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        drafts.draft_submit(actor=reviewer, draft_id=draft.pk)
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotAllowed):
        drafts.draft_approve(actor=reviewer, draft_id=draft.pk)  # four eyes: refused

    assert not Notification.objects.exists()


def test_notifying_the_same_review_step_twice_sends_once(author, reviewer, django_capture_on_commit_callbacks):
    draft = write(author)
    with django_capture_on_commit_callbacks(execute=True):
        drafts.draft_submit(actor=author, draft_id=draft.pk)
    decision_id = draft.working_version.decisions.get().pk

    assert review_decision_notify(decision_id=decision_id) == 0
    assert Notification.objects.filter(user=reviewer).count() == 1
    assert len(mail.outbox) == 1
