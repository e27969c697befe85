#!/usr/bin/env python3
"""Check a Candor audit export or hand-back receipt offline, trusting no database.

    python3 candor_verify.py --key KEY FILE

KEY is the log's public key as published at ``/.well-known/candor-audit-key``: either
that page saved to a file (JSON) or one verifier key ``<name>+<key id>+<base64>``.
FILE is an audit export (JSON Lines or CSV) or a JSON hand-back receipt (the PDF
receipt carries it as an attachment). The file's signed checkpoint must carry a
valid signature by KEY, and every event in it must hash to its recorded hash and be
in the checkpoint's Merkle tree (its inclusion proof, or one multiproof for
all the events of a large export).
Exit status 0 when all of that holds, 1 with the first problem found otherwise,
2 when the file or key cannot be read.

This file is the only thing needed besides Python 3.11+ and the ``cryptography``
package: copy it anywhere. Candor's server imports its proof checks too, so both
sides check with the same code. Formats: RFC 9162 §2.1 (Merkle hashing, inclusion
and consistency proofs) and the transparency-log checkpoint as a signed note
(c2sp.org/tlog-checkpoint, c2sp.org/signed-note).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import bisect
import hashlib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

EMPTY_ROOT = hashlib.sha256(b"").digest()
ED25519_ALGORITHM = b"\x01"  # the signed-note signature type of Ed25519
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space start each signature line
CHAIN_FORMAT = 1


class ProofError(Exception):
    """A proof, a signature or an event that does not check out."""


# --- RFC 9162 §2.1 ------------------------------------------------------------------


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """The root that ``path`` proves the leaf at ``index`` to be under (RFC 9162
    §2.1.3.2); raises ProofError if the path cannot belong to a tree of ``size``."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of {size}")
    fn, sn, digest = index, size - 1, leaf_hash(leaf)
    for sibling in path:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            digest = node_hash(sibling, digest)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            digest = node_hash(digest, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is deep")
    return digest


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> None:
    """Raise ProofError unless ``path`` proves ``leaf`` is leaf ``index`` of the tree
    of ``size`` leaves whose root is ``root``."""
    if root_from_inclusion(index, size, leaf, path) != root:
        raise ProofError(f"leaf {index} is not in the tree of {size} with that root")


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Iterable[bytes]) -> bytes:
    """MTH (RFC 9162 §2.1.1) of the leaves, in one pass and log n memory."""
    sha256 = hashlib.sha256
    # stack[i] is the root of a perfect subtree; their sizes are the 1 bits of count,
    # largest first. Adding a leaf merges the equal-sized subtrees on top, like a carry.
    stack: list[bytes] = []
    for count, leaf in enumerate(leaves, 1):
        digest = sha256(b"\x00" + leaf).digest()
        carry = count
        while not carry & 1:
            digest = sha256(b"\x01" + stack.pop() + digest).digest()
            carry >>= 1
        stack.append(digest)
    if not stack:
        return EMPTY_ROOT
    digest = stack.pop()
    while stack:
        digest = sha256(b"\x01" + stack.pop() + digest).digest()
    return digest


def root_from_multiproof(size: int, indices: Sequence[int], leaves: Sequence[bytes], path: Sequence[bytes]) -> bytes:
    """The root of the tree of ``size`` leaves, given some of its leaves (their indices,
    ascending, and their bytes) and ``path``: the root of every largest subtree that
    holds none of them, left to right (what ``multiproof`` on the server cuts). One
    path proves many leaves at once; for a run of consecutive leaves it is a few
    hashes, for all the leaves it is empty. Raises ProofError if ``path`` does not fit."""
    if not indices:
        raise ProofError("a multiproof needs at least one leaf")
    if indices[0] < 0 or indices[-1] >= size or any(a >= b for a, b in pairwise(indices)):
        raise ProofError(f"the leaves are not distinct, ascending positions in a tree of {size}")
    nodes = iter(path)

    def subtree(lo: int, hi: int, first: int, last: int) -> bytes:
        # indices[first:last] are the given leaves inside [lo, hi).
        if first == last:
            node = next(nodes, None)
            if node is None:
                raise ProofError("the multiproof is shorter than the tree needs")
            return node
        if last - first == hi - lo:  # every leaf of this subtree is given
            return root(leaves[first:last])
        split = lo + _largest_power_of_two_below(hi - lo)
        middle = bisect.bisect_left(indices, split, first, last)
        return node_hash(subtree(lo, split, first, middle), subtree(split, hi, middle, last))

    digest = subtree(0, size, 0, len(indices))
    if next(nodes, None) is not None:
        raise ProofError("the multiproof is longer than the tree needs")
    return digest


def verify_consistency(old_size: int, size: int, old_root: bytes, root: bytes, path: Sequence[bytes]) -> None:
    """Raise ProofError unless ``path`` proves that the tree of ``old_size`` leaves
    with ``old_root`` is a prefix of the tree of ``size`` leaves with ``root`` (RFC
    9162 §2.1.4.2). An empty tree is a prefix of every tree; equal sizes need equal roots."""
    if not 0 <= old_size <= size:
        raise ProofError(f"a tree of {old_size} cannot be a prefix of a tree of {size}")
    if old_size == 0 or old_size == size:
        if path:
            raise ProofError("a consistency proof between these sizes must be empty")
        if old_size == size and old_root != root:
            raise ProofError(f"two different roots for the same tree size {size}")
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise ProofError("the root of the empty tree is wrong")
        return
    if not path:
        raise ProofError("the consistency proof is empty")
    hashes = list(path)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        hashes.insert(0, old_root)
    fn, sn = old_size - 1, size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = hashes[0]
    for node in hashes[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(node, fr), node_hash(node, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, node)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the tree is deep")
    if fr != old_root:
        raise ProofError(f"the tree of {old_size} is not a prefix of the tree of {size} (old root differs)")
    if sr != root:
        raise ProofError(f"the tree of {old_size} is not a prefix of the tree of {size} (new root differs)")


# --- signed notes and checkpoints -----------------------------------------------------


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key hash of a signed-note Ed25519 key."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519_ALGORITHM + public_key).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    name: str
    public_key: bytes  # 32 bytes of Ed25519

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def __str__(self) -> str:
        encoded = base64.b64encode(ED25519_ALGORITHM + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """A verifier key in the signed-note form ``<name>+<hex key id>+<base64>``."""
        # Names cannot contain "+", base64 can: split from the left.
        name, _, rest = text.strip().partition("+")
        hex_id, _, rest = rest.partition("+")
        try:
            raw = base64.b64decode(rest, validate=True)
            expected_id = bytes.fromhex(hex_id)
        except (binascii.Error, ValueError) as exc:
            raise ProofError(f"not a verifier key: {text.strip()[:80]!r}") from exc
        if not name or len(raw) != 33 or raw[:1] != ED25519_ALGORITHM:
            raise ProofError(f"not an Ed25519 verifier key: {text.strip()[:80]!r}")
        key = cls(name, raw[1:])
        if key.key_id != expected_id:
            raise ProofError(f"the key id in {text.strip()[:80]!r} does not match its key")
        return key


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...]
    signed_by: VerifierKey
    text: str

    @property
    def time(self) -> str:
        for line in self.extensions:
            if line.startswith("time "):
                return line[5:]
        return ""


def split_note(text: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """The signed text of a note and its signatures as (key name, key id, signature)."""
    body, separator, signatures = text.rpartition("\n\n")
    if not separator or not body:
        raise ProofError("not a signed note: no blank line before the signatures")
    found = []
    for line in signatures.split("\n"):
        if not line:
            continue
        if not line.startswith(SIGNATURE_PREFIX):
            raise ProofError(f"not a signature line: {line[:80]!r}")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].rpartition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise ProofError(f"a signature is not base64: {line[:80]!r}") from exc
        if len(raw) < 5:
            raise ProofError(f"a signature is too short: {line[:80]!r}")
        found.append((name, raw[:4], raw[4:]))
    return body + "\n", found


def parse_checkpoint(text: str, keys: Sequence[VerifierKey]) -> Checkpoint:
    """The checkpoint in a signed note, once one of its signatures verifies under one
    of ``keys`` (by name and key id). Raises ProofError otherwise."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    body, signatures = split_note(text)
    signer = None
    for name, kid, signature in signatures:
        for key in keys:
            if key.name != name or key.key_id != kid:
                continue
            try:
                Ed25519PublicKey.from_public_bytes(key.public_key).verify(signature, body.encode())
            except InvalidSignature as exc:
                raise ProofError(f"the checkpoint's signature by {name} (key {kid.hex()}) is invalid") from exc
            signer = key
    if signer is None:
        known = ", ".join(f"{key.name} {key.key_id.hex()}" for key in keys) or "none"
        given = ", ".join(f"{name} {kid.hex()}" for name, kid, _ in signatures) or "none"
        raise ProofError(f"the checkpoint is not signed by a known key (signed by: {given}; known: {known})")
    lines = body[:-1].split("\n")
    if len(lines) < 3 or not lines[1].isdigit():
        raise ProofError("the signed note is not a checkpoint (origin, tree size, root hash)")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error as exc:
        raise ProofError("the checkpoint's root hash is not base64") from exc
    if len(root) != 32:
        raise ProofError("the checkpoint's root hash is not 32 bytes")
    return Checkpoint(lines[0], int(lines[1]), root, tuple(lines[3:]), signer, text)


# --- audit events -----------------------------------------------------------------------


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event: dict[str, Any]) -> str:
    """The chain hash of an exported event, recomputed from its fields (as Candor's
    advocacy/audit/chain.py defines it)."""
    digest = hashlib.sha256(_canonical({"old": event["old"], "new": event["new"]}).encode()).hexdigest()
    envelope = {
        "v": CHAIN_FORMAT,
        "seq": event["sequence"],
        "at": event["created_at"],
        "actor": event["actor_id"],
        "action": event["action"],
        "target": [event["target_type"], event["target_id"]],
        "subject": event["subject_id"],
        "payload": digest,
        "via": event["via"],
        "request": event["request_id"],
        "task": event["task_id"],
    }
    return hashlib.sha256((event["prev_hash"] + _canonical(envelope)).encode()).hexdigest()


def _checked_hash(event: dict[str, Any]) -> tuple[int, bytes]:
    """The event's sequence number and hash, once its fields are seen to hash to it."""
    sequence = event.get("sequence")
    if not isinstance(sequence, int):
        raise ProofError(f"an event has no sequence number: {str(event)[:80]}")
    try:
        recomputed = event_hash(event)
    except (KeyError, TypeError) as exc:
        raise ProofError(f"event #{sequence} is missing a field: {exc}") from exc
    if recomputed != event.get("hash"):
        raise ProofError(f"event #{sequence} was changed: its fields do not hash to its recorded hash")
    return sequence, bytes.fromhex(recomputed)


def _hex_nodes(nodes: Any, what: str) -> list[bytes]:
    try:
        return [bytes.fromhex(node) for node in nodes]
    except (TypeError, ValueError) as exc:
        raise ProofError(f"{what} is not hex") from exc


def check_events(checkpoint: Checkpoint, events: Sequence[dict[str, Any]], proofs: dict[str, list[str]]) -> int:
    """Check each event's hash and its inclusion proof against the checkpoint; return
    how many were checked."""
    for event in events:
        sequence, leaf = _checked_hash(event)
        proof = proofs.get(str(sequence))
        if proof is None:
            raise ProofError(f"event #{sequence} has no inclusion proof")
        path = _hex_nodes(proof, f"the inclusion proof of event #{sequence}")
        try:
            verify_inclusion(sequence - 1, checkpoint.size, leaf, path, checkpoint.root)
        except ProofError as exc:
            raise ProofError(f"event #{sequence} is not in the signed checkpoint: {exc}") from exc
    return len(events)


def check_events_together(checkpoint: Checkpoint, events: Sequence[dict[str, Any]], multiproof: Any) -> int:
    """Check each event's hash, then all of them at once against the checkpoint with
    one multiproof (a large export); return how many were checked."""
    checked = [_checked_hash(event) for event in events]
    path = _hex_nodes(multiproof, "the multiproof")
    try:
        found = root_from_multiproof(
            checkpoint.size, [sequence - 1 for sequence, _ in checked], [leaf for _, leaf in checked], path
        )
    except ProofError as exc:
        raise ProofError(f"the events are not all in the signed checkpoint: {exc}") from exc
    if found != checkpoint.root:
        raise ProofError(
            f"the events are not all in the signed checkpoint of {checkpoint.size}: "
            "an event was added, removed, moved or changed, or the multiproof was"
        )
    return len(checked)


def load_keys(text: str) -> list[VerifierKey]:
    """The keys in a saved /.well-known/candor-audit-key page, or one verifier key."""
    try:
        page = json.loads(text)
    except ValueError:
        return [VerifierKey.parse(line) for line in text.splitlines() if line.strip()]
    return [VerifierKey.parse(entry["verifier_key"]) for entry in page["keys"]]


CSV_EXPORT = "# candor audit export;"
CSV_PROOF = "# candor audit proof: "


def _csv_events(text: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The events of a CSV export, typed as the JSON Lines export has them, and its proof."""
    import csv
    import io

    body, separator, trailer = text.rstrip("\n").rpartition("\n" + CSV_PROOF)
    if not separator:
        raise ProofError("the export carries no proof (no '# candor audit proof' line at its end)")
    try:
        proof = json.loads(base64.b64decode(trailer, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise ProofError("the export's proof line is not base64 JSON") from exc
    rows = csv.DictReader(io.StringIO(body.partition("\n")[2], newline=""))
    events = []
    for row in rows:
        try:
            event: dict[str, Any] = dict(row)
            event["sequence"] = int(row["sequence"])
            for name in ("actor_id", "subject_id"):
                event[name] = int(row[name]) if row[name] else None
            event["actor_email"] = row["actor_email"] or None
            event["old"], event["new"] = json.loads(row["old"]), json.loads(row["new"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ProofError(f"a row of the export cannot be read: {str(row)[:80]}") from exc
        events.append(event)
    return events, proof


def verify_file(text: str, keys: Sequence[VerifierKey]) -> str:
    """Check an export (JSON Lines or CSV) or a receipt (JSON); the summary if it checks out."""
    first, _, _ = text.partition("\n")
    trailer: Any  # the proof object, once found
    if first.startswith(CSV_EXPORT):
        events, trailer = _csv_events(text)
        return _summary("export", trailer, events, keys)
    try:
        head = json.loads(first)
    except ValueError:
        head = None
    if isinstance(head, dict) and "_meta" in head:
        # Not splitlines(): U+2028 and friends may sit unescaped inside a JSON string.
        lines = [json.loads(line) for line in text.split("\n") if line.strip()]
        trailer = lines[-1].get("_proof") if len(lines) > 1 else None
        if not isinstance(trailer, dict):
            raise ProofError("the export carries no proof (no _proof line at its end)")
        events = lines[1:-1]
        what = "export"
    else:
        receipt = json.loads(text)
        trailer = receipt.get("audit_proof") if isinstance(receipt, dict) else None
        if not isinstance(trailer, dict):
            raise ProofError("the receipt carries no audit_proof")
        events = trailer.get("events", [])
        what = "receipt"
    return _summary(what, trailer, events, keys)


def _summary(what: str, trailer: dict[str, Any], events: list[dict[str, Any]], keys: Sequence[VerifierKey]) -> str:
    checkpoint = parse_checkpoint(trailer["checkpoint"], keys)
    if "multiproof" in trailer:
        checked = check_events_together(checkpoint, events, trailer["multiproof"])
    elif "proofs" in trailer:
        checked = check_events(checkpoint, events, trailer["proofs"])
    else:
        raise ProofError("the file carries its checkpoint but no inclusion proofs")
    fingerprint = checkpoint.signed_by.key_id.hex()
    return (
        f"OK: {what} verified; {checked} events are in checkpoint {checkpoint.origin} #{checkpoint.size} "
        f"{checkpoint.time} signed by key {fingerprint}".rstrip()
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--key", required=True, help="a file holding the public key(s), or one verifier key")
    parser.add_argument("file", help="an audit export (.jsonl or .csv) or a hand-back receipt (.json)")
    args = parser.parse_args(argv)
    try:
        try:
            with open(args.key, encoding="utf-8") as handle:
                key_text = handle.read()
        except OSError:
            key_text = args.key
        keys = load_keys(key_text)
        # newline="": a CSV field may hold a carriage return, which must stay one.
        with open(args.file, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except (OSError, ValueError, KeyError, ProofError) as exc:
        print(f"ERROR: cannot read the key or the file: {exc}", file=sys.stderr)
        return 2
    try:
        print(verify_file(text, keys))
    except (ProofError, ValueError, KeyError, TypeError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
