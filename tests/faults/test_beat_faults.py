"""The clock is not the source of truth: a beat killed and restarted, or two beats
started by mistake, lose nothing and double nothing. Real beat and worker processes,
real Bluesky server."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from advocacy.sharing.models import Share
from tests.faults.conftest import all_in, assert_each_posted_once, settle
from tests.support.worker import start_beat

pytestmark = [pytest.mark.worker, pytest.mark.pds]
State = Share.State


def test_beats_killed_restarted_or_doubled_lose_and_double_nothing(
    bluesky_pds, programme, sharers, schedule, workers, broker, artifacts_dir
):
    people = sharers(2)
    early = [s for person in people for s in schedule(person, 4, at=timezone.now() + dt.timedelta(seconds=5))]
    worker = workers(concurrency=2)
    logs = artifacts_dir / "beats"

    # Two beats started by mistake tick side by side.
    first, second = start_beat(log_dir=logs), start_beat(log_dir=logs)
    # Due well after the beats are up (starting them takes seconds on a busy machine).
    late = [s for person in people for s in schedule(person, 4, at=timezone.now() + dt.timedelta(seconds=45))]
    settle(lambda: all_in(early, State.SENT), what="the early shares sent", shares=early, worker=worker, timeout=120)

    # Both die (a crash, a redeploy); a new one starts before the late shares are due.
    first.kill()
    second.kill()
    assert all_in(late, State.SCHEDULED), "nothing is dispatched before it is due"
    replacement = start_beat(log_dir=logs)
    try:
        settle(lambda: all_in(late, State.SENT), what="the late shares sent", shares=late, worker=worker, timeout=150)
    finally:
        replacement.kill()

    assert_each_posted_once(bluesky_pds, people, early + late, programme.disclosure)
