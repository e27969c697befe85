"""Signed checkpoints and Merkle inclusion proofs for the events an export or a
receipt lists, so that anyone holding the file and the public key can check it
offline with ``advocacy/audit/standalone/candor_verify.py`` (no Django, no database).
"""

from __future__ import annotations

import base64
import json
from array import array
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, QuerySet

from advocacy.audit import merkle
from advocacy.audit.checkpoints import checkpoint_create
from advocacy.audit.export import generic_chunks
from advocacy.audit.merkle_cache import all_leaves_raw, cached_tree
from advocacy.audit.models import AuditCheckpoint, AuditEvent

# Up to this many events an export carries one inclusion proof per event (each event
# checkable alone); above it, one Merkle multiproof for all of them: 20-odd hashes per
# event would make a full export of a million events many times larger and slower,
# while the multiproof of a run of consecutive events is a few dozen hashes
# (docs/operations.md, "Signed checkpoints and witnesses").
PER_EVENT_PROOF_LIMIT = 50_000
# A multiproof of events scattered in more runs than this is cut from the whole tree
# built in memory (one pass over the hashes) instead of one cached lookup per gap.
CACHED_MULTIPROOF_RUNS = 1_000
VERIFY_HOW = (
    "Check this file offline: save {key_url} as candor-audit-key.json, get candor_verify.py "
    "(advocacy/audit/standalone/candor_verify.py in Candor's source; it needs Python 3 and the "
    "`cryptography` package), then run: python3 candor_verify.py --key candor-audit-key.json <this file>"
)


def key_url() -> str:
    return f"{settings.CANDOR_SITE_URL}/.well-known/candor-audit-key"


def checkpoint_covering(*, sequence: int) -> AuditCheckpoint:
    """The oldest checkpoint that includes event ``sequence``, signed now if none does."""
    found = AuditCheckpoint.objects.filter(tree_size__gte=sequence).order_by("tree_size").first()
    return found or checkpoint_create(actor=None)


def inclusion_proofs(*, checkpoint: AuditCheckpoint, sequences: Iterable[int]) -> dict[str, list[str]]:
    """Inclusion proofs of the given events in the checkpoint's tree, read from the
    cached subtree roots (a few queries per proof, whatever the size of the log)."""
    size = checkpoint.tree_size
    tree = cached_tree(size)
    return {
        str(sequence): [node.hex() for node in tree.inclusion_proof(sequence - 1)]
        for sequence in sequences
        if 0 < sequence <= size
    }


def audit_proof(*, events: QuerySet[AuditEvent]) -> dict[str, Any]:
    """The events as an export lists them, with a checkpoint and their proofs (for a
    receipt). The caller has already checked the reader may see these events."""
    records = [
        json.loads(line)
        for piece in generic_chunks(events.order_by("sequence"), fmt="jsonl")
        for line in piece.split("\n")
        if line
    ]
    newest = max((r["sequence"] for r in records), default=1)
    checkpoint = checkpoint_covering(sequence=newest)
    return {
        "checkpoint": checkpoint.note,
        "key_id": checkpoint.key_id,
        "key_url": key_url(),
        "how_to_verify": VERIFY_HOW.format(key_url=key_url()),
        "events": records,
        "proofs": inclusion_proofs(checkpoint=checkpoint, sequences=[r["sequence"] for r in records]),
    }


CSV_PROOF_PREFIX = "# candor audit proof: "


def export_multiproof(*, checkpoint: AuditCheckpoint, events: QuerySet[AuditEvent]) -> list[str]:
    """One multiproof of all the listed events in the checkpoint's tree."""
    size = checkpoint.tree_size
    bounds = events.order_by().aggregate(first=Min("sequence"), last=Max("sequence"), count=Count("sequence"))
    indices: Sequence[int]
    if bounds["last"] - bounds["first"] + 1 == bounds["count"]:  # one run: no need to list them
        indices = range(bounds["first"] - 1, bounds["last"])
        tree: merkle.Tree | merkle.CachedTree = cached_tree(size)
    else:
        indices = array("q", (sequence - 1 for sequence in events.values_list("sequence", flat=True).iterator()))
        runs = 1 + sum(1 for a, b in pairwise(indices) if b != a + 1)
        in_memory = runs > CACHED_MULTIPROOF_RUNS
        tree = merkle.Tree.of_concatenated(all_leaves_raw(size)) if in_memory else cached_tree(size)
    return [node.hex() for node in tree.multiproof(indices, size)]


def export_proof_line(*, events: QuerySet[AuditEvent], upto_sequence: int, fmt: str = "jsonl") -> str:
    """The last line of an export: its checkpoint and the listed events' proofs, as a
    ``_proof`` object (JSON Lines) or the same object in base64 after a comment mark
    (CSV: no comma or quote that a CSV reader would split)."""
    checkpoint = checkpoint_covering(sequence=upto_sequence)
    sequences = list(events.values_list("sequence", flat=True)[: PER_EVENT_PROOF_LIMIT + 1])
    proof: dict[str, Any] = {"checkpoint": checkpoint.note, "key_id": checkpoint.key_id, "key_url": key_url()}
    if len(sequences) > PER_EVENT_PROOF_LIMIT:
        proof["multiproof"] = export_multiproof(checkpoint=checkpoint, events=events)
    elif sequences:
        proof["proofs"] = inclusion_proofs(checkpoint=checkpoint, sequences=sequences)
    else:
        proof["proofs"] = {}
    if fmt == "csv":
        return CSV_PROOF_PREFIX + base64.b64encode(json.dumps(proof).encode()).decode() + "\n"
    return json.dumps({"_proof": proof}, ensure_ascii=False) + "\n"
