"""Workers and brokers failing while real shares go out to the real Bluesky PDS.

Each test runs real Celery worker processes on the configured broker (the filesystem
broker locally; Redis in CI) and counts the posts ON THE SERVER: every share ends
up posted exactly once, or not at all when it must not go out.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from advocacy.audit.actions import AuditAction
from advocacy.ledger.services import account_disconnect
from advocacy.networks.bluesky.client import record_key_for
from advocacy.notifications.models import Notification
from advocacy.program.services import enrollment_leave
from advocacy.sharing import engine
from advocacy.sharing.engine import dispatch
from advocacy.sharing.models import Share
from advocacy.sharing.tasks import send_shares
from tests.faults.conftest import (
    CREATE_RECORD,
    Fault,
    all_in,
    assert_each_posted_once,
    assert_nothing_posted,
    audit_actions,
    beat_until,
    dispatch_retries,
    run_dispatchers,
    settle,
    states,
    warm_stop,
)

pytestmark = [pytest.mark.worker, pytest.mark.pds, pytest.mark.django_db(transaction=True)]
State = Share.State


def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(
    bluesky_pds, programme, sharers, schedule, workers, broker, fault_proxy, short_lease
):
    people = sharers(3, service_url=fault_proxy.url)
    shares = [share for person in people for share in schedule(person, 10)]
    # The 12th post reaches Bluesky, but its answer never comes back: the worker is
    # killed while it waits, so Candor cannot know that this post went out.
    fault_proxy.script(CREATE_RECORD, *[None] * 11, Fault("landed_then_hang"))
    worker = workers()

    assert sorted(engine.dispatch_due()) == sorted(share.pk for share in shares)
    settle(fault_proxy.held.is_set, what="the 12th post to be held", shares=shares, worker=worker)
    worker.kill()
    fault_proxy.release()

    sent_at_kill = states(shares)[State.SENT]
    assert 0 < sent_at_kill < len(shares)
    by_key = {record_key_for(share.idempotency_key): share for share in shares}
    in_flight = Share.objects.get(pk=by_key[fault_proxy.held_keys[0]].pk)
    assert in_flight.state == State.SENDING
    assert in_flight.lease_until is not None

    replacement = workers()
    beat_until(shares, State.SENT, broker=broker, worker=replacement)

    assert_each_posted_once(bluesky_pds, people, shares, programme.disclosure)
    # The post that landed before the kill was found on Bluesky, not posted again.
    assert fault_proxy.calls_for(CREATE_RECORD, fault_proxy.held_keys[0]) == 1
    assert AuditAction.SHARE_RECONCILED in audit_actions(in_flight)


def test_a_retry_whose_message_the_broker_lost_still_checks_before_posting(
    bluesky_pds, programme, sharers, schedule, workers, broker, fault_proxy, monkeypatch, short_lease
):
    (person,) = sharers(1, service_url=fault_proxy.url)
    (share,) = schedule(person, 1)
    rkey = record_key_for(share.idempotency_key)
    # The post lands, but Bluesky answers 500: the outcome is unknown to Candor.
    fault_proxy.script(CREATE_RECORD, Fault("landed_then_error"), rkey=rkey)
    worker = workers()
    engine.dispatch_due()
    settle(lambda: all_in([share], State.SCHEDULED), what="a retry scheduled", shares=[share], worker=worker)
    share.refresh_from_db()
    assert share.last_error_code == engine.OUTCOME_UNKNOWN

    # When the retry comes due the broker takes its task message and then loses it
    # (a Redis crash without persistence): the share is claimed, and no task comes.
    with monkeypatch.context() as patch:
        patch.setattr(send_shares, "apply_async", lambda *args, **kwargs: None)
        assert dispatch_retries([share]) == [share.pk]
    share.refresh_from_db()
    assert share.state == State.SENDING

    # No batch ever held it: a beat inside the queue timeout leaves it to the queue,
    # and the first beat after it enqueues it again.
    queue_timeout = dispatch.QUEUE_TIMEOUT
    assert engine.recover_stale(now=share.claimed_at + queue_timeout - dt.timedelta(seconds=1)) == []
    assert engine.recover_stale(now=share.claimed_at + queue_timeout + dt.timedelta(seconds=1)) == [share.pk]
    settle(lambda: all_in([share], State.SENT), what="the share sent", shares=[share], worker=worker)

    assert_each_posted_once(bluesky_pds, [person], [share], programme.disclosure)
    # The second attempt looked the post up instead of creating it again: on a network
    # without record keys (X, LinkedIn) a blind second create would be a duplicate.
    assert fault_proxy.calls_for(CREATE_RECORD, rkey) == 1
    assert audit_actions(share)[-1] == AuditAction.SHARE_RECONCILED


def test_a_retry_due_while_the_broker_is_down_is_handed_back_and_still_checks_before_posting(
    bluesky_pds, programme, sharers, schedule, workers, broker, fault_proxy, monkeypatch
):
    (person,) = sharers(1, service_url=fault_proxy.url)
    (share,) = schedule(person, 1)
    rkey = record_key_for(share.idempotency_key)
    fault_proxy.script(CREATE_RECORD, Fault("landed_then_error"), rkey=rkey)
    worker = workers()
    engine.dispatch_due()
    settle(lambda: all_in([share], State.SCHEDULED), what="a retry scheduled", shares=[share], worker=worker)

    # The retry comes due while the broker refuses connections: the claim is handed
    # straight back, still in doubt, instead of waiting in "sending" for the queue timeout.
    def broker_unreachable(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to the broker. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(send_shares, "apply_async", broker_unreachable)
        dispatch_retries([share])
    share.refresh_from_db()
    assert (share.state, share.last_error_code) == (State.SCHEDULED, engine.OUTCOME_UNKNOWN)

    # The broker is back: the next dispatch sends it, and it reconciles first.
    assert dispatch_retries([share]) == [share.pk]
    settle(lambda: all_in([share], State.SENT), what="the share sent", shares=[share], worker=worker)
    assert_each_posted_once(bluesky_pds, [person], [share], programme.disclosure)
    assert fault_proxy.calls_for(CREATE_RECORD, rkey) == 1
    assert audit_actions(share)[-1] == AuditAction.SHARE_RECONCILED


def test_a_broker_restarted_mid_batch_loses_and_doubles_nothing(
    request, bluesky_pds, programme, sharers, schedule, workers, fault_proxy, broker
):
    redis = None
    if broker.is_redis:
        # Never the machine's shared Redis: a private one that can be killed.
        redis = request.getfixturevalue("private_redis")
        broker.switch_to(redis.url)
        request.getfixturevalue("short_lease")  # what Redis loses is recovered after the lease
    people = sharers(2, service_url=fault_proxy.url)
    # More shares than the two worker processes' batches hold, so that one batch is
    # still waiting in the broker when the restart comes.
    per_person = 3 * dispatch.SEND_BATCH
    shares = [share for person in people for share in schedule(person, per_person)]
    # The 5th post's answer is held back, so the restart happens while a batch is half done.
    fault_proxy.script(CREATE_RECORD, *[None] * 4, Fault("hold_answer"))
    worker = workers()
    engine.dispatch_due()
    settle(fault_proxy.held.is_set, what="the 5th post to be held", shares=shares, worker=worker)
    assert len(shares) - states(shares)[State.SENT] > 0

    if redis is not None:
        # Redis crashes (no persistence: every queued message is gone) and comes back.
        redis.kill()
        fault_proxy.release()
        redis.start()
        # The beat re-enqueues what the broker lost once the lease has run out.
        beat_until(shares, State.SENT, broker=broker, worker=worker)
    else:
        # The filesystem broker has no server: the equivalent is every consumer going
        # away (a warm stop finishes the running task and hands back prefetched
        # messages), deleting nothing, and a new worker starting.
        fault_proxy.release()
        warm_stop(worker)
        waiting = {share.pk for share in shares if all_in([share], State.SENDING)}
        assert waiting, "the batch finished before the worker stopped"
        assert set(broker.queued_send_shares()) == waiting  # the messages survived, on disk
        replacement = workers()
        # No beat here: the surviving messages alone must finish the batch.
        settle(
            lambda: all_in(shares, State.SENT),
            what="every share sent from the surviving messages",
            shares=shares,
            worker=replacement,
            timeout=90,
        )

    assert_each_posted_once(bluesky_pds, people, shares, programme.disclosure)


def test_two_dispatchers_at_once_enqueue_and_post_each_share_once(
    bluesky_pds, programme, sharers, schedule, workers, broker, tmp_path
):
    people = sharers(2)
    shares = [share for person in people for share in schedule(person, 25)]
    ids = sorted(share.pk for share in shares)

    # Two beats started by mistake fire at the same instant, in two processes.
    claims = run_dispatchers(2, workdir=tmp_path)

    assert sorted(claims[0] + claims[1]) == ids, f"claimed {len(claims[0])} + {len(claims[1])}"
    assert all_in(shares, State.SENDING)
    queued = broker.queued_send_shares()
    assert {share_id: queued[share_id] for share_id in ids} == dict.fromkeys(ids, 1)

    worker = workers(concurrency=4)
    settle(lambda: all_in(shares, State.SENT), what="50 shares sent", shares=shares, worker=worker, timeout=120)
    assert_each_posted_once(bluesky_pds, people, shares, programme.disclosure)


def test_a_share_is_never_posted_after_its_employee_leaves_or_disconnects(
    bluesky_pds, programme, sharers, schedule, workers
):
    leaver, disconnector, stayer = sharers(3)
    due_now = {person.did: schedule(person, 1)[0] for person in (leaver, disconnector, stayer)}
    later = timezone.now() + dt.timedelta(minutes=5)
    due_later = {person.did: schedule(person, 1, at=later)[0] for person in (leaver, disconnector, stayer)}
    # The shares due now are claimed and their tasks queued, but no worker is up yet.
    assert sorted(engine.dispatch_due()) == sorted(share.pk for share in due_now.values())

    enrollment_leave(user=leaver.user)
    account_disconnect(actor=disconnector.user, account_id=disconnector.account.pk)
    # Those still waiting for their time are cancelled on the spot, by the services.
    for person in (leaver, disconnector):
        share = Share.objects.get(pk=due_later[person.did].pk)
        assert share.state == State.CANCELLED
        assert share.cancelled_reason

    worker = workers()
    queued = list(due_now.values())
    settle(lambda: all_in(queued, State.SENT, State.CANCELLED), what="the queued shares", shares=queued, worker=worker)
    # Later, the remaining share comes due and goes out.
    engine.dispatch_due(now=later + dt.timedelta(seconds=1))
    settle(
        lambda: all_in([due_later[stayer.did]], State.SENT),
        what="the stayer's later share sent",
        shares=list(due_later.values()),
        worker=worker,
    )

    # Those already queued are stopped by the worker's last check, with a reason.
    left = Share.objects.get(pk=due_now[leaver.did].pk)
    assert left.state == State.CANCELLED
    assert "no longer taking part" in left.cancelled_reason
    gone = Share.objects.get(pk=due_now[disconnector.did].pk)
    assert gone.state == State.CANCELLED
    assert "disconnected" in gone.cancelled_reason
    for share in (left, gone):
        assert Notification.objects.filter(
            user=share.employee, kind=Notification.Kind.SHARE_CANCELLED, link=f"/shares/{share.pk}/"
        ).exists()
    assert_nothing_posted(bluesky_pds, leaver)
    assert_nothing_posted(bluesky_pds, disconnector)
    assert_each_posted_once(bluesky_pds, [stayer], [due_now[stayer.did], due_later[stayer.did]], programme.disclosure)
