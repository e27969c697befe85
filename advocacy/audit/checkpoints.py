"""Signed checkpoints of the audit log and their witnessing.

A checkpoint is the transparency-log checkpoint of c2sp.org/tlog-checkpoint as a
signed note (c2sp.org/signed-note)::

    <origin>
    <tree size>
    <base64 Merkle root of the events' hashes, RFC 9162>
    time <UTC, ISO 8601>

    — <key name> <base64(4-byte key id || Ed25519 signature)>

``checkpoint_create`` signs the tree of all committed events and, after commit,
hands it to every witness (``advocacy.audit.witnesses``). Nothing happens per event.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from advocacy.audit import merkle
from advocacy.audit.keys import SigningKey, signing_key, verifier_keys
from advocacy.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from advocacy.audit.standalone.candor_verify import SIGNATURE_PREFIX, Checkpoint, ProofError, parse_checkpoint
from advocacy.audit.witnesses import WitnessError, configured_witnesses, readable_witnesses
from advocacy.core.errors import Conflict

logger = logging.getLogger(__name__)


def event_hashes(*, upto: int | None = None) -> list[str]:
    """The chain hashes of events 1..upto (default: up to the chain head), in order."""
    if upto is None:
        upto = AuditChainHead.objects.filter(pk=1).values_list("sequence", flat=True).first() or 0
    rows = AuditEvent.objects.filter(sequence__lte=upto).order_by("sequence").values_list("hash", flat=True)
    return list(rows.iterator(chunk_size=20_000))


def leaves(hashes: Sequence[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hashes]


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
        hashes = event_hashes()
        size = len(hashes)
        checkpoint = AuditCheckpoint.objects.filter(tree_size=size).first()
        if checkpoint is None:
            tree = merkle.Tree(leaves(hashes))
            _refuse_if_inconsistent(tree)
            now = timezone.now()
            at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
            root = tree.root()
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
        transaction.on_commit(lambda: checkpoint_witness(checkpoint_id=checkpoint_id, hashes=hashes))
    return checkpoint


def _refuse_if_inconsistent(tree: merkle.Tree) -> None:
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


def checkpoint_witness(*, checkpoint_id: int, hashes: Sequence[str]) -> AuditCheckpoint | None:
    """Hand one checkpoint to every configured witness and record the outcome. Every
    failure is logged as an error and kept on the row for the health check."""
    checkpoint = AuditCheckpoint.objects.filter(pk=checkpoint_id).first()
    if checkpoint is None:
        return None
    failures = []
    witnesses = configured_witnesses()
    if not witnesses:
        failures.append("no witness is configured (CANDOR_AUDIT_WITNESS_DIRS, CANDOR_AUDIT_WITNESS_EMAIL)")
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
    head = AuditChainHead.objects.filter(pk=1).values_list("sequence", flat=True).first() or 0
    newest = AuditCheckpoint.objects.order_by("-tree_size").first()
    return head > 0 and (newest is None or newest.tree_size != head or bool(newest.witness_failures))
