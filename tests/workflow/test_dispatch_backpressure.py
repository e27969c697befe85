"""The dispatcher claims no more than one batch ahead of the workers: the rest of a
large fan-out stays scheduled in the database, where nothing mistakes it for lost.
(Found by bench/: the fan-out benchmark.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from advocacy.sharing import engine
from advocacy.sharing.models import Share

pytestmark = pytest.mark.django_db
State = Share.State


def test_it_leaves_shares_scheduled_while_a_full_batch_waits_for_a_worker(make_share, clock):
    shares = [make_share() for _ in range(3)]

    first = engine.dispatch_due(limit=2)
    assert len(first) == 2
    # Their tasks wait in the broker (no worker has taken a lease): nothing more is claimed.
    assert engine.dispatch_due(limit=2) == []
    assert Share.objects.filter(state=State.SCHEDULED).count() == 1

    # A worker starts one of them: there is room for one more.
    Share.objects.filter(pk=first[0]).update(lease_until=timezone.now() + dt.timedelta(minutes=2))
    assert engine.dispatch_due(limit=2) == [s.pk for s in shares if s.pk not in first]
