"""Walk the audit chain and report the first broken link.

Detects a modified event (its payload digest or hash no longer matches), a deleted
one (a gap in the sequence, or a head that is ahead of the last event), an
inserted or reordered one (its ``prev_hash`` does not match the event before it).
"""

from __future__ import annotations

from dataclasses import dataclass

from advocacy.audit import chain
from advocacy.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent

CHUNK = 5000


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int
    head_sequence: int
    head_hash: str
    broken_at: int | None = None
    reason: str = ""

    def summary(self) -> str:
        if self.ok:
            return f"OK: {self.checked} events verified; chain head #{self.head_sequence} {self.head_hash}"
        return f"BROKEN at event #{self.broken_at}: {self.reason} ({self.checked} events checked before it)"


def _broken(checked: int, sequence: int, reason: str, head: AuditChainHead) -> VerifyReport:
    return VerifyReport(False, checked, head.sequence, head.hash, sequence, reason)


def audit_verify(*, expect_head: tuple[int, str] | None = None) -> VerifyReport:
    """Verify the whole chain. ``expect_head`` is an earlier exported (sequence, hash):
    the chain must still contain exactly that event, proving nothing before it changed."""
    head = AuditChainHead.objects.filter(pk=1).first() or AuditChainHead(sequence=0, hash=GENESIS_HASH)
    previous_hash, expected_sequence, checked = GENESIS_HASH, 1, 0
    fields = ("sequence", "created_at", "actor_id", "action", "target_type", "target_id", "subject_id",
              "payload", "payload_digest", "via", "request_id", "task_id", "prev_hash", "hash")
    # Plain tuples, not model instances: building a model per event was a fifth of the
    # time (bench/: audit verify). The envelope is built from the same fields.
    rows = AuditEvent.objects.order_by("sequence").values_list(*fields).iterator(chunk_size=CHUNK)
    payload_digest, link_hash, envelope = chain.payload_digest, chain.link_hash, chain.envelope
    for (sequence, created_at, actor_id, action, target_type, target_id, subject_id, payload, digest, via,
         request_id, task_id, prev_hash, event_hash) in rows:
        if sequence != expected_sequence:
            what = "missing (deleted)" if sequence > expected_sequence else "out of order"
            return _broken(checked, expected_sequence, f"event #{expected_sequence} is {what}", head)
        if prev_hash != previous_hash:
            return _broken(checked, sequence, "does not link to the event before it (inserted or reordered)",
                           head)
        if payload_digest(payload) != digest:
            return _broken(checked, sequence, "its old/new values were modified", head)
        event_envelope = envelope(
            sequence=sequence, created_at=created_at, actor_id=actor_id, action=action, target_type=target_type,
            target_id=target_id, subject_id=subject_id, payload_digest=digest, via=via, request_id=request_id,
            task_id=task_id,
        )
        if link_hash(previous_hash, event_envelope) != event_hash:
            return _broken(checked, sequence, "its fields were modified (hash mismatch)", head)
        if expect_head is not None and sequence == expect_head[0] and event_hash != expect_head[1]:
            return _broken(checked, sequence, "differs from the chain head exported earlier", head)
        previous_hash, expected_sequence, checked = event_hash, expected_sequence + 1, checked + 1
    if head.sequence != checked or head.hash != previous_hash:
        return _broken(checked, checked + 1, f"the chain head says #{head.sequence} but the log ends at #{checked} "
                       "(events deleted from the end)", head)
    if expect_head is not None and expect_head[0] > checked:
        return _broken(checked, expect_head[0], "the exported chain head is no longer in the log", head)
    return VerifyReport(True, checked, head.sequence, head.hash)
