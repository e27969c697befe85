"""The hand-back sweep runs on the beat schedule, retries failed revocations with a
growing delay until a final state an admin sees, and starts the hand-back for anyone
deactivated by a path that skipped the offboarding service."""

import datetime as dt
import json

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import User
from advocacy.audit.models import AuditEvent
from advocacy.celery import app
from advocacy.ledger.models import ConnectedAccount, Offboarding
from advocacy.ledger.offboarding import MAX_REVOCATION_ATTEMPTS, hand_back_due, hand_back_run, offboarding_start
from advocacy.ledger.tasks import hand_back_sweep
from advocacy.networks import base as net
from advocacy.notifications.models import Notification
from advocacy.program.models import Enrollment
from tests.support.scenario import connect

pytestmark = pytest.mark.django_db


def test_the_sweep_is_on_the_beat_schedule():
    scheduled = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "ledger.hand_back_sweep" in scheduled
    assert scheduled["ledger.hand_back_sweep"]["schedule"] <= 60
    assert "ledger.hand_back_sweep" in app.tasks


def test_a_failing_revocation_is_retried_with_growing_delays_then_left_to_an_admin(
    client, enrolled, admin_user, networks, clock
):
    connect(enrolled, handle="emma@social.example", network="mastodon")
    networks["mastodon"].script_revoke(*[net.TransientError("Mastodon is down (503)")] * (MAX_REVOCATION_ATTEMPTS + 1))
    case = hand_back_run(offboarding_id=offboarding_start(actor=admin_user, user_id=enrolled.pk).pk)

    delays = []
    while case.state == Offboarding.State.REVOCATION_PENDING:
        delays.append((case.next_attempt_at - clock.now).total_seconds())
        assert hand_back_due() == [], "not before it is due"
        clock.now = case.next_attempt_at + dt.timedelta(seconds=1)
        assert hand_back_due() == [case.pk]
        case = hand_back_run(offboarding_id=case.pk)

    account = ConnectedAccount.objects.get(network="mastodon")
    assert account.revocation_attempts == MAX_REVOCATION_ATTEMPTS
    assert delays == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600], "growing, then hourly"
    assert case.state == Offboarding.State.REVOCATION_FAILED
    assert account.credentials_encrypted, "kept: it is still needed to revoke"
    clock.advance(days=1)
    assert hand_back_due() == [], "the sweep stops retrying"
    assert Notification.objects.filter(user=admin_user, title__contains="needs you").exists()
    client.force_login(admin_user)
    page = client.get(f"/offboarding/{case.pk}/").content.decode()
    assert "Revocation failed: needs an admin" in page and "Candor stopped retrying" in page


def test_someone_deactivated_by_the_orm_is_offboarded_by_the_system(enrolled, networks):
    User.objects.filter(pk=enrolled.pk).update(is_active=False)  # no service, no audit

    assert hand_back_sweep() == 1

    case = Offboarding.objects.get(user=enrolled)
    assert case.started_by is None and case.state == Offboarding.State.COMPLETED
    assert Enrollment.objects.get(user=enrolled).status == Enrollment.Status.LEFT
    started = AuditEvent.objects.get(action="offboarding.started", subject=enrolled)
    assert started.actor is None
    assert hand_back_sweep() == 0, "once is enough"


def test_someone_deactivated_by_loaddata_has_their_accounts_handed_back(enrolled, networks, tmp_path):
    account = connect(enrolled)
    fixture = tmp_path / "deprovisioned.json"
    row = json.loads(_serialize(enrolled))[0]
    row["fields"]["is_active"] = False
    fixture.write_text(json.dumps([row]))
    call_command("loaddata", str(fixture), verbosity=0)

    hand_back_sweep()

    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.HANDED_BACK and account.credentials_encrypted == ""


def _serialize(user: User) -> str:
    from django.core import serializers

    return serializers.serialize("json", [user])
