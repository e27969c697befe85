"""Reconnect-needed warnings a week before an account's access expires, once per
account and expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from advocacy.ledger.models import ConnectedAccount
from advocacy.notifications.models import Notification
from advocacy.notifications.tasks import warn_expiring_tokens
from tests.support import scenario

pytestmark = pytest.mark.django_db


def connect(user, *, expires_at: dt.datetime, handle: str = "emma-li") -> ConnectedAccount:
    account = scenario.connect(
        user,
        handle,
        "linkedin",
        external_id=f"urn:li:person:{handle}",
        service_url="https://api.linkedin.com",
        credentials={"access_token": "token"},
    )
    # The expiry the network reported. Set directly: ledger.services._expiry cannot
    # parse credentials["expires_at"] yet (it uses timezone.UTC, which Django lacks).
    ConnectedAccount.objects.filter(pk=account.pk).update(token_expires_at=expires_at)
    account.refresh_from_db()
    return account


def warnings_for(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=Notification.Kind.RECONNECT_NEEDED))


def run(django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return warn_expiring_tokens.delay().get()


def test_the_owner_is_warned_once_a_week_before_the_token_expires(enrolled, clock, django_capture_on_commit_callbacks):
    account = connect(enrolled, expires_at=clock.now + dt.timedelta(days=10))

    assert run(django_capture_on_commit_callbacks) == 0  # ten days left: not yet
    clock.advance(days=4)
    assert run(django_capture_on_commit_callbacks) == 1
    clock.advance(days=1)
    assert run(django_capture_on_commit_callbacks) == 0  # the next day: not again

    [warning] = warnings_for(enrolled)
    assert str(account) in warning.title
    assert warning.link == "/connections/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [enrolled.email]


def test_a_reconnect_with_a_new_expiry_gets_its_own_warning_later(enrolled, clock, django_capture_on_commit_callbacks):
    connect(enrolled, expires_at=clock.now + dt.timedelta(days=3))
    run(django_capture_on_commit_callbacks)

    connect(enrolled, expires_at=clock.now + dt.timedelta(days=60))  # reconnected: 60 more days
    assert run(django_capture_on_commit_callbacks) == 0
    clock.advance(days=55)
    assert run(django_capture_on_commit_callbacks) == 1

    assert len(warnings_for(enrolled)) == 2
    assert ConnectedAccount.objects.count() == 1


def test_accounts_that_are_not_active_or_already_expired_are_left_alone(
    enrolled, clock, django_capture_on_commit_callbacks
):
    expired = connect(enrolled, expires_at=clock.now - dt.timedelta(hours=1), handle="old")
    waiting = connect(enrolled, expires_at=clock.now + dt.timedelta(days=2), handle="waiting")
    ConnectedAccount.objects.filter(pk=waiting.pk).update(status=ConnectedAccount.Status.NEEDS_RECONNECT)

    assert run(django_capture_on_commit_callbacks) == 0
    assert warnings_for(enrolled) == []
    assert expired.pk
