"""The posting engine sends claimed shares in batches (one task, one lease statement,
one write of the outcomes): each share still goes out once, with its own audit
event, and a change made mid-batch, a crash or a slow network loses nothing."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.audit.verify import audit_verify
from advocacy.ledger.services import account_disconnect
from advocacy.program.services import enrollment_leave
from advocacy.sharing import engine
from advocacy.sharing.engine import batch, leases, send
from advocacy.sharing.models import Share
from tests.support.fake_network import Landed, WorkerKilled

pytestmark = pytest.mark.django_db

State = Share.State


@pytest.fixture
def sharers(django_user_model, enroll, connect):
    """``count`` people taking part, each with their own Bluesky account."""

    numbers = itertools.count()

    def make(count: int) -> list:
        people = []
        for n in itertools.islice(numbers, count):
            person = enroll(django_user_model.objects.create_user(email=f"sharer{n}@example.com", password="x" * 12))
            people.append((person, connect(person, handle=f"sharer{n}.bsky.test")))
        return people

    return make


@pytest.fixture
def batch_of(sharers, make_share):
    """One due share per person, claimed by the dispatcher (tasks not run)."""

    def make(count: int) -> list[Share]:
        shares = [make_share(employee=person, on=account) for person, account in sharers(count)]
        assert sorted(engine.dispatch_due()) == sorted(share.pk for share in shares)
        return shares

    return make


def fresh(shares: list[Share]) -> list[Share]:
    return list(Share.objects.filter(pk__in=[s.pk for s in shares]).order_by("pk"))


def test_a_batch_posts_each_share_once_with_one_chained_audit_event_each(batch_of, fake_network):
    shares = batch_of(6)

    outcomes = engine.shares_send(share_ids=[s.pk for s in shares])

    assert [o.state for o in outcomes] == [State.SENT] * 6
    assert sorted(p.idempotency_key for p in fake_network.posts) == sorted(s.idempotency_key for s in shares)
    for share in fresh(shares):
        assert (share.state, share.lease_until, share.attempts) == (State.SENT, None, 1)
        [post] = [p for p in fake_network.posts if p.idempotency_key == share.idempotency_key]
        assert share.external_url == post.url
    sent_events = AuditEvent.objects.filter(action=AuditAction.SHARE_SENT).order_by("sequence")
    assert sorted(int(e.target_id) for e in sent_events) == sorted(s.pk for s in shares)
    assert audit_verify().ok


def test_a_redelivered_batch_posts_nothing_twice(batch_of, fake_network):
    shares = batch_of(3)
    ids = [s.pk for s in shares]

    engine.shares_send(share_ids=ids)
    again = engine.shares_send(share_ids=ids)

    assert len(fake_network.posts) == 3
    assert [o.state for o in again] == [State.SENT] * 3
    assert all("not claimable" in o.detail for o in again)


def test_the_statements_a_batch_needs_grow_with_its_chunks_not_with_each_share(batch_of, fake_network):
    """What makes batches pay: loading and the pre-send checks are a fixed number of
    statements per batch, and the leases and the writes of the outcomes (with their
    audit events) a fixed number per chunk of LEASE_CHUNK shares, not per share."""
    chunk = send.LEASE_CHUNK
    counts = {}
    for size in (2, chunk, 2 * chunk, 3 * chunk):
        shares = batch_of(size)
        with CaptureQueriesContext(connection) as queries:
            engine.shares_send(share_ids=[s.pk for s in shares])
        counts[size] = sum(1 for q in queries if "SAVEPOINT" not in q["sql"])  # the test's own transaction

    assert counts[2] == counts[chunk]
    per_chunk = counts[2 * chunk] - counts[chunk]
    assert counts[3 * chunk] - counts[2 * chunk] == per_chunk
    # people's lock (PostgreSQL only), lease, fresh facts, move, chain head, events, head update
    assert per_chunk <= 7
    assert len(fake_network.posts) == 2 + 6 * chunk


def test_someone_who_leaves_mid_batch_is_not_posted_for(batch_of, fake_network, monkeypatch):
    # One share per lease: each share's facts are read when its own lease is taken, as
    # happens for the shares of the next lease group.
    monkeypatch.setattr(send, "LEASE_CHUNK", 1)
    first, leaver_share, disconnector_share, last = batch_of(4)

    def others_change_their_minds(request):
        enrollment_leave(user=leaver_share.employee)
        account_disconnect(actor=disconnector_share.employee, account_id=disconnector_share.account_id)

    fake_network.before_publish = others_change_their_minds
    engine.shares_send(share_ids=[first.pk, leaver_share.pk, disconnector_share.pk, last.pk])

    states = {s.pk: s for s in fresh([first, leaver_share, disconnector_share, last])}
    assert states[first.pk].state == states[last.pk].state == State.SENT
    assert states[leaver_share.pk].state == State.CANCELLED
    assert "no longer taking part" in states[leaver_share.pk].cancelled_reason
    assert states[disconnector_share.pk].state == State.CANCELLED
    posted = sorted(p.idempotency_key for p in fake_network.posts)
    assert posted == sorted([first.idempotency_key, last.idempotency_key])


def test_a_batch_out_of_time_hands_its_untried_shares_back_and_they_go_out_later(batch_of, fake_network, monkeypatch):
    shares = batch_of(3)
    usual = send.BATCH_SECONDS
    monkeypatch.setattr(send, "BATCH_SECONDS", 0)

    outcomes = engine.shares_send(share_ids=[s.pk for s in shares])

    assert [o.state for o in outcomes] == [State.SCHEDULED] * 3
    assert [(s.state, s.attempts, s.lease_until) for s in fresh(shares)] == [(State.SCHEDULED, 0, None)] * 3
    assert fake_network.posts == []

    monkeypatch.setattr(send, "BATCH_SECONDS", usual)
    assert sorted(engine.dispatch_due()) == sorted(s.pk for s in shares)
    engine.shares_send(share_ids=[s.pk for s in shares])
    assert [s.state for s in fresh(shares)] == [State.SENT] * 3
    assert len(fake_network.posts) == 3


def test_a_crash_mid_batch_keeps_what_was_done_and_reconciles_the_one_in_flight(batch_of, fake_network, clock):
    shares = batch_of(4)
    # The third post reaches the network, then the worker dies before hearing back.
    fake_network.script_publish(None, None, Landed(WorkerKilled()))

    with pytest.raises(WorkerKilled):
        engine.shares_send(share_ids=[s.pk for s in shares])

    first, second, in_flight, untried = fresh(shares)
    assert (first.state, second.state) == (State.SENT, State.SENT)
    assert in_flight.state == State.SENDING and in_flight.lease_until is not None
    assert (untried.state, untried.attempts) == (State.SCHEDULED, 0)

    clock.now = in_flight.lease_until + leases.LEASE  # the beat finds the stranded share
    assert engine.recover_stale() == [in_flight.pk]
    engine.shares_send(share_ids=[in_flight.pk])
    assert sorted(engine.dispatch_due()) == [untried.pk]
    engine.shares_send(share_ids=[untried.pk])

    assert [s.state for s in fresh(shares)] == [State.SENT] * 4
    assert sorted(p.idempotency_key for p in fake_network.posts) == sorted(s.idempotency_key for s in shares)
    assert AuditEvent.objects.filter(action=AuditAction.SHARE_RECONCILED, target_id=str(in_flight.pk)).exists()


def test_a_worker_that_finishes_a_batch_pulls_the_next_due_shares_without_waiting_for_the_beat(
    sharers, make_share, fake_network, django_capture_on_commit_callbacks
):
    from advocacy.sharing.tasks import send_shares

    (first_person, first_account), (second_person, second_account) = sharers(2)
    first = make_share(employee=first_person, on=first_account)
    assert engine.dispatch_due(limit=1) == [first.pk]  # the beat claimed only what the queue could take
    waiting = make_share(employee=second_person, on=second_account)

    with django_capture_on_commit_callbacks(execute=True):
        send_shares(share_ids=[first.pk])  # as a worker runs it

    assert [s.state for s in fresh([first, waiting])] == [State.SENT, State.SENT]
    assert len(fake_network.posts) == 2


def _cancelled_audit_reason(share: Share) -> str:
    [event] = AuditEvent.objects.filter(action=AuditAction.SHARE_CANCELLED, target_id=str(share.pk))
    return event.payload["new"]["reason"]


def test_a_person_deactivated_behind_candors_back_is_never_posted_for(batch_of, fake_network, django_user_model):
    stays, deactivated = batch_of(2)
    # Not through Offboard: an SSO sync, the admin's box or a shell session. Nothing
    # cancelled their shares, and their enrolment still says "participating".
    django_user_model.objects.filter(pk=deactivated.employee_id).update(is_active=False)

    engine.shares_send(share_ids=[stays.pk, deactivated.pk])

    assert [p.idempotency_key for p in fake_network.posts] == [stays.idempotency_key]
    share = Share.objects.get(pk=deactivated.pk)
    assert share.state == State.CANCELLED
    assert "deactivated" in share.cancelled_reason
    assert "deactivated" in _cancelled_audit_reason(share)
    assert audit_verify().ok


def _leave(share: Share) -> None:
    enrollment_leave(user=share.employee)


def _offboard(share: Share) -> None:
    from accounts.models import Role
    from advocacy.ledger.offboarding import offboarding_start
    from tests.factories import UserFactory

    offboarding_start(actor=UserFactory(role=Role.ADMIN), user_id=share.employee_id)


def _deactivate(share: Share) -> None:
    type(share.employee).objects.filter(pk=share.employee_id).update(is_active=False)


@pytest.mark.parametrize(
    ("change", "reason"),
    [(_leave, "no longer taking part"), (_offboard, "leaving the company"), (_deactivate, "deactivated")],
    ids=["leaves", "is-offboarded", "is-deactivated"],
)
def test_a_change_committed_after_the_batch_started_but_before_the_lease_is_honoured(
    batch_of, fake_network, monkeypatch, change, reason
):
    """The batch once read who may share when it started and trusted that copy for
    half a second: someone who left in between was posted for. The lease reads it."""
    stays, changes = batch_of(2)
    started = batch.SendBatch.__init__

    def then_the_person_changes(self, *args, **kwargs):
        started(self, *args, **kwargs)
        change(changes)

    monkeypatch.setattr(batch.SendBatch, "__init__", then_the_person_changes)
    engine.shares_send(share_ids=[stays.pk, changes.pk])

    assert [p.idempotency_key for p in fake_network.posts] == [stays.idempotency_key]
    share = Share.objects.get(pk=changes.pk)
    assert share.state == State.CANCELLED
    assert reason in share.cancelled_reason
    assert reason in _cancelled_audit_reason(share)


@pytest.mark.django_db(transaction=True)
def test_a_leave_begun_while_a_leased_post_is_on_its_way_waits_for_it_and_comes_after_it(
    batch_of, fake_network, monkeypatch
):
    """The share was leased before the leave: it may go out, but then the leave only
    commits once its outcome is recorded, so no post is ever made after a leave
    committed and the audit log tells them in the order they happened."""
    import threading

    from django.db import connections

    from advocacy.program import services as program_services

    # Committed for real here: the (eager) tasks would run on commit; this test is the worker.
    monkeypatch.setattr("advocacy.sharing.services._kick_dispatcher", lambda: None)
    monkeypatch.setattr("advocacy.sharing.tasks.send_shares.apply_async", lambda *args, **kwargs: None)
    [share] = batch_of(1)
    leaving = threading.Thread(target=lambda: (enrollment_leave(user=share.employee), connections.close_all()))
    waiting = threading.Event()
    in_flight = getattr(program_services, "_posts_in_flight", None)

    def seen_in_flight(**kwargs):
        found = in_flight(**kwargs)
        if found:
            waiting.set()
        return found

    if in_flight is not None:
        monkeypatch.setattr(program_services, "_posts_in_flight", seen_in_flight)

    def the_person_leaves_meanwhile(request):
        leaving.start()
        # Until the leave has either finished or found this post in flight.
        while leaving.is_alive() and not waiting.is_set():
            leaving.join(0.01)

    fake_network.before_publish = the_person_leaves_meanwhile
    outcomes = engine.shares_send(share_ids=[share.pk])
    assert outcomes[0].state == State.SENT, outcomes
    leaving.join(30)

    assert not leaving.is_alive()
    assert [p.idempotency_key for p in fake_network.posts] == [share.idempotency_key]
    assert Share.objects.get(pk=share.pk).state == State.SENT
    sent = AuditEvent.objects.get(action=AuditAction.SHARE_SENT, target_id=str(share.pk))
    left = AuditEvent.objects.get(action=AuditAction.CONSENT_OPTED_OUT, subject_id=share.employee_id)
    assert sent.sequence < left.sequence
    assert audit_verify().ok
