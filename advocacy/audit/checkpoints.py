"""Signed checkpoints of the audit log and their witnessing.

A checkpoint is the transparency-log checkpoint of c2sp.org/tlog-checkpoint as a
signed note (c2sp.org/signed-note)::

    <origin>
    <tree size>
    <base64 Merkle root of the events' hashes, RFC 9162>
    time <UTC, ISO 8601>

    — <key name> <base64(4-byte key id || Ed25519 signature)>

``checkpoint_create`` signs the tree of all committed events and, after commit,
hands it to every witness (``advocacy.audit.witnesses``). Nothing happens per event:
signing first caches the subtree roots of the events added since the last checkpoint
(``advocacy.audit.merkle_cache``), then reads the root from the cache.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from advocacy.audit import merkle, merkle_cache
from advocacy.audit.keys import SigningKey, signing_key, verifier_keys
from advocacy.audit.models import AuditChainHead, AuditCheckpoint
from advocacy.audit.standalone.candor_verify import SIGNATURE_PREFIX, Checkpoint, ProofError, parse_checkpoint
from advocacy.audit.witnesses import WitnessError, configured_witnesses, readable_witnesses
from advocacy.core.errors import Conflict

logger = logging.getLogger(__name__)


def head_sequence() -> int:
    return AuditChainHead.objects.filter(pk=1).values_list("sequence", flat=True).first() or 0


def event_hashes(*, upto: int | None = None) -> list[str]:
    """The chain hashes of events 1..upto (default: up to the chain head), in order."""
    return [leaf.hex() for leaf in merkle_cache.all_leaves(head_sequence() if upto is None else upto)]


def leaves(hashes: Sequence[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hashes]


class EventHashes:
    """The event hashes a witness asks for (``hashes[lo:hi]``), read when asked: a
    witness keeps only the ones it has not got yet.

    ``kept`` holds the hashes that signing just read (by first leaf, 32 bytes each):
    a witness that asks for the same run gets them from memory instead of a second
    read of the database, which was a fifth of a first checkpoint's time at a
    million events (bench/: audit checkpoint). It lives only until the witnesses
    have written; its size is that of the events the checkpoint added (32 MB per
    million), and after the first checkpoint those are few."""

    def __init__(self, kept: dict[int, bytes] | None = None) -> None:
        self._kept = kept if kept is not None else {}

    def __getitem__(self, item: slice) -> list[str]:
        lo, hi = item.start or 0, item.stop
        raw = self._kept.get(lo, b"")[: 32 * (hi - lo)]
        found = raw.hex("\n", 32).split("\n") if raw else []
        if lo + len(found) < hi:
            found += merkle_cache.event_hashes_hex(lo + len(found), hi)
        return found


def checkpoint_note(*, key: SigningKey, size: int, root: bytes, at: str) -> str:
    body = f"{key.verifier.name}\n{size}\n{base64.b64encode(root).decode()}\ntime {at}\n"
    signature = base64.b64encode(key.verifier.key_id + key.sign(body.encode())).decode()
    return f"{body}\n{SIGNATURE_PREFIX}{key.verifier.name} {signature}\n"


def parse(text: str) -> Checkpoint:
    """The checkpoint in ``text`` once its signature verifies under the current or a
    retired key; raises ProofError otherwise."""
    return parse_checkpoint(text, verifier_keys())


def checkpoint_create(*, actor: User | None) -> AuditCheckpoint:
    """Sign the tree of every committed event and witness it once committed.

    If the newest checkpoint already covers every event, it is returned (and handed
    again to witnesses that failed to take it). Refuses (Conflict) to sign a tree
    that is not consistent with the newest witnessed checkpoint: re-signing a
    rewritten history is exactly what witnesses exist to prevent. The caller must
    not be inside a transaction that may still roll back events (witnesses keep
    what they get); in tests, use captureOnCommitCallbacks(execute=True).
    """
    key = signing_key()
    with transaction.atomic():
        size = head_sequence()
        checkpoint = AuditCheckpoint.objects.filter(tree_size=size).first()
        kept: dict[int, bytes] = {}
        if checkpoint is None:
            try:
                merkle_cache.merkle_cache_extend(size=size, kept=kept)
                tree = merkle_cache.cached_tree(size)
                _refuse_if_inconsistent(tree)
                root = tree.root()
            except merkle_cache.LogGapError as exc:
                raise Conflict(
                    f"The audit log is broken ({exc}); Candor will not sign it. Run `manage.py audit_verify`."
                ) from exc
            now = timezone.now()
            at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
            note = checkpoint_note(key=key, size=size, root=root, at=at)
            try:
                with transaction.atomic():
                    checkpoint = AuditCheckpoint.objects.create(
                        tree_size=size,
                        root_hash=root.hex(),
                        key_id=key.verifier.key_id.hex(),
                        note=note,
                        created_at=now,
                        created_by=actor,
                    )
            except IntegrityError:  # signed at the same moment by another process
                checkpoint = AuditCheckpoint.objects.get(tree_size=size)
        checkpoint_id = checkpoint.pk
        transaction.on_commit(lambda: checkpoint_witness(checkpoint_id=checkpoint_id, hashes=EventHashes(kept)))
    return checkpoint


def _refuse_if_inconsistent(tree: merkle.CachedTree) -> None:
    for witness in readable_witnesses():
        try:
            witnessed = witness.checkpoints()
        except WitnessError:
            continue  # reported by checkpoint_witness and the health check
        for found in reversed(witnessed):
            try:
                checkpoint = parse(found.text)
            except ProofError:
                continue
            if checkpoint.size > tree.size or tree.root(checkpoint.size) != checkpoint.root:
                raise Conflict(
                    f"The audit log no longer matches the checkpoint of {checkpoint.size} events kept by "
                    f"{witness.name}; Candor will not sign a rewritten history. Run `manage.py audit_verify`."
                )
            break


def checkpoint_witness(*, checkpoint_id: int, hashes: Sequence[str] | EventHashes) -> AuditCheckpoint | None:
    """Hand one checkpoint to every configured witness and record the outcome. Every
    failure is logged as an error and kept on the row for the health check."""
    checkpoint = AuditCheckpoint.objects.filter(pk=checkpoint_id).first()
    if checkpoint is None:
        return None
    failures = []
    witnesses = configured_witnesses()
    if not witnesses:
        failures.append(
            "no witness is configured (CANDOR_AUDIT_WITNESS_DIRS, CANDOR_AUDIT_WITNESS_S3, CANDOR_AUDIT_WITNESS_EMAIL)"
        )
    for witness in witnesses:
        try:
            witness.write(size=checkpoint.tree_size, text=checkpoint.note, hashes=hashes)
        except WitnessError as exc:
            failures.append(str(exc))
    for failure in failures:
        logger.error("audit checkpoint #%s not witnessed: %s", checkpoint.tree_size, failure)
    checkpoint.witness_failures = failures
    if not failures and checkpoint.witnessed_at is None:
        checkpoint.witnessed_at = timezone.now()
    checkpoint.save(update_fields=["witness_failures", "witnessed_at"])
    return checkpoint


def checkpoint_due() -> bool:
    """Whether events were appended since the newest checkpoint, or a witness failed
    to take it (the beat task's test)."""
    head = head_sequence()
    newest = AuditCheckpoint.objects.order_by("-tree_size").first()
    return head > 0 and (newest is None or newest.tree_size != head or bool(newest.witness_failures))
