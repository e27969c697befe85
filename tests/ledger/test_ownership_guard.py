"""A personal account's owner never changes, and a corporate account changes hands
only through a custody transfer: the database refuses any other write (a raw ORM
save, a queryset update, loaddata), on SQLite and PostgreSQL alike."""

import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, transaction

from advocacy.ledger.custody import custody_transfer_accept, custody_transfer_start
from advocacy.ledger.models import ConnectedAccount
from advocacy.ledger.services import account_connect
from advocacy.networks import base as net
from tests.support.scenario import connect

pytestmark = pytest.mark.django_db


@pytest.fixture
def corporate(admin_user) -> ConnectedAccount:
    return account_connect(
        actor=admin_user,
        network="x",
        ownership=ConnectedAccount.Ownership.CORPORATE,
        identity=net.ConnectedAccount(handle="acme_news", external_id="42", service_url="", credentials={}),
    )


def refused(write) -> None:
    with pytest.raises((IntegrityError, DatabaseError), match=r"never changes|custody transfer"), transaction.atomic():
        write()


def test_a_raw_save_cannot_give_a_personal_account_to_someone_else(enrolled, other_employee):
    account = connect(enrolled)
    account.owner = other_employee

    refused(account.save)

    assert ConnectedAccount.objects.get(pk=account.pk).owner == enrolled


def test_a_queryset_update_cannot_move_a_personal_account(enrolled, other_employee):
    account = connect(enrolled)

    refused(lambda: ConnectedAccount.objects.filter(pk=account.pk).update(owner=other_employee))

    assert ConnectedAccount.objects.get(pk=account.pk).owner == enrolled


def test_loaddata_cannot_move_a_personal_account(enrolled, other_employee, tmp_path):
    account = connect(enrolled)
    [row] = json.loads(_dump(account))
    row["fields"]["owner"] = other_employee.pk
    fixture = tmp_path / "leo-becomes-ciera.json"
    fixture.write_text(json.dumps([row]))

    refused(lambda: call_command("loaddata", str(fixture), verbosity=0))

    assert ConnectedAccount.objects.get(pk=account.pk).owner == enrolled


def test_a_personal_account_cannot_be_turned_corporate_and_then_moved(enrolled):
    account = connect(enrolled)

    refused(lambda: ConnectedAccount.objects.filter(pk=account.pk).update(ownership="corporate"))

    assert ConnectedAccount.objects.get(pk=account.pk).ownership == "personal"


def test_a_corporate_account_changes_custodian_only_through_the_custody_service(corporate, admin_user, employee):
    refused(lambda: ConnectedAccount.objects.filter(pk=corporate.pk).update(owner=employee))
    assert ConnectedAccount.objects.get(pk=corporate.pk).owner == admin_user

    transfer = custody_transfer_start(actor=admin_user, account_id=corporate.pk, to_user_id=employee.pk)
    custody_transfer_accept(actor=employee, transfer_id=transfer.pk)

    assert ConnectedAccount.objects.get(pk=corporate.pk).owner == employee


def _dump(account: ConnectedAccount) -> str:
    from django.core import serializers

    return serializers.serialize("json", [account])
