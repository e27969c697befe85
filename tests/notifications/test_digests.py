"""The digest of newly published drafts: opt-in, daily or weekly, never the same
draft twice."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail

from advocacy.drafts import services as drafts
from advocacy.notifications.digests import digests_send_due
from advocacy.notifications.models import Notification, NotificationPreference
from advocacy.notifications.tasks import send_digests
from advocacy.program.services import enrollment_leave

pytestmark = pytest.mark.django_db


def choose(client, user, digest: str):
    client.force_login(user)
    return client.post("/notifications/settings/", {"digest": digest})


def announced(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user, kind=Notification.Kind.DRAFT_PUBLISHED)
        .order_by("created_at", "id")
        .values_list("title", flat=True)
    )


def run(django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return send_digests.delay().get()


def test_the_digest_is_off_unless_chosen(client, enrolled, publish, clock, django_capture_on_commit_callbacks):
    publish("Turin lab")
    clock.advance(hours=1)

    assert run(django_capture_on_commit_callbacks) == 0

    assert mail.outbox == []
    assert announced(enrolled) == []
    client.force_login(enrolled)
    page = client.get("/notifications/settings/").content.decode()
    assert re.search(r'value="off"[^>]*checked', page)


def test_the_settings_page_is_linked_from_notifications_and_saves_the_choice(client, enrolled):
    client.force_login(enrolled)
    assert 'href="/notifications/settings/"' in client.get("/notifications/").content.decode()

    response = choose(client, enrolled, "weekly")

    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=enrolled).digest == "weekly"
    assert choose(client, enrolled, "hourly").status_code == 200  # not a choice
    assert NotificationPreference.objects.get(user=enrolled).digest == "weekly"


def test_a_daily_digest_announces_each_new_draft_once(
    client, enrolled, publish, clock, django_capture_on_commit_callbacks
):
    choose(client, enrolled, "daily")
    first = publish("Turin lab")
    clock.advance(minutes=5)

    assert run(django_capture_on_commit_callbacks) == 1
    assert run(django_capture_on_commit_callbacks) == 0  # the same hour again: nothing

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [enrolled.email]
    assert "1 new post to share" in mail.outbox[0].subject
    assert "Turin lab" in mail.outbox[0].body
    assert f"{settings.CANDOR_SITE_URL}/feed/{first.pk}/share/" in mail.outbox[0].body
    assert announced(enrolled) == ["New post to share: Turin lab"]

    clock.advance(hours=12)
    publish("Milan office")
    assert run(django_capture_on_commit_callbacks) == 0  # not a day yet
    clock.advance(hours=12)
    assert run(django_capture_on_commit_callbacks) == 1

    assert len(mail.outbox) == 2
    assert "Milan office" in mail.outbox[1].body
    assert "Turin lab" not in mail.outbox[1].body
    assert announced(enrolled) == ["New post to share: Turin lab", "New post to share: Milan office"]


def test_a_draft_published_again_with_a_new_version_is_not_announced_again(
    client, enrolled, author, reviewer, publish, clock, django_capture_on_commit_callbacks
):
    choose(client, enrolled, "daily")
    draft = publish("Turin lab")
    clock.advance(minutes=5)
    run(django_capture_on_commit_callbacks)

    clock.advance(hours=2)
    drafts.draft_edit(
        actor=author,
        draft_id=draft.pk,
        content=drafts.DraftContent(body="Turin lab, now with photos.", networks=["bluesky"]),
    )
    drafts.draft_submit(actor=author, draft_id=draft.pk)
    drafts.draft_approve(actor=reviewer, draft_id=draft.pk)
    drafts.draft_publish(actor=author, draft_id=draft.pk)
    clock.advance(days=1)

    assert run(django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1
    assert announced(enrolled) == ["New post to share: Turin lab"]


def test_two_runs_racing_for_the_same_window_send_one_digest(
    client, enrolled, publish, clock, django_capture_on_commit_callbacks
):
    choose(client, enrolled, "daily")
    publish("Turin lab")
    clock.advance(minutes=5)

    with django_capture_on_commit_callbacks(execute=True):
        sent = digests_send_due() + digests_send_due()

    assert sent == 1
    assert len(mail.outbox) == 1


def test_a_weekly_digest_waits_a_week(client, enrolled, publish, clock, django_capture_on_commit_callbacks):
    choose(client, enrolled, "weekly")
    clock.advance(minutes=5)
    assert run(django_capture_on_commit_callbacks) == 0  # first window: nothing published yet

    publish("Turin lab")
    clock.advance(days=3)
    assert run(django_capture_on_commit_callbacks) == 0
    clock.advance(days=4)
    assert run(django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 1


def test_someone_who_left_the_programme_gets_no_digest(
    client, enrolled, publish, clock, django_capture_on_commit_callbacks
):
    choose(client, enrolled, "daily")
    enrollment_leave(user=enrolled)
    publish("Turin lab")
    clock.advance(minutes=5)

    assert run(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_the_beat_runs_the_digest_and_the_token_warning():
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"notifications.send_digests", "notifications.warn_expiring_tokens"} <= schedule
