"""audit_verify detects every kind of tampering, and the database refuses edits."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from advocacy.audit import triggers
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.audit.services import audit_record
from advocacy.audit.verify import audit_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(employee):
    with transaction.atomic():
        for index in range(6):
            audit_record(actor=employee, action=AuditAction.SETTINGS_CHANGED, new={"step": index})
    return list(AuditEvent.objects.order_by("sequence"))


@pytest.fixture
def tamper():
    """Run raw SQL as an attacker with DDL rights would: lift the triggers first."""

    def run(sql, params=()):
        triggers.remove_on(connection)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
        finally:
            triggers.install_on(connection)

    return run


def test_an_untouched_chain_verifies(chain):
    report = audit_verify()
    assert report.ok
    assert report.checked == 6
    assert report.head_hash == chain[-1].hash


def test_a_modified_payload_is_detected(chain, tamper):
    tamper("UPDATE audit_auditevent SET payload = %s WHERE sequence = 3", ['{"old": {}, "new": {"step": 99}}'])
    report = audit_verify()
    assert not report.ok and report.broken_at == 3
    assert "modified" in report.reason


def test_a_modified_field_is_detected_even_with_a_recomputed_digest(chain, tamper):
    tamper("UPDATE audit_auditevent SET action = 'draft.approved' WHERE sequence = 4")
    report = audit_verify()
    assert not report.ok and report.broken_at == 4


def test_a_deleted_event_is_detected(chain, tamper):
    tamper("DELETE FROM audit_auditevent WHERE sequence = 2")
    report = audit_verify()
    assert not report.ok and report.broken_at == 2
    assert "deleted" in report.reason


def test_events_deleted_from_the_end_are_detected(chain, tamper):
    tamper("DELETE FROM audit_auditevent WHERE sequence >= 5")
    report = audit_verify()
    assert not report.ok
    assert "deleted from the end" in report.reason


def test_an_inserted_event_is_detected(chain, tamper):
    source = chain[2]
    tamper("UPDATE audit_auditevent SET sequence = sequence + 1000 WHERE sequence >= 4")
    tamper("UPDATE audit_auditevent SET sequence = sequence - 999 WHERE sequence >= 1004")
    tamper(
        "INSERT INTO audit_auditevent (sequence, created_at, actor_id, action, target_type, target_id, subject_id,"
        " payload, payload_digest, via, request_id, task_id, prev_hash, hash) "
        "VALUES (4, %s, NULL, 'draft.approved', '', '', NULL, %s, %s, 'system', '', '', %s, %s)",
        [source.created_at, '{"old": {}, "new": {}}', source.payload_digest, source.hash, "f" * 64],
    )
    report = audit_verify()
    assert not report.ok and report.broken_at == 4


def test_reordered_events_are_detected(chain, tamper):
    tamper("UPDATE audit_auditevent SET sequence = 100 WHERE sequence = 2")
    tamper("UPDATE audit_auditevent SET sequence = 2 WHERE sequence = 3")
    tamper("UPDATE audit_auditevent SET sequence = 3 WHERE sequence = 100")
    report = audit_verify()
    assert not report.ok and report.broken_at == 2


def test_an_exported_head_proves_nothing_before_it_changed(chain, tamper):
    head = (chain[3].sequence, chain[3].hash)
    assert audit_verify(expect_head=head).ok
    tamper("DELETE FROM audit_auditevent WHERE sequence >= 4")
    tamper("DELETE FROM audit_auditchainhead")
    assert not audit_verify(expect_head=head).ok


def test_the_command_reports_the_first_broken_link(chain, tamper, capsys):
    call_command("audit_verify")
    assert "OK: 6 events verified" in capsys.readouterr().out
    tamper("UPDATE audit_auditevent SET via = 'api' WHERE sequence = 5")
    with pytest.raises(CommandError, match="BROKEN at event #5"):
        call_command("audit_verify")


@pytest.mark.parametrize("statement", ["UPDATE audit_auditevent SET action = 'x'", "DELETE FROM audit_auditevent"])
def test_the_database_refuses_updates_and_deletes(chain, statement):
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused(employee):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(actor=employee, action=AuditAction.SETTINGS_CHANGED)
