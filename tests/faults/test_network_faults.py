"""Bluesky answering badly: rate limits, server errors, lost answers, hangs, and a
post that already exists. A scriptable HTTP proxy (``fault_proxy``) sits between
Candor and the real PDS; what counts is what landed ON THE SERVER.

Every share ends in exactly one post (or waits, as asked, before trying again), and
a share whose outcome is unknown is looked up before anything is posted again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from advocacy.audit.actions import AuditAction
from advocacy.networks.bluesky import client as bluesky_client
from advocacy.networks.bluesky.client import record_key_for
from advocacy.sharing import engine
from advocacy.sharing.models import Share
from tests.faults.conftest import (
    CREATE_RECORD,
    GET_RECORD,
    Fault,
    all_in,
    assert_each_posted_once,
    audit_actions,
    dispatch_retries,
    post_directly,
    settle,
    states,
)

pytestmark = [pytest.mark.pds, pytest.mark.django_db(transaction=True)]
State = Share.State


@pytest.mark.worker
def test_a_rate_limited_post_waits_for_the_reset_then_goes_out_once(
    bluesky_pds, programme, sharers, schedule, workers, fault_proxy
):
    (person,) = sharers(1, service_url=fault_proxy.url)
    (share,) = schedule(person, 1)
    fault_proxy.script(CREATE_RECORD, Fault("rate_limited", reset_in=120))
    worker = workers()

    engine.dispatch_due()
    settle(lambda: all_in([share], State.SCHEDULED), what="a retry scheduled", shares=[share], worker=worker)

    share.refresh_from_db()
    reset_at = dt.datetime.fromtimestamp(fault_proxy.rate_limit_resets[0], tz=dt.UTC)
    assert share.last_error_code == "rate_limited"
    assert share.next_attempt_at >= reset_at
    assert fault_proxy.landed == []
    # Not a moment before Bluesky's reset time...
    assert engine.dispatch_due(now=reset_at - dt.timedelta(seconds=1)) == []
    # ...and once it has passed, the post goes out once.
    assert engine.dispatch_due(now=share.next_attempt_at) == [share.pk]
    settle(lambda: all_in([share], State.SENT), what="the share sent", shares=[share], worker=worker)
    assert_each_posted_once(bluesky_pds, [person], [share], programme.disclosure)


@dataclass(frozen=True)
class Case:
    name: str
    creates: tuple[Fault | None, ...] = ()
    lookups: tuple[Fault | None, ...] = ()
    already_posted: bool = False
    create_calls: int = 1  # createRecord requests Candor may make for this share
    reconciled: bool = True  # the post was found by a lookup, not created by the last attempt


CASES = (
    # Refused before anything landed: looked up, not found, posted.
    Case("500 before landing", creates=(Fault("error", status=500),), create_calls=2, reconciled=False),
    # Landed, but the answer was lost: found by the lookup, never posted again.
    Case("landed, then 500", creates=(Fault("landed_then_error", status=500),)),
    Case("landed, then 502 from a proxy", creates=(Fault("landed_then_error", status=502),)),
    Case("landed, then the connection dropped", creates=(Fault("landed_then_drop"),)),
    # The lookup itself fails once: the share stays in doubt and is looked up again.
    Case(
        "landed, then 500, then the lookup failed",
        creates=(Fault("landed_then_error", status=500),),
        lookups=(Fault("error", status=503),),
    ),
    # The post is already there (an attempt Candor lost track of): the PDS refuses the
    # duplicate record key with an opaque 500, and the lookup finds the post.
    Case("already exists", already_posted=True),
)


@pytest.mark.worker
def test_every_kind_of_lost_answer_ends_in_exactly_one_post(
    bluesky_pds, programme, sharers, schedule, workers, fault_proxy
):
    (person,) = sharers(1, service_url=fault_proxy.url)
    shares = schedule(person, len(CASES))
    case_of = {}
    for case, share in zip(CASES, shares, strict=True):
        rkey = record_key_for(share.idempotency_key)
        case_of[share.pk] = case
        fault_proxy.script(CREATE_RECORD, *case.creates, rkey=rkey)
        fault_proxy.script(GET_RECORD, *case.lookups, rkey=rkey)
        if case.already_posted:
            post_directly(bluesky_pds, person, rkey=rkey, text=share.text)
    worker = workers()

    engine.dispatch_due()
    for _ in range(4):  # each attempt either posts, finds the post, or schedules a retry
        settle(lambda: not states(shares)[State.SENDING], what="every attempt over", shares=shares, worker=worker)
        if all_in(shares, State.SENT):
            break
        dispatch_retries(shares)

    for share in Share.objects.filter(pk__in=[share.pk for share in shares]):
        case = case_of[share.pk]
        rkey = record_key_for(share.idempotency_key)
        assert share.state == State.SENT, f"{case.name}: {share.state} ({share.last_error})"
        assert fault_proxy.calls_for(CREATE_RECORD, rkey) == case.create_calls, case.name
        actions = audit_actions(share)
        assert AuditAction.SHARE_RETRY_SCHEDULED in actions, f"{case.name}: {actions}"
        expected = AuditAction.SHARE_RECONCILED if case.reconciled else AuditAction.SHARE_SENT
        assert actions[-1] == expected, f"{case.name}: {actions}"
    assert_each_posted_once(bluesky_pds, [person], shares, programme.disclosure)


@pytest.mark.parametrize("lands", ["before the retry", "after the retry"])
def test_a_post_that_hangs_past_the_client_timeout_is_checked_before_it_is_sent_again(
    bluesky_pds, programme, sharers, schedule, fault_proxy, monkeypatch, lands
):
    """In this process (eager tasks) rather than a worker, so that the client's 30 s
    timeout can be shortened; the HTTP, the proxy and the PDS are as real as elsewhere."""
    monkeypatch.setattr(bluesky_client, "timeout", 2.0)
    (person,) = sharers(1, service_url=fault_proxy.url)
    (share,) = schedule(person, 1)
    rkey = record_key_for(share.idempotency_key)
    # Bluesky takes the post but sits on it; it lands only once the proxy lets go.
    fault_proxy.script(CREATE_RECORD, Fault("hang", land_late=True), rkey=rkey)

    engine.dispatch_due()  # the send runs right here and gives up after 2 s

    share.refresh_from_db()
    assert share.state == State.SCHEDULED
    assert share.last_error_code == engine.OUTCOME_UNKNOWN
    if lands == "before the retry":
        fault_proxy.release()
        settle(lambda: rkey in fault_proxy.landed, what="the late post to land")
        dispatch_retries([share])
        assert audit_actions(share)[-1] == AuditAction.SHARE_RECONCILED
        assert fault_proxy.calls_for(CREATE_RECORD, rkey) == 1
    else:
        dispatch_retries([share])  # looks it up, does not find it, posts it
        fault_proxy.release()
        # The late request reaches the PDS too, which refuses the duplicate record key.
        settle(lambda: fault_proxy.landed.count(rkey) == 2, what="the late duplicate to reach the PDS")
        assert audit_actions(share)[-1] == AuditAction.SHARE_SENT
    assert_each_posted_once(bluesky_pds, [person], [share], programme.disclosure)
