"""A send batch holds its shares with a short hold it renews while it runs: a worker
that dies frees all of its shares within one short lease (not the task's time limit,
not the queue timeout), the ones it never tried go out again without a lookup, the
one it was sending is reconciled first, and nothing waits two lease periods."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time

import pytest
from kombu.exceptions import OperationalError

from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.sharing import engine
from advocacy.sharing.engine import dispatch, leases, send
from advocacy.sharing.models import Share
from tests.support.fake_network import Landed, WorkerKilled

pytestmark = pytest.mark.django_db
State = Share.State


@pytest.fixture
def batch_of(django_user_model, enroll, connect, make_share):
    """``count`` due shares, one per person, claimed by the dispatcher (tasks not run)."""
    numbers = itertools.count()

    def make(count: int) -> list[Share]:
        shares = []
        for n in itertools.islice(numbers, count):
            person = enroll(django_user_model.objects.create_user(email=f"holder{n}@example.com", password="x" * 12))
            shares.append(make_share(employee=person, on=connect(person, handle=f"holder{n}.bsky.test")))
        assert sorted(engine.dispatch_due()) == sorted(share.pk for share in shares)
        return shares

    return make


@pytest.fixture
def killed_mid_batch(batch_of, fake_network, monkeypatch):
    """Three claimed shares; a batch sends the first, is killed (SIGKILL: no clean-up
    runs) while the second's post is on its way, and never reaches the third."""
    shares = batch_of(3)
    monkeypatch.setattr(send, "LEASE_CHUNK", 1)
    fake_network.script_publish(None, Landed(WorkerKilled()))
    with monkeypatch.context() as killed:
        killed.setattr(leases, "release", lambda *args, **kwargs: None)  # a killed process hands nothing back
        with pytest.raises(WorkerKilled):
            engine.shares_send(share_ids=[share.pk for share in shares])
    return [Share.objects.get(pk=share.pk) for share in shares]


def actions(share: Share) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="sharing.share", target_id=str(share.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def test_a_dead_batchs_shares_are_recovered_after_one_short_lease_and_only_the_one_in_flight_is_looked_up(
    killed_mid_batch, fake_network, clock
):
    sent, in_flight, untried = killed_mid_batch
    assert sent.state == State.SENT
    assert (in_flight.state, untried.state) == (State.SENDING, State.SENDING)
    assert leases.LEASE < dispatch.QUEUE_TIMEOUT  # what used to bound the wait of the untried share

    clock.advance(seconds=leases.LEASE.total_seconds() - 1)
    assert engine.recover_stale() == []  # the hold may still be renewed: the worker may be alive
    clock.advance(seconds=2)
    # The beat's next tick after one lease: both go out again (tasks run eagerly here).
    assert sorted(engine.recover_stale()) == sorted([in_flight.pk, untried.pk])

    assert [Share.objects.get(pk=s.pk).state for s in killed_mid_batch] == [State.SENT] * 3
    assert sorted(p.idempotency_key for p in fake_network.posts) == sorted(s.idempotency_key for s in killed_mid_batch)
    # Only the share whose post was on its way is looked up; the untried one simply goes out.
    assert fake_network.lookups == [(in_flight.idempotency_key, in_flight.text)]
    assert actions(in_flight)[-1] == AuditAction.SHARE_RECONCILED
    assert actions(untried)[-1] == AuditAction.SHARE_SENT
    assert Share.objects.get(pk=untried.pk).attempts == 1


def test_a_redelivered_batch_waits_while_the_hold_lives_then_takes_the_shares_over(
    killed_mid_batch, fake_network, clock
):
    _sent, in_flight, _untried = killed_mid_batch
    ids = [share.pk for share in killed_mid_batch]

    # Delivered again at once (RabbitMQ requeues a dead consumer's messages): the hold is live.
    assert [o.state for o in engine.shares_send(share_ids=ids)] == [State.SENT, State.SENDING, State.SENDING]
    assert len(fake_network.posts) == 2

    clock.advance(seconds=leases.LEASE.total_seconds() + 1)
    outcomes = engine.shares_send(share_ids=ids)

    assert [o.state for o in outcomes] == [State.SENT] * 3
    assert len(fake_network.posts) == 3
    assert fake_network.lookups == [(in_flight.idempotency_key, in_flight.text)]
    assert actions(in_flight)[-1] == AuditAction.SHARE_RECONCILED


def test_a_batch_handed_back_after_its_deadline_frees_what_it_took_over_at_once(
    killed_mid_batch, fake_network, clock, monkeypatch
):
    """The shares of a dead batch, taken over by one that then runs out of time, are
    handed back to the dispatcher, not left for a second lease period."""
    _sent, in_flight, untried = killed_mid_batch
    clock.advance(seconds=leases.LEASE.total_seconds() + 1)
    monkeypatch.setattr(send, "BATCH_SECONDS", 0)
    time.sleep(0.01)  # past the zero-second deadline

    outcomes = engine.shares_send(share_ids=[in_flight.pk, untried.pk])

    assert [o.state for o in outcomes] == [State.SCHEDULED] * 2
    in_flight.refresh_from_db()
    untried.refresh_from_db()
    assert (in_flight.state, in_flight.holder, in_flight.lease_until) == (State.SCHEDULED, "", None)
    assert in_flight.last_error_code == engine.OUTCOME_UNKNOWN  # still reconciled first
    assert (untried.state, untried.last_error_code) == (State.SCHEDULED, "")
    # The very next dispatch claims them: no second lease period.
    assert sorted(engine.dispatch_due()) == sorted([in_flight.pk, untried.pk])
    monkeypatch.setattr(send, "BATCH_SECONDS", 20)
    engine.shares_send(share_ids=[in_flight.pk, untried.pk])
    assert [Share.objects.get(pk=s.pk).state for s in killed_mid_batch] == [State.SENT] * 3
    assert len(fake_network.posts) == 3


def test_claims_the_broker_cannot_take_go_back_to_the_dispatcher_at_once(
    make_share, monkeypatch, django_capture_on_commit_callbacks
):
    from advocacy.sharing.tasks import send_shares

    shares = [make_share() for _ in range(3)]

    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(send_shares, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        claimed = engine.dispatch_due()

    assert sorted(claimed) == sorted(s.pk for s in shares)
    # Not left "sending" with no task on the way: scheduled again, as if never claimed.
    assert [Share.objects.get(pk=s.pk).state for s in shares] == [State.SCHEDULED] * 3
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=False):
        assert sorted(engine.dispatch_due()) == sorted(s.pk for s in shares)


@pytest.mark.django_db(transaction=True)
def test_a_slow_send_keeps_its_hold_so_no_other_worker_takes_the_share(batch_of, fake_network, monkeypatch):
    """A network call that outlasts the lease: the batch's renewing thread keeps the
    hold (and the lease) alive, so neither the beat nor a redelivered task touches it."""
    monkeypatch.setattr("advocacy.sharing.services._kick_dispatcher", lambda: None)
    monkeypatch.setattr("advocacy.sharing.tasks.send_shares.apply_async", lambda *args, **kwargs: None)
    monkeypatch.setattr(leases, "LEASE", dt.timedelta(seconds=1))
    [share] = batch_of(1)
    seen: dict[str, object] = {}

    def a_slow_network(request):
        time.sleep(3)  # three leases
        seen["recovered"] = engine.recover_stale()
        seen["redelivered"] = engine.shares_send(share_ids=[share.pk])[0].state
        row = Share.objects.get(pk=share.pk)
        seen["held"] = (row.state, bool(row.holder), row.lease_until is not None)

    fake_network.before_publish = a_slow_network
    [outcome] = engine.shares_send(share_ids=[share.pk], keep_alive=True)

    assert seen == {"recovered": [], "redelivered": State.SENDING, "held": (State.SENDING, True, True)}
    assert outcome.state == State.SENT
    assert len(fake_network.posts) == 1
    assert fake_network.lookups == []
    assert not [t for t in threading.enumerate() if t.name.startswith("hold-")]  # the renewing thread ended


def test_a_worker_done_with_its_batch_takes_over_a_dead_batchs_shares_but_leaves_queued_ones(
    killed_mid_batch, make_share, fake_network, clock
):
    _sent, in_flight, untried = killed_mid_batch
    queued = make_share()
    assert engine.dispatch_due() == [queued.pk]  # its task waits in the broker: nobody's to take
    assert engine.shares_take_over_lapsed() == []  # the dead batch's hold has not lapsed yet

    clock.advance(seconds=leases.LEASE.total_seconds() + 1)
    outcomes = engine.shares_take_over_lapsed()

    assert sorted(o.share_id for o in outcomes) == sorted([in_flight.pk, untried.pk])
    assert {o.state for o in outcomes} == {State.SENT}
    assert Share.objects.get(pk=queued.pk).state == State.SENDING  # left to its own task
    assert actions(in_flight)[-1] == AuditAction.SHARE_RECONCILED
    assert len(fake_network.posts) == 3
