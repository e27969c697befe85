"""/metrics: what an operator's Prometheus reads. Only with the token or from an allowed
network; figures about shares, queues, hand-backs, the audit log and workers, and the
network calls workers made. No figure names a person."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from advocacy.core.services import worker_heartbeat_record
from advocacy.networks.base import TransientError
from advocacy.sharing import engine
from advocacy.sharing.models import Share

pytestmark = pytest.mark.django_db
TOKEN = "t" * 32


@pytest.fixture
def metrics_on(settings):
    settings.CANDOR_METRICS_TOKEN = TOKEN
    settings.CANDOR_METRICS_ALLOWED_NETWORKS = []


def scrape(client) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Every sample, by sample name and label set."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples[name][tuple(sorted(labels.items()))]


def test_metrics_are_off_until_a_token_or_a_network_is_configured(client, settings):
    settings.CANDOR_METRICS_TOKEN = ""
    settings.CANDOR_METRICS_ALLOWED_NETWORKS = []

    response = client.get("/metrics")

    assert response.status_code == 404
    assert "CANDOR_METRICS_TOKEN" in response.content.decode()


def test_a_wrong_or_missing_token_is_refused_and_says_what_is_expected(client, metrics_on):
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    missing = client.get("/metrics")

    assert wrong.status_code == 401
    assert "is not CANDOR_METRICS_TOKEN" in wrong.content.decode()
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")


def test_an_allowed_network_needs_no_token_and_others_are_refused(client, settings):
    settings.CANDOR_METRICS_TOKEN = ""
    settings.CANDOR_METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]

    inside = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    outside = client.get("/metrics", REMOTE_ADDR="192.0.2.7")

    assert inside.status_code == 200
    assert b"candor_shares" in inside.content
    assert outside.status_code == 403
    assert "192.0.2.7 is not in CANDOR_METRICS_ALLOWED_NETWORKS" in outside.content.decode()


def test_a_bad_metrics_setting_stops_start_up_naming_the_variable(monkeypatch):
    import subprocess
    import sys

    from tests.support.worker import ROOT

    env = {"DJANGO_SETTINGS_MODULE": "advocacy.settings.dev", "CANDOR_METRICS_ALLOWED_NETWORKS": "10.0.0.0/33"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**__import__("os").environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 2
    assert "CANDOR_METRICS_ALLOWED_NETWORKS: '10.0.0.0/33' is not a network" in result.stderr


@pytest.fixture
def people(django_user_model, enroll, connect):
    numbers = itertools.count()

    def make(count: int):
        made = []
        for n in itertools.islice(numbers, count):
            person = enroll(
                django_user_model.objects.create_user(
                    email=f"person{n}@example.com", password="x" * 12, display_name=f"Secret Person {n}"
                )
            )
            made.append((person, connect(person, handle=f"person{n}.bsky.test")))
        return made

    return make


def test_shares_by_state_and_network_and_the_oldest_due_share_come_from_the_database(
    client, metrics_on, people, make_share
):
    (a, a_account), (b, b_account), (c, c_account) = people(3)
    make_share(employee=a, on=a_account, scheduled_at=timezone.now() + dt.timedelta(days=1))
    late = make_share(employee=b, on=b_account)
    Share.objects.filter(pk=late.pk).update(next_attempt_at=timezone.now() - dt.timedelta(minutes=3))
    claimed = make_share(employee=c, on=c_account)
    Share.objects.filter(pk=claimed.pk).update(state=Share.State.SENDING, next_attempt_at=timezone.now())

    samples = scrape(client)

    assert value(samples, "candor_shares", state="scheduled", network="bluesky") == 2
    assert value(samples, "candor_shares", state="sending", network="bluesky") == 1
    assert value(samples, "candor_shares", state="unknown", network="bluesky") == 0
    assert value(samples, "candor_posting_due_shares", stage="waiting") == 1
    assert value(samples, "candor_posting_due_shares", stage="claimed") == 1
    assert 175 <= value(samples, "candor_posting_oldest_due_seconds") <= 240


def test_network_calls_latency_errors_and_lateness_are_counted_per_network(
    client, metrics_on, people, make_share, fake_network
):
    shares = [make_share(employee=person, on=account) for person, account in people(3)]
    fake_network.script_publish(None, TransientError("502 Bad Gateway"), None)
    engine.shares_send(share_ids=engine.dispatch_due())

    samples = scrape(client)

    calls = {"network": "bluesky", "call": "publish"}
    assert value(samples, "candor_network_calls_total", **calls, outcome="ok") == 2
    assert value(samples, "candor_network_calls_total", **calls, outcome="transient") == 1
    assert value(samples, "candor_network_call_seconds_count", **calls) == 3
    assert value(samples, "candor_network_call_seconds_bucket", **calls, le="+Inf") == 3
    assert value(samples, "candor_share_lateness_seconds_count", network="bluesky") == 2
    assert value(samples, "candor_share_lateness_seconds_bucket", network="bluesky", le="60.0") == 2
    assert len(shares) == 3

    # Counts add up across batches (and across worker processes: they share the rows).
    engine.shares_send(share_ids=engine.dispatch_due(now=timezone.now() + dt.timedelta(minutes=5)))
    assert value(scrape(client), "candor_network_calls_total", **calls, outcome="ok") == 3


def test_hand_backs_workers_and_the_audit_checkpoint_are_reported(client, metrics_on, people):
    from advocacy.audit.checkpoints import checkpoint_create

    people(1)  # some audit events
    worker_heartbeat_record(worker="celery@w1 pid 10", pid=10)
    worker_heartbeat_record(worker="celery@w2 pid 20", pid=20, stopped=True)
    checkpoint_create(actor=None)

    samples = scrape(client)

    assert value(samples, "candor_workers_alive") == 1
    assert value(samples, "candor_worker_heartbeat_age_seconds", worker="celery@w1 pid 10", state="running") < 60
    states = {dict(labels)["state"] for labels in samples["candor_worker_heartbeat_age_seconds"]}
    assert states == {"running", "stopped"}
    assert value(samples, "candor_hand_backs", state="revocation_failed") == 0
    assert 0 <= value(samples, "candor_audit_checkpoint_age_seconds") < 60
    assert value(samples, "candor_audit_events_not_checkpointed") == 0


def test_no_figure_names_a_person_or_an_account(client, metrics_on, people, make_share, fake_network):
    for person, account in people(2):
        make_share(employee=person, on=account)
    engine.shares_send(share_ids=engine.dispatch_due())

    body = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()

    for secret in ("person0", "person1", "Secret Person", "@example.com", "bsky.test", "did:plc"):
        assert secret not in body
