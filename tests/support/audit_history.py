"""What the audit tests do to a log: add events, and rewrite its history as a database
owner could (every hash and the head recomputed, so that the chain walk is fooled)."""

from django.db import connection, transaction

from advocacy.audit import chain as chain_format
from advocacy.audit import triggers
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from advocacy.audit.services import audit_record
from advocacy.audit.verify import audit_verify


def record(actor, count, start=0):
    with transaction.atomic():
        for index in range(start, start + count):
            audit_record(actor=actor, action=AuditAction.SETTINGS_CHANGED, new={"step": index})


def rewrite_history(transform):
    """What a database owner can do: lift the triggers, replace the events with
    ``transform(events)``, renumber them, recompute every digest, hash and the head."""
    events = list(AuditEvent.objects.order_by("sequence").values())
    events = transform(events)
    triggers.remove_on(connection)
    try:
        AuditEvent.objects.all().delete()
        previous = GENESIS_HASH
        rows = []
        for sequence, values in enumerate(events, 1):
            values = {**values, "sequence": sequence, "prev_hash": previous}
            values.pop("id", None)
            values["payload_digest"] = chain_format.payload_digest(values["payload"])
            event = AuditEvent(**values)
            event.hash = previous = chain_format.link_hash(previous, chain_format.envelope_of(event))
            rows.append(event)
        AuditEvent.objects.bulk_create(rows)
        AuditChainHead.objects.filter(pk=1).update(sequence=len(rows), hash=previous)
    finally:
        triggers.install_on(connection)
    assert audit_verify().ok, "the rewrite must fool the chain walk, or the test proves nothing"


def third_event_rewritten(events):
    """A rewrite for ``rewrite_history``: event #3 says something it never said."""
    events[2]["payload"] = {"old": {}, "new": {"step": 99}}
    return events
