"""A person leaves while a real worker is sending their posts to the real Bluesky PDS
(through a slow proxy, so the batch is mid-way): no post reaches the server after the
leave committed, and every post that did is in the audit log before the leave."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.audit.verify import audit_verify
from advocacy.networks.bluesky.client import record_key_for
from advocacy.program.services import enrollment_leave
from advocacy.sharing import engine
from advocacy.sharing.models import Share
from tests.faults.conftest import CREATE_RECORD, all_in, settle, states
from tests.support.worker import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.pds, pytest.mark.django_db(transaction=True)]
State = Share.State


def test_no_post_goes_out_after_a_leave_committed_while_a_worker_was_sending(
    bluesky_pds, programme, sharers, schedule, workers, fault_proxy
):
    [leaver] = sharers(1, service_url=fault_proxy.url)
    shares = schedule(leaver, 30)
    by_rkey = {record_key_for(share.idempotency_key): share for share in shares}
    fault_proxy.create_delay = 0.15
    worker = workers()

    assert sorted(engine.dispatch_due()) == sorted(share.pk for share in shares)
    # The worker is mid-way: some posts are on the server, more are leased or queued.
    wait_for(lambda: len(fault_proxy.landed) >= 3, timeout=120, message="the first posts to land")
    enrollment_leave(user=leaver.user)
    returned = timezone.now()
    settle(
        lambda: all_in(shares, State.SENT, State.CANCELLED),
        what="every share sent or cancelled",
        shares=shares,
        worker=worker,
        timeout=120,
    )

    left = AuditEvent.objects.get(action=AuditAction.CONSENT_OPTED_OUT, subject_id=leaver.user.pk)
    counts = states(shares)
    assert counts[State.SENT] >= 3 and counts[State.CANCELLED] >= 1, counts
    # What the server got is exactly what Candor recorded as sent, each once.
    landed = list(fault_proxy.landed)
    sent = Share.objects.filter(pk__in=[s.pk for s in shares], state=State.SENT)
    assert sorted(landed) == sorted(record_key_for(share.idempotency_key) for share in sent)
    for rkey in landed:
        share = by_rkey[rkey]
        # The post was on the server before the leave wrote its event (so before it committed)...
        assert dt.datetime.fromtimestamp(fault_proxy.landed_at[rkey], tz=dt.UTC) < left.created_at <= returned
        # ...and the audit chain tells it in that order.
        sent_event = AuditEvent.objects.get(action=AuditAction.SHARE_SENT, target_id=str(share.pk))
        assert sent_event.sequence < left.sequence
    for share in Share.objects.filter(pk__in=[s.pk for s in shares], state=State.CANCELLED):
        assert share.cancelled_reason
        assert (CREATE_RECORD, record_key_for(share.idempotency_key)) not in fault_proxy.calls
    assert audit_verify().ok
