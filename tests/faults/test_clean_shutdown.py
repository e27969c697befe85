"""SIGTERM on a real worker in the middle of a batch, as ``make run``'s Ctrl-C (honcho
signals the worker's whole process group), ``systemctl stop`` and ``docker stop`` (the
main process only) do: the worker finishes the post it is sending, hands the rest of the
batch back, and exits 0 without an error line. Another worker then sends what was handed
back; on the real PDS every share is there exactly once."""

from __future__ import annotations

import os
import re
import signal

import pytest

from advocacy.core.models import WorkerHeartbeat
from advocacy.networks.bluesky.client import record_key_for
from advocacy.sharing import engine
from advocacy.sharing.engine import dispatch
from advocacy.sharing.models import Share
from tests.faults.conftest import CREATE_RECORD, all_in, assert_each_posted_once, settle, states

pytestmark = [pytest.mark.worker, pytest.mark.pds, pytest.mark.django_db(transaction=True)]
State = Share.State
ERROR_LINE = re.compile(r"ERROR|CRITICAL|Traceback|WorkerLostError|exited with", re.MULTILINE)


@pytest.mark.parametrize("whom", ["process group", "main process"])
def test_sigterm_mid_batch_hands_back_the_rest_and_exits_cleanly(
    whom, bluesky_pds, programme, sharers, schedule, workers, broker, fault_proxy
):
    people = sharers(2, service_url=fault_proxy.url)
    shares = [share for person in people for share in schedule(person, dispatch.SEND_BATCH // 2)]
    fault_proxy.create_delay = 0.4  # a slow network: the batch takes a while
    worker = workers(concurrency=2)
    assert sorted(engine.dispatch_due()) == sorted(share.pk for share in shares)  # one batch
    settle(lambda: states(shares)[State.SENT] >= 2, what="the batch under way", shares=shares, worker=worker)

    # A running worker beats from its main process (what /healthz and /metrics read).
    assert WorkerHeartbeat.objects.filter(pid=worker.process.pid, stopped_at__isnull=True).exists()

    if whom == "process group":
        os.killpg(worker.process.pid, signal.SIGTERM)
    else:
        os.kill(worker.process.pid, signal.SIGTERM)
    exit_code = worker.process.wait(timeout=60)

    log = worker.log()
    assert exit_code == 0, log[-4000:]
    assert "Warm shutdown" in log
    assert not ERROR_LINE.findall(log), log[-4000:]
    # Its heartbeat row says it stopped, so it no longer counts as a live worker.
    assert WorkerHeartbeat.objects.get(pid=worker.process.pid).stopped_at is not None
    now = states(shares)
    assert now[State.SENDING] == 0, now  # nothing left "sending"
    assert not Share.objects.filter(pk__in=[s.pk for s in shares], lease_until__isnull=False).exists()
    assert now[State.SENT] + now[State.SCHEDULED] == len(shares), now
    assert now[State.SCHEDULED] > 0, "the batch finished before the worker was stopped"
    handed_back = Share.objects.filter(pk__in=[s.pk for s in shares], state=State.SCHEDULED)
    assert all(share.attempts == 0 and not share.in_doubt for share in handed_back)

    fault_proxy.create_delay = 0
    replacement = workers()
    engine.dispatch_due()
    settle(lambda: all_in(shares, State.SENT), what="every share sent", shares=shares, worker=replacement, timeout=90)

    assert_each_posted_once(bluesky_pds, people, shares, programme.disclosure)
    # Nothing handed back was posted a second time, or even looked up: it was never tried.
    for share in shares:
        assert fault_proxy.calls_for(CREATE_RECORD, record_key_for(share.idempotency_key)) == 1
