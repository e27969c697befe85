"""A worker told to stop (SIGTERM) finishes the post it is sending and hands the rest of
its batch back: nothing is left *sending*, nothing holds a lease, nothing counts an
attempt it never made. The real-process version is tests/faults/test_clean_shutdown.py."""

from __future__ import annotations

import itertools

import pytest

from advocacy.core import shutdown
from advocacy.sharing import engine
from advocacy.sharing.models import Share

pytestmark = pytest.mark.django_db
State = Share.State


@pytest.fixture(autouse=True)
def _no_stop_left_behind():
    shutdown.reset()
    yield
    shutdown.reset()


@pytest.fixture
def claimed(django_user_model, enroll, connect, make_share):
    numbers = itertools.count()

    def make(count: int) -> list[Share]:
        shares = []
        for n in itertools.islice(numbers, count):
            person = enroll(django_user_model.objects.create_user(email=f"p{n}@example.com", password="x" * 12))
            shares.append(make_share(employee=person, on=connect(person, handle=f"p{n}.bsky.test")))
        assert sorted(engine.dispatch_due()) == sorted(share.pk for share in shares)
        return shares

    return make


def test_a_stop_request_mid_batch_finishes_the_post_in_flight_and_hands_back_the_rest(claimed, fake_network):
    shares = claimed(5)
    # The stop arrives while the first post is on its way to the network.
    fake_network.before_publish = lambda request: shutdown.request()

    outcomes = engine.shares_send(share_ids=[share.pk for share in shares])

    assert [outcome.state for outcome in outcomes] == [State.SENT] + [State.SCHEDULED] * 4
    assert "its worker is stopping" in outcomes[1].detail
    assert len(fake_network.live_posts) == 1
    rows = {share.pk: share for share in Share.objects.filter(pk__in=[s.pk for s in shares])}
    handed_back = [rows[share.pk] for share in shares[1:]]
    assert all(share.state == State.SCHEDULED for share in handed_back)
    assert all(share.lease_until is None for share in handed_back)
    assert all(share.attempts == 0 for share in handed_back)  # no attempt counted for a post never tried
    assert not Share.objects.filter(state=State.SENDING).exists()


def test_handed_back_shares_go_out_once_with_the_next_dispatch(claimed, fake_network):
    shares = claimed(3)
    fake_network.before_publish = lambda request: shutdown.request()
    engine.shares_send(share_ids=[share.pk for share in shares])
    shutdown.reset()  # another worker, not stopping

    again = engine.dispatch_due()
    engine.shares_send(share_ids=again)

    assert sorted(again) == sorted(share.pk for share in shares[1:])
    assert Share.objects.filter(pk__in=[s.pk for s in shares], state=State.SENT).count() == 3
    assert sorted(post.idempotency_key for post in fake_network.live_posts) == sorted(
        share.idempotency_key for share in shares
    )


def test_a_worker_already_stopping_sends_nothing_it_is_given(claimed, fake_network):
    shares = claimed(2)
    shutdown.request()

    outcomes = engine.shares_send(share_ids=[share.pk for share in shares])

    assert [outcome.state for outcome in outcomes] == [State.SCHEDULED, State.SCHEDULED]
    assert fake_network.posts == []
    assert Share.objects.filter(pk__in=[s.pk for s in shares], state=State.SCHEDULED).count() == 2
