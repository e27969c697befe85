from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.core.models import ServiceHeartbeat, WorkerHeartbeat
from advocacy.core.services import worker_heartbeat_record
from advocacy.drafts.content import final_text
from advocacy.program.selectors import disclosure_for
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_create


def post_text() -> str:
    return final_text(disclosure=disclosure_for(language="en"), body="Robots sort parcels faster.")


def beating_worker(name: str = "celery@w1 pid 10", *, ago: timedelta = timedelta(0)) -> WorkerHeartbeat:
    now = timezone.now()
    return WorkerHeartbeat.objects.create(worker=name, hostname="w1", pid=10, started_at=now - ago, last_seen=now - ago)


def beat_ran(*, ago: timedelta = timedelta(0)) -> None:
    ServiceHeartbeat.objects.create(name="worker", last_seen=timezone.now() - ago, hostname="w1")


@pytest.mark.django_db
def test_it_reports_database_broker_worker_and_posting_ok(client):
    beating_worker()
    beat_ran()

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok", body["reasons"]
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True
    assert body["worker"]["ok"] is True
    assert "celery@w1 pid 10" in body["worker"]["detail"]
    assert body["posting"]["ok"] is True
    assert body["reasons"] == []


@pytest.mark.django_db
def test_it_is_unhealthy_when_no_worker_has_beaten_recently_and_says_since_when(client):
    beating_worker(ago=timedelta(minutes=10))
    beat_ran()

    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 200  # the web tier itself is fine
    assert body["status"] == "unhealthy"
    assert body["worker"]["ok"] is False
    assert "no worker has sent a heartbeat in the last 60 s" in body["worker"]["detail"]
    assert "the last one beat 600 s ago" in body["worker"]["detail"]
    assert any(reason.startswith("worker: no worker") for reason in body["reasons"])


@pytest.mark.django_db
def test_a_worker_that_stopped_cleanly_no_longer_counts_as_alive(client):
    worker_heartbeat_record(worker="celery@w1 pid 10", pid=10)
    assert client.get("/healthz").json()["worker"]["ok"] is True

    worker_heartbeat_record(worker="celery@w1 pid 10", pid=10, stopped=True)

    assert client.get("/healthz").json()["worker"]["ok"] is False


@pytest.mark.django_db
def test_it_is_unhealthy_when_a_due_share_has_waited_longer_than_the_configured_lateness(
    client, settings, enrolled, account, published
):
    settings.CANDOR_HEALTH_MAX_DUE_SECONDS = 120
    beating_worker()
    beat_ran()
    share = share_create(employee=enrolled, draft_id=published.pk, account_id=account.pk, text=post_text())
    # Due five minutes ago and still not sent (no worker picked it up).
    Share.objects.filter(pk=share.pk).update(
        state=Share.State.SCHEDULED, next_attempt_at=timezone.now() - timedelta(minutes=5)
    )

    body = client.get("/healthz").json()

    assert body["status"] == "unhealthy"
    assert body["posting"]["ok"] is False
    assert "the oldest due share has waited 300 s" in body["posting"]["detail"]
    assert "CANDOR_HEALTH_MAX_DUE_SECONDS=120" in body["posting"]["detail"]
    # A monitor that reads only status codes asks strictly.
    assert client.get("/healthz?strict=1").status_code == 503


@pytest.mark.django_db
def test_a_retry_waiting_out_its_backoff_is_not_late(client, settings, enrolled, account, published):
    settings.CANDOR_HEALTH_MAX_DUE_SECONDS = 120
    beating_worker()
    beat_ran()
    share = share_create(employee=enrolled, draft_id=published.pk, account_id=account.pk, text=post_text())
    Share.objects.filter(pk=share.pk).update(
        scheduled_at=timezone.now() - timedelta(minutes=10), next_attempt_at=timezone.now() + timedelta(minutes=1)
    )

    body = client.get("/healthz").json()

    assert body["posting"]["ok"] is True
    assert not [reason for reason in body["reasons"] if reason.startswith("posting")]


@pytest.mark.django_db
def test_it_says_degraded_when_beats_heartbeat_task_is_overdue(client):
    beating_worker()
    beat_ran(ago=timedelta(minutes=10))

    body = client.get("/healthz").json()

    assert body["status"] == "degraded"
    assert body["beat"]["ok"] is False
    assert "600 s ago" in body["beat"]["detail"]


@pytest.mark.django_db
def test_it_fails_with_503_when_the_broker_is_unreachable(client, monkeypatch):
    # Celery reads CELERY_BROKER_URL from the environment before its own config.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False
    assert "broker unreachable" in response.json()["broker"]["detail"]
