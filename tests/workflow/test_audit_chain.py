"""The audit log is append-only and tamper-evident: every event is hash-linked to the
one before, sequence numbers have no gaps, and the database refuses edits."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from advocacy.audit import chain
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from advocacy.audit.services import audit_record, audit_record_standalone

pytestmark = pytest.mark.django_db


def events() -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("sequence"))


def test_each_events_hash_links_it_to_the_one_before(published_draft, enrolled, make_share):
    make_share()
    log = events()
    assert len(log) >= 8  # policy, consent, draft steps, account, share

    for before, event in zip([None, *log], log, strict=False):
        assert event.prev_hash == (before.hash if before else GENESIS_HASH)
        assert event.hash == chain.link_hash(event.prev_hash, chain.envelope_of(event))
        assert event.payload_digest == chain.payload_digest(event.payload)
    head = AuditChainHead.objects.get()
    assert (head.sequence, head.hash) == (log[-1].sequence, log[-1].hash)


def test_changing_a_recorded_value_breaks_the_chain(published_draft):
    event = AuditEvent.objects.get(action=AuditAction.DRAFT_PUBLISHED)
    envelope = chain.envelope_of(event)

    envelope["actor"] = (envelope["actor"] or 0) + 1

    assert chain.link_hash(event.prev_hash, envelope) != event.hash


def test_sequences_have_no_gaps(published_draft, enrolled, make_share):
    make_share()

    sequences = [event.sequence for event in events()]

    assert sequences == list(range(1, len(sequences) + 1))


def test_a_rolled_back_change_leaves_no_gap_in_the_sequence(author, published_draft):
    before = events()[-1]

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=author, action=AuditAction.DIAGNOSTIC_PROBE)
        raise RuntimeError("the change this event described failed")
    after = audit_record_standalone(actor=author, action=AuditAction.DIAGNOSTIC_PROBE)

    assert after.sequence == before.sequence + 1
    assert after.prev_hash == before.hash
    assert AuditEvent.objects.filter(action=AuditAction.DIAGNOSTIC_PROBE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_audit_record_refuses_to_run_outside_a_transaction(author):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(actor=author, action=AuditAction.DIAGNOSTIC_PROBE)

    assert not AuditEvent.objects.exists()


def test_the_database_refuses_to_update_an_audit_event(published_draft):
    event = AuditEvent.objects.get(action=AuditAction.DRAFT_PUBLISHED)

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["draft.retired", event.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET payload = %s", ['{"old": {}, "new": {}}'])

    event.refresh_from_db()
    assert event.action == AuditAction.DRAFT_PUBLISHED
    assert event.hash == chain.link_hash(event.prev_hash, chain.envelope_of(event))


def test_the_database_refuses_to_delete_audit_events(published_draft):
    count = AuditEvent.objects.count()
    last = events()[-1]

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [last.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=last.pk).delete()

    assert AuditEvent.objects.count() == count


def test_every_way_of_verifying_accepts_the_recorded_chain(published_draft, enrolled, make_share):
    """The fast envelope writer and the COPY walk (PostgreSQL) agree with the reference
    on events recorded by the real services, not just on hand-made ones."""
    from advocacy.audit.verify import audit_verify, verify_generic

    make_share()
    log = events()

    for event in log:
        at = event.created_at.isoformat(timespec="microseconds")
        assert chain.envelope_json(
            event.sequence, at, event.actor_id, event.action, event.target_type, event.target_id, event.subject_id,
            event.payload_digest, event.via, event.request_id, event.task_id,
        ) == chain.canonical_json(chain.envelope_of(event))  # fmt: skip
    report = audit_verify()
    assert report.ok and report.checked == len(log)
    assert report == verify_generic()
