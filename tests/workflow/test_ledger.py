"""The ownership ledger: whose each connected account is, credentials kept
encrypted, and a personal account never handed to anyone else."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.core.errors import Conflict, NotAllowed
from advocacy.ledger.models import AccountEvent, ConnectedAccount
from advocacy.ledger.services import (
    account_connect,
    account_credentials,
    account_disconnect,
    account_mark_needs_reconnect,
    account_reassign,
)

pytestmark = pytest.mark.django_db

ACCESS = "PLANTED-access-7f3c9e1d"
REFRESH = "PLANTED-refresh-b21a44c0"


def raw_column(account: ConnectedAccount) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials_encrypted FROM ledger_connectedaccount WHERE id = %s", [account.pk])
        return cursor.fetchone()[0]


def test_credentials_are_stored_encrypted(enrolled, connect):
    account = connect(enrolled, credentials={"access_token": ACCESS, "refresh_token": REFRESH})

    stored = raw_column(account)
    assert stored
    assert ACCESS not in stored and REFRESH not in stored
    assert "PLANTED" not in stored
    assert account_credentials(account=ConnectedAccount.objects.get(pk=account.pk)) == {
        "access_token": ACCESS,
        "refresh_token": REFRESH,
    }


def test_credentials_never_reach_the_audit_log_or_the_ledger(enrolled, connect):
    account = connect(enrolled, credentials={"access_token": ACCESS, "refresh_token": REFRESH})
    connect(enrolled, credentials={"access_token": ACCESS + "-2"})  # a reconnect

    written = json.dumps(list(AuditEvent.objects.values("payload"))) + json.dumps(
        list(AccountEvent.objects.filter(account=account).values("detail"))
    )
    assert "PLANTED" not in written


def test_connecting_records_who_owns_the_account(enrolled, connect):
    account = connect(enrolled)

    assert (account.owner, account.connected_by) == (enrolled, enrolled)
    assert account.ownership == ConnectedAccount.Ownership.PERSONAL
    assert [e.kind for e in account.events.all()] == [AccountEvent.Kind.CONNECTED]
    event = AuditEvent.objects.get(action=AuditAction.ACCOUNT_CONNECTED)
    assert (event.actor, event.subject, event.target_id) == (enrolled, enrolled, str(account.pk))


def test_a_reconnect_without_a_new_refresh_token_keeps_the_old_one(enrolled, connect, identity):
    account = connect(enrolled, credentials={"access_token": "old-access", "refresh_token": REFRESH})

    again = account_connect(
        actor=enrolled, network="bluesky", identity=identity(credentials={"access_token": "new-access"})
    )

    assert again.pk == account.pk
    assert account_credentials(account=again) == {"access_token": "new-access", "refresh_token": REFRESH}
    assert ConnectedAccount.objects.count() == 1
    assert [e.kind for e in again.events.all()] == [AccountEvent.Kind.CONNECTED, AccountEvent.Kind.RECONNECTED]
    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_RECONNECTED).count() == 1


def test_a_reconnect_with_an_empty_refresh_token_keeps_the_old_one(enrolled, connect, identity):
    connect(enrolled, credentials={"access_token": "old-access", "refresh_token": REFRESH})

    again = account_connect(
        actor=enrolled,
        network="bluesky",
        identity=identity(credentials={"access_token": "new-access", "refresh_token": ""}),
    )

    assert account_credentials(account=again)["refresh_token"] == REFRESH


def test_a_reconnect_with_a_new_refresh_token_replaces_it(enrolled, connect, identity):
    connect(enrolled, credentials={"access_token": "old-access", "refresh_token": REFRESH})

    again = account_connect(
        actor=enrolled,
        network="bluesky",
        identity=identity(credentials={"access_token": "new-access", "refresh_token": "new-refresh"}),
    )

    assert account_credentials(account=again)["refresh_token"] == "new-refresh"


def test_a_reconnect_revives_an_account_that_needed_it(enrolled, account, identity):
    account_mark_needs_reconnect(account_id=account.pk, reason="Token expired.")

    again = account_connect(actor=enrolled, network="bluesky", identity=identity())

    assert again.pk == account.pk
    assert (again.status, again.status_detail) == (ConnectedAccount.Status.ACTIVE, "")


def test_an_account_already_connected_by_someone_else_is_refused(enrolled, connect, other_employee, identity):
    emmas = connect(enrolled)

    with pytest.raises(Conflict) as refused:
        account_connect(actor=other_employee, network="bluesky", identity=identity())

    assert refused.value.code == "account_taken"
    assert ConnectedAccount.objects.count() == 1
    emmas.refresh_from_db()
    assert emmas.owner == enrolled
    assert account_credentials(account=emmas)["access_token"] == "access-emma.bsky.test"


def test_a_personal_account_is_never_reassigned_and_the_attempt_is_audited(account, admin_user, other_employee):
    with pytest.raises(NotAllowed) as refused:
        account_reassign(actor=admin_user, account_id=account.pk, new_owner=other_employee)

    assert refused.value.code == "personal_account_reassign"
    account.refresh_from_db()
    assert account.owner.email == "emma@example.com"
    event = AuditEvent.objects.get(action=AuditAction.ACCOUNT_REASSIGN_REFUSED)
    assert (event.actor, event.subject, event.target_id) == (admin_user, account.owner, str(account.pk))
    assert event.payload["new"] == {"attempted_owner": other_employee.pk}
    assert account.events.filter(kind=AccountEvent.Kind.REASSIGN_REFUSED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_refused_reassignment_stays_on_record_after_the_error(account, admin_user, other_employee):
    """Transactional: the record of the attempt is committed although the call raised."""
    for actor in (admin_user, account.owner):
        with pytest.raises(NotAllowed):
            account_reassign(actor=actor, account_id=account.pk, new_owner=other_employee)

    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_REASSIGN_REFUSED).count() == 2
    assert ConnectedAccount.objects.get(pk=account.pk).owner == account.owner


def test_a_corporate_account_moves_only_by_custody_transfer(admin_user, other_employee, identity):
    corporate = account_connect(
        actor=admin_user,
        network="mastodon",
        identity=identity("acme@mastodon.example"),
        ownership=ConnectedAccount.Ownership.CORPORATE,
    )

    with pytest.raises(NotAllowed) as refused:
        account_reassign(actor=admin_user, account_id=corporate.pk, new_owner=other_employee)

    assert refused.value.code == "use_custody_transfer"
    corporate.refresh_from_db()
    assert corporate.owner == admin_user


def test_only_admins_connect_corporate_accounts(enrolled, identity):
    with pytest.raises(NotAllowed):
        account_connect(
            actor=enrolled, network="x", identity=identity(), ownership=ConnectedAccount.Ownership.CORPORATE
        )

    assert not ConnectedAccount.objects.exists()


def test_disconnecting_deletes_the_credentials(enrolled, account):
    account = account_disconnect(actor=enrolled, account_id=account.pk)

    assert account.status == ConnectedAccount.Status.DISCONNECTED
    assert raw_column(account) == ""
    assert account_credentials(account=account) == {}


def test_only_the_owner_can_disconnect(account, other_employee):
    with pytest.raises(NotAllowed):
        account_disconnect(actor=other_employee, account_id=account.pk)

    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.ACTIVE
