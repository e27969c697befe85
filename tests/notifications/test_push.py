"""Web push: opt-in per device, only to the people a post is meant for, in their
language, once; a subscription the push service calls gone is deleted, and leaving
or deactivation deletes them all. The push service is a local HTTP server (the
network boundary); each message is decrypted with the browser's own keys."""

from __future__ import annotations

import pytest
from django.conf import settings

from accounts.models import User
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.core.my_data import my_data_export
from advocacy.ledger.offboarding import offboarding_start
from advocacy.notifications.models import Notification, PushSubscription
from advocacy.notifications.tasks import push_notification
from advocacy.program.services import enrollment_leave, enrollment_opt_in
from tests.support.scenario import connect
from tests.support.worker import running_worker, wait_for
from tests.workflow.test_notification_language import speaks

pytestmark = pytest.mark.django_db


@pytest.fixture
def sharer(enrolled: User) -> User:
    """Taking part, with a Bluesky account (the drafts in these tests target Bluesky)."""
    connect(enrolled)
    return enrolled


def publish_now(publish, title: str, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return publish(title)


def test_push_is_off_until_the_person_turns_it_on(
    client, sharer, publish, push_service, django_capture_on_commit_callbacks
):
    client.force_login(sharer)
    page = client.get("/notifications/settings/").content.decode()
    assert "Turn on for this device" in page
    assert f'data-push-key="{settings.CANDOR_VAPID_PUBLIC_KEY}"' in page
    assert "Push is on for" not in page

    publish_now(publish, "Turin lab", django_capture_on_commit_callbacks)

    assert push_service.received == []


def test_a_new_post_is_pushed_in_the_persons_language_with_its_link(
    client, sharer, publish, push_service, django_capture_on_commit_callbacks
):
    speaks(sharer, "de")
    _browser, response = push_service.subscribe(client, sharer)
    assert response.status_code == 201

    draft = publish_now(publish, "Turin lab", django_capture_on_commit_callbacks)

    [(path, message)] = push_service.messages()
    assert path.endswith(f"browser-of-{sharer.pk}")
    assert message["title"] == "Neuer Beitrag zum Teilen: Turin lab"
    assert message["body"] == "Turin lab: read all about it."
    assert message["url"] == f"{settings.CANDOR_SITE_URL}/feed/{draft.pk}/share/"
    [received] = push_service.received
    assert received.headers["authorization"].startswith("vapid t=")
    assert received.headers["content-encoding"] == "aes128gcm"


def test_only_the_people_a_post_is_meant_for_get_its_push(
    client, sharer, other_employee, employee, policy, publish, push_service, django_capture_on_commit_callbacks
):
    # Someone taking part whose only account is on X: a Bluesky post is not for them.
    enrollment_opt_in(user=other_employee, policy_version_id=policy.pk, accepted=True)
    connect(other_employee, handle="otto.test", network="x")
    push_service.subscribe(client, other_employee)
    push_service.subscribe(client, sharer)

    publish_now(publish, "Turin lab", django_capture_on_commit_callbacks)

    assert [path for path, _message in push_service.messages()] == [f"/push/browser-of-{sharer.pk}"]


def test_only_people_taking_part_can_turn_push_on(client, employee, push_service):
    _browser, response = push_service.subscribe(client, employee)  # not joined yet

    assert response.status_code == 403
    assert "Join the programme first" in response.json()["detail"]
    assert not PushSubscription.objects.exists()


def test_a_browser_that_is_gone_loses_its_subscription(
    client, sharer, publish, push_service, django_capture_on_commit_callbacks
):
    push_service.subscribe(client, sharer)
    push_service.answer_status = 410

    publish_now(publish, "Turin lab", django_capture_on_commit_callbacks)

    assert len(push_service.received) == 1
    assert not PushSubscription.objects.filter(user=sharer).exists()
    gone = AuditEvent.objects.get(action=AuditAction.PUSH_UNSUBSCRIBED, subject=sharer)
    assert gone.actor is None
    assert gone.payload["new"]["reason"] == "push_service_410"


def test_a_push_service_error_keeps_the_subscription(
    client, sharer, publish, push_service, django_capture_on_commit_callbacks
):
    push_service.subscribe(client, sharer)
    push_service.answer_status = 503

    publish_now(publish, "Turin lab", django_capture_on_commit_callbacks)

    assert len(push_service.received) == 1
    assert PushSubscription.objects.filter(user=sharer).count() == 1
    assert Notification.objects.filter(user=sharer, kind=Notification.Kind.DRAFT_PUBLISHED).count() == 1


def test_leaving_the_programme_deletes_every_subscription_and_nothing_more_is_pushed(
    client, sharer, publish, push_service, django_capture_on_commit_callbacks
):
    push_service.subscribe(client, sharer, name="phone")
    push_service.subscribe(client, sharer, name="laptop")

    enrollment_leave(user=sharer)
    publish_now(publish, "Turin lab", django_capture_on_commit_callbacks)

    assert not PushSubscription.objects.filter(user=sharer).exists()
    assert push_service.received == []
    reasons = AuditEvent.objects.filter(action=AuditAction.PUSH_UNSUBSCRIBED, subject=sharer)
    assert sorted(e.payload["new"]["reason"] for e in reasons) == ["left_programme", "left_programme"]


def test_offboarding_deletes_the_subscriptions_at_once(client, sharer, admin_user, push_service):
    push_service.subscribe(client, sharer)

    offboarding_start(actor=admin_user, user_id=sharer.pk, reason="Left the company")

    assert not PushSubscription.objects.filter(user=sharer).exists()


def test_a_push_is_sent_once_even_when_its_task_runs_twice(client, sharer, push_service):
    push_service.subscribe(client, sharer)
    note = Notification.objects.create(user=sharer, kind=Notification.Kind.SHARE_FAILED, title="Failed", link="/x/")

    push_notification.delay(note.pk)
    push_notification.delay(note.pk)

    assert len(push_service.received) == 1


def test_no_push_for_someone_deactivated(client, sharer, push_service):
    push_service.subscribe(client, sharer)
    note = Notification.objects.create(user=sharer, kind=Notification.Kind.SHARE_FAILED, title="Failed", link="/x/")
    User.objects.filter(pk=sharer.pk).update(is_active=False)

    push_notification.delay(note.pk)

    assert push_service.received == []


def test_turning_push_off_on_this_device_and_everywhere(client, sharer, push_service):
    phone, _ = push_service.subscribe(client, sharer, name="phone")
    push_service.subscribe(client, sharer, name="laptop")
    assert "Push is on for 2 devices." in client.get("/notifications/settings/").content.decode()
    devices = my_data_export(user=sharer)["push_devices"]
    assert [d["push_service"] for d in devices] == [push_service.url.removeprefix("http://")] * 2

    response = client.post(
        "/notifications/push/unsubscribe/", {"endpoint": phone.endpoint}, content_type="application/json"
    )
    assert response.json() == {"push": "off", "removed": 1}
    assert PushSubscription.objects.filter(user=sharer).count() == 1

    client.post("/notifications/push/off-everywhere/")
    assert not PushSubscription.objects.filter(user=sharer).exists()
    actions = AuditEvent.objects.filter(subject=sharer, action__startswith="push.").values_list("action", flat=True)
    assert sorted(actions) == ["push.subscribed", "push.subscribed", "push.unsubscribed", "push.unsubscribed"]


def test_a_browser_someone_else_subscribed_becomes_the_new_persons(
    client, sharer, other_employee, policy, push_service
):
    enrollment_opt_in(user=other_employee, policy_version_id=policy.pk, accepted=True)
    browser, _ = push_service.subscribe(client, sharer, name="shared-tablet")

    client.force_login(other_employee)
    client.post("/notifications/push/subscribe/", browser.as_json(), content_type="application/json")

    assert list(PushSubscription.objects.values_list("user", flat=True)) == [other_employee.pk]


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ("not json", "JSON object"),
        ({"endpoint": "ftp://push.example/1", "keys": {"p256dh": "x", "auth": "y"}}, "https://"),
        ({"endpoint": "https://push.example/1", "keys": {"p256dh": "short", "auth": "y"}}, "p256dh key is malformed"),
    ],
)
def test_a_bad_subscription_is_refused_naming_the_rule(client, sharer, body, rule):
    client.force_login(sharer)

    response = client.post("/notifications/push/subscribe/", body, content_type="application/json")

    assert response.status_code == 400
    assert rule in response.json()["detail"]
    assert not PushSubscription.objects.exists()


def test_without_vapid_keys_the_page_says_push_is_not_set_up(client, sharer, settings, push_service):
    settings.CANDOR_VAPID_PRIVATE_KEY = ""

    client.force_login(sharer)
    page = client.get("/notifications/settings/").content.decode()
    assert "Push notifications are not set up on this server." in page
    _browser, response = push_service.subscribe(client, sharer)
    assert response.status_code == 409


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_pushes_a_new_post_after_it_is_published(
    client, sharer, publish, push_service, real_broker, artifacts_dir
):
    push_service.subscribe(client, sharer)

    with running_worker(log_dir=artifacts_dir / "workers") as worker:
        draft = publish("Turin lab")
        wait_for(
            lambda: push_service.received,
            timeout=60,
            message=f"the worker to push draft {draft.pk}; worker log:\n{worker.log()}",
        )

    [(_path, message)] = push_service.messages()
    assert message["title"] == "New post to share: Turin lab"
