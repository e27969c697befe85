from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.core.models import ServiceHeartbeat


@pytest.mark.django_db
def test_it_reports_database_and_broker_ok(client):
    ServiceHeartbeat.objects.create(name="worker", last_seen=timezone.now(), hostname="w1")

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True
    assert body["worker"]["ok"] is True


@pytest.mark.django_db
def test_it_says_degraded_when_no_worker_has_reported(client):
    ServiceHeartbeat.objects.create(name="worker", last_seen=timezone.now() - timedelta(minutes=10))

    body = client.get("/healthz").json()

    assert body["status"] == "degraded"
    assert body["worker"]["ok"] is False
    assert "600 s ago" in body["worker"]["detail"] or "s ago" in body["worker"]["detail"]


@pytest.mark.django_db
def test_it_fails_with_503_when_the_broker_is_unreachable(client, monkeypatch):
    # Celery reads CELERY_BROKER_URL from the environment before its own config.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False
    assert "broker unreachable" in response.json()["broker"]["detail"]
