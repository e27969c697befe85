"""audit_verify detects every kind of tampering, and the database refuses edits.

Each check runs through every way of verifying this database has: the ORM walk
(SQLite, and the reference everywhere) and, on PostgreSQL, the COPY walk in the
test's transaction, in its own transaction, and split over three processes with the
links between their ranges checked. Every path must return exactly the report of the
ORM walk: the same verdict, at the same event, after the same number of events.
"""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from advocacy.audit import chain as chain_format
from advocacy.audit import triggers
from advocacy.audit import verify as verify_module
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.audit.services import audit_record
from advocacy.audit.verify import audit_verify, verify_generic

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"
# Worker processes see committed events only, hence transactional tests for them.
committed = pytest.mark.django_db(transaction=True)
PATHS = [
    pytest.param("generic", id="orm"),
    pytest.param("copy", id="copy", marks=pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL path")),
    pytest.param(
        "copy-own-transaction",
        id="copy-own-transaction",
        marks=[committed, pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL path")],
    ),
    pytest.param(
        "copy-3-processes",
        id="copy-3-processes",
        marks=[committed, pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL path")],
    ),
]


@pytest.fixture(params=PATHS)
def verify(request, monkeypatch):
    """audit_verify by one path, checked against the ORM walk."""
    jobs = 3 if request.param == "copy-3-processes" else 1
    # The own-transaction and parallel paths run only outside the test's transaction.
    assert connection.in_atomic_block == (request.param in ("generic", "copy"))
    monkeypatch.setattr(verify_module, "MIN_EVENTS_PER_JOB", 1)  # 6 events: ranges ..2, 3..4, 5..

    def run(**kwargs):
        report = verify_generic(**kwargs) if request.param == "generic" else audit_verify(jobs=jobs, **kwargs)
        assert report == verify_generic(**kwargs)
        return report

    return run


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


def test_an_untouched_chain_verifies(chain, verify):
    report = verify()
    assert report.ok
    assert report.checked == 6
    assert report.head_hash == chain[-1].hash


def test_a_modified_payload_is_detected(chain, tamper, verify):
    tamper("UPDATE audit_auditevent SET payload = %s WHERE sequence = 3", ['{"old": {}, "new": {"step": 99}}'])
    report = verify()
    assert not report.ok and report.broken_at == 3
    assert "modified" in report.reason


def test_a_modified_field_is_detected_even_with_a_recomputed_digest(chain, tamper, verify):
    tamper("UPDATE audit_auditevent SET action = 'draft.approved' WHERE sequence = 4")
    report = verify()
    assert not report.ok and report.broken_at == 4


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("created_at", dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
        ("created_at", dt.datetime(2000, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC)),
        ("actor_id", None),
        ("target_id", "6 "),
        ("via", 'api"'),
        ("request_id", "x"),
        ("task_id", "\\"),
        ("payload_digest", "0" * 64),
    ],
)
def test_every_chained_field_is_covered(chain, tamper, verify, column, value):
    tamper(f"UPDATE audit_auditevent SET {column} = %s WHERE sequence = 5", [value])
    report = verify()
    assert not report.ok and report.broken_at == 5


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite cannot drop a NOT NULL constraint")
@pytest.mark.parametrize("column", ["action", "via", "prev_hash", "payload", "payload_digest"])
def test_a_null_where_the_schema_forbids_one_is_detected(chain, tamper, verify, column):
    tamper("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses to run with deferred checks pending
    tamper(f"ALTER TABLE audit_auditevent ALTER COLUMN {column} DROP NOT NULL")
    try:
        tamper(f"UPDATE audit_auditevent SET {column} = NULL WHERE sequence = 5")
        report = verify()
    finally:  # the committed paths would otherwise leave the constraint dropped for later tests
        original = getattr(chain[4], column)
        if column == "payload":
            original = json.dumps(original)
        tamper(f"UPDATE audit_auditevent SET {column} = %s WHERE sequence = 5", [original])
        tamper(f"ALTER TABLE audit_auditevent ALTER COLUMN {column} SET NOT NULL")
    assert not report.ok and report.broken_at == 5


@pytest.mark.skipif(not ON_POSTGRES, reason="only PostgreSQL stores dates BC")
def test_a_date_moved_to_the_same_year_before_christ_is_detected(chain, tamper):
    """to_char writes no era: the COPY walk must not take 2026 BC for 2026."""
    tamper("UPDATE audit_auditevent SET created_at = created_at - interval '1 year' * (2 * extract(year FROM "
           "created_at) - 1) WHERE sequence = 4")  # fmt: skip
    report = audit_verify()  # the ORM cannot load such a date at all
    assert not report.ok and report.broken_at == 4


def test_a_deleted_event_is_detected(chain, tamper, verify):
    tamper("DELETE FROM audit_auditevent WHERE sequence = 2")
    report = verify()
    assert not report.ok and report.broken_at == 2
    assert "deleted" in report.reason


@pytest.mark.parametrize("deleted", [(3,), (3, 4), (4, 5)], ids=str)
def test_events_deleted_at_a_range_border_are_detected(chain, tamper, verify, deleted):
    tamper(f"DELETE FROM audit_auditevent WHERE sequence IN ({', '.join(map(str, deleted))})")
    report = verify()
    assert not report.ok and report.broken_at == deleted[0]
    assert "missing (deleted)" in report.reason and report.checked == deleted[0] - 1


def test_events_deleted_from_the_end_are_detected(chain, tamper, verify):
    tamper("DELETE FROM audit_auditevent WHERE sequence >= 5")
    report = verify()
    assert not report.ok
    assert "deleted from the end" in report.reason


def test_an_event_past_the_head_is_detected(chain, tamper, verify):
    """A well-formed event appended without moving the head."""
    last = chain[-1]
    digest = chain_format.payload_digest({"old": {}, "new": {}})
    fields = {"sequence": 7, "created_at": last.created_at, "actor_id": None, "action": "draft.approved",
              "target_type": "", "target_id": "", "subject_id": None, "payload_digest": digest, "via": "system",
              "request_id": "", "task_id": ""}  # fmt: skip
    tamper(
        "INSERT INTO audit_auditevent (sequence, created_at, actor_id, action, target_type, target_id, subject_id,"
        " payload, payload_digest, via, request_id, task_id, prev_hash, hash) "
        "VALUES (7, %s, NULL, 'draft.approved', '', '', NULL, %s, %s, 'system', '', '', %s, %s)",
        [last.created_at, '{"old": {}, "new": {}}', digest, last.hash,
         chain_format.link_hash(last.hash, chain_format.envelope(**fields))],
    )  # fmt: skip
    report = verify()
    assert not report.ok
    assert "the chain head says #6 but the log ends at #7" in report.reason


def test_an_event_before_the_first_is_detected(chain, tamper, verify):
    tamper("UPDATE audit_auditevent SET sequence = -1 WHERE sequence = 1")
    report = verify()
    assert not report.ok and report.broken_at == 1
    assert "out of order" in report.reason


def test_an_inserted_event_is_detected(chain, tamper, verify):
    source = chain[2]
    tamper("UPDATE audit_auditevent SET sequence = sequence + 1000 WHERE sequence >= 4")
    tamper("UPDATE audit_auditevent SET sequence = sequence - 999 WHERE sequence >= 1004")
    tamper(
        "INSERT INTO audit_auditevent (sequence, created_at, actor_id, action, target_type, target_id, subject_id,"
        " payload, payload_digest, via, request_id, task_id, prev_hash, hash) "
        "VALUES (4, %s, NULL, 'draft.approved', '', '', NULL, %s, %s, 'system', '', '', %s, %s)",
        [source.created_at, '{"old": {}, "new": {}}', source.payload_digest, source.hash, "f" * 64],
    )
    report = verify()
    assert not report.ok and report.broken_at == 4


def test_reordered_events_are_detected(chain, tamper, verify):
    tamper("UPDATE audit_auditevent SET sequence = 100 WHERE sequence = 2")
    tamper("UPDATE audit_auditevent SET sequence = 2 WHERE sequence = 3")
    tamper("UPDATE audit_auditevent SET sequence = 3 WHERE sequence = 100")
    report = verify()
    assert not report.ok and report.broken_at == 2


def test_a_relinked_event_at_a_range_border_is_detected(chain, tamper, verify):
    tamper("UPDATE audit_auditevent SET prev_hash = %s WHERE sequence = 3", ["a" * 64])
    report = verify()
    assert not report.ok and report.broken_at == 3
    assert "does not link" in report.reason


def test_an_exported_head_proves_nothing_before_it_changed(chain, tamper, verify):
    head = (chain[3].sequence, chain[3].hash)
    assert verify(expect_head=head).ok
    assert not verify(expect_head=(head[0], "b" * 64)).ok
    tamper("DELETE FROM audit_auditevent WHERE sequence >= 4")
    tamper("DELETE FROM audit_auditchainhead")
    assert not verify(expect_head=head).ok


def test_the_command_reports_the_first_broken_link(chain, tamper, capsys):
    call_command("audit_verify")
    assert "OK: 6 events verified" in capsys.readouterr().out
    tamper("UPDATE audit_auditevent SET via = 'api' WHERE sequence = 5")
    with pytest.raises(CommandError, match="BROKEN at event #5"):
        call_command("audit_verify")


@committed
def test_the_command_verifies_in_parallel_processes(chain, tamper, capsys, monkeypatch):
    monkeypatch.setattr(verify_module, "MIN_EVENTS_PER_JOB", 1)
    call_command("audit_verify", "--jobs", "2")
    assert "OK: 6 events verified" in capsys.readouterr().out
    tamper("UPDATE audit_auditevent SET via = 'api' WHERE sequence = 5")
    with pytest.raises(CommandError, match=r"BROKEN at event #5: .* \(4 events checked before it\)"):
        call_command("audit_verify", "--jobs", "2")
    with pytest.raises(CommandError, match="--jobs must be 1 or more"):
        call_command("audit_verify", "--jobs", "0")


@pytest.mark.parametrize("statement", ["UPDATE audit_auditevent SET action = 'x'", "DELETE FROM audit_auditevent"])
def test_the_database_refuses_updates_and_deletes(chain, statement):
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused(employee):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(actor=employee, action=AuditAction.SETTINGS_CHANGED)
