"""Verify the database against the checkpoints its witnesses keep.

The chain walk (``advocacy.audit.verify``) trusts nothing but the events themselves,
so a database owner who rewrites an event and recomputes every later hash and the
head passes it. This check does not pass: it reads the signed checkpoints back from
the witnesses (or a checkpoint file an auditor kept), checks their signatures
against the public keys, and checks with a consistency proof (RFC 9162 §2.1.4) that
each one's tree is a prefix of the tree of today's events. The event hashes each
directory witness keeps beside its checkpoints, once their root matches a signed
checkpoint, say which event is the first that differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from advocacy.audit import merkle
from advocacy.audit.checkpoints import head_sequence, leaves, parse
from advocacy.audit.merkle_cache import LogGapError, all_leaves_raw, cache_mismatch
from advocacy.audit.models import AuditCheckpoint
from advocacy.audit.standalone.candor_verify import Checkpoint, ProofError
from advocacy.audit.witnesses import WitnessError, readable_witnesses


@dataclass(frozen=True)
class WitnessReport:
    ok: bool
    checked: int  # signed checkpoints compared with the database
    newest_size: int = 0
    newest_time: str = ""
    broken_at: int | None = None
    reason: str = ""
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.ok:
            where = f" at event #{self.broken_at}" if self.broken_at is not None else ""
            return f"BROKEN{where}: {self.reason}"
        if not self.checked:
            return "No witnessed checkpoint yet: run `manage.py audit_checkpoint`."
        return (
            f"OK: the log is consistent with {self.checked} signed checkpoint(s); newest: "
            f"{self.newest_size} events at {self.newest_time}"
        )


@dataclass(frozen=True)
class _Found:
    checkpoint: Checkpoint
    where: str
    # What the witness keeps beside it, if anything: read only when a difference must be
    # located (a million hashes as text are a few hundred MB).
    hashes: Callable[[], list[str]] | None


def witnessed_verify(*, checkpoint_text: str | None = None) -> WitnessReport:
    """Check today's events against every checkpoint the witnesses keep, or only
    against ``checkpoint_text`` (a checkpoint kept elsewhere, e.g. mailed)."""
    found: list[_Found] = []
    if checkpoint_text is not None:
        try:
            found.append(_Found(parse(checkpoint_text), "the given checkpoint", None))
        except ProofError as exc:
            return WitnessReport(False, 0, reason=f"the given checkpoint: {exc}")
    else:
        for witness in readable_witnesses():
            try:
                kept, hashes = witness.checkpoints(), witness.hashes
            except WitnessError as exc:
                return WitnessReport(False, 0, reason=f"a witness cannot be read: {exc}")
            for entry in kept:
                try:
                    found.append(_Found(parse(entry.text), entry.where, hashes))
                except ProofError as exc:
                    return WitnessReport(False, 0, reason=f"{entry.where}: {exc}")
        if not found and AuditCheckpoint.objects.filter(witnessed_at__isnull=False).exists():
            return WitnessReport(False, 0, reason="the database records witnessed checkpoints but no witness holds one")
    if not found:
        return WitnessReport(True, 0)
    try:
        events = all_leaves_raw(head_sequence())
    except LogGapError as exc:
        return WitnessReport(False, len(found), reason=f"the event hashes cannot be read: {exc}")
    tree = merkle.Tree.of_concatenated(events)
    found.sort(key=lambda f: f.checkpoint.size)
    for item in found:
        problem = _compare(item.checkpoint, tree)
        if problem:
            today = [events[i : i + 32].hex() for i in range(0, len(events), 32)]
            broken_at, detail = _first_difference(item, found, today, tree)
            return WitnessReport(False, len(found), broken_at=broken_at, reason=f"{problem} ({item.where}); {detail}")
    differs = cache_mismatch(tree=tree)
    if differs is not None:
        return WitnessReport(
            False,
            len(found),
            broken_at=differs,
            reason=f"the cached Merkle tree no longer matches the events from event #{differs} on "
            "(the events or the cache were changed; proofs cut from it would not verify)",
        )
    newest = found[-1].checkpoint
    if checkpoint_text is None:
        stored = set(AuditCheckpoint.objects.values_list("tree_size", flat=True))
        for item in found:
            if item.checkpoint.size not in stored:
                return WitnessReport(
                    False,
                    len(found),
                    reason=f"the checkpoint of {item.checkpoint.size} events in {item.where} was deleted "
                    "from the database",
                )
    return WitnessReport(True, len(found), newest.size, newest.time)


def _compare(checkpoint: Checkpoint, tree: merkle.Tree) -> str:
    """Why today's tree does not extend the checkpoint's, or ""."""
    if checkpoint.size > tree.size:
        return (
            f"the signed checkpoint holds {checkpoint.size} events but the log has {tree.size} "
            "(events deleted from the end)"
        )
    try:
        merkle.verify_consistency(
            checkpoint.size, tree.size, checkpoint.root, tree.root(), tree.consistency_proof(checkpoint.size)
        )
    except ProofError as exc:
        return f"the log is not consistent with the signed checkpoint of {checkpoint.size} events: {exc}"
    return ""


def _first_difference(item: _Found, found: list[_Found], hashes: list[str], tree: merkle.Tree) -> tuple[int, str]:
    """The first event that differs from what was signed, and how it is known."""
    size = item.checkpoint.size
    try:
        kept = item.hashes() if item.hashes is not None else None
    except WitnessError:
        kept = None
    if kept is not None and len(kept) >= size and merkle.root(leaves(kept[:size])) == item.checkpoint.root:
        for index in range(size):
            if index >= len(hashes):
                return index + 1, f"event #{index + 1} and after were deleted"
            if hashes[index] != kept[index]:
                return index + 1, (
                    f"event #{index + 1} differs from the witnessed one "
                    "(rewritten, inserted, deleted or moved; every later hash differs too)"
                )
    # No trusted hashes: the newest checkpoint that still matches bounds the change.
    matching = [f.checkpoint.size for f in found if f.checkpoint.size < size and not _compare(f.checkpoint, tree)]
    after = max(matching, default=0)
    return after + 1, f"the first change is between events #{after + 1} and #{size}"
