"""RFC 9162 (Certificate Transparency v2) Merkle trees over the audit log.

The leaves are the events' chain hashes (32 bytes each, in sequence order), hashed as
RFC 9162 §2.1.1 says: leaf = SHA-256(0x00 || leaf bytes), node = SHA-256(0x01 || left
|| right), and the hash of the empty tree SHA-256(""). Nothing is computed when an
event is appended: the tree is built from the stored hashes when a checkpoint is
signed or verified (docs/operations.md, "Signed checkpoints and witnesses").

``root`` streams the leaves through a stack of perfect subtrees (memory grows with
log n, one loop iteration per leaf). ``Tree`` keeps every level, 32 bytes per node,
so that many proofs can be cut from one pass over the leaves. The verification side
lives in ``advocacy.audit.standalone.candor_verify`` (imported here), so the offline
verifier and the server check proofs with the very same code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from advocacy.audit.standalone.candor_verify import (
    EMPTY_ROOT,
    ProofError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "ProofError",
    "Tree",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

_LEAF, _NODE = b"\x00", b"\x01"


def root(leaves: Iterable[bytes]) -> bytes:
    """MTH (RFC 9162 §2.1.1) of the leaves, in one pass and log n memory."""
    sha256 = hashlib.sha256
    # stack[i] is the root of a perfect subtree; their sizes are the 1 bits of count,
    # largest first. Adding a leaf merges the equal-sized subtrees on top, like a carry.
    stack: list[bytes] = []
    for count, leaf in enumerate(leaves, 1):
        digest = sha256(_LEAF + leaf).digest()
        carry = count
        while not carry & 1:
            digest = sha256(_NODE + stack.pop() + digest).digest()
            carry >>= 1
        stack.append(digest)
    if not stack:
        return EMPTY_ROOT
    digest = stack.pop()
    while stack:
        digest = sha256(_NODE + stack.pop() + digest).digest()
    return digest


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


class Tree:
    """Every level of the tree of ``leaves``, for proofs. Level h holds the hashes of
    the nodes covering leaves [i * 2**h, min((i + 1) * 2**h, size)); a lone node at
    the right end is carried up unchanged, which gives exactly RFC 9162's tree."""

    def __init__(self, leaves: Iterable[bytes]) -> None:
        sha256 = hashlib.sha256
        level = b"".join([sha256(_LEAF + leaf).digest() for leaf in leaves])
        self.size = len(level) // 32
        self._levels = [level]
        while len(level) > 32:
            view = memoryview(level)
            pairs = len(level) // 64
            upper = [sha256(_NODE + view[64 * i : 64 * i + 64]).digest() for i in range(pairs)]
            if len(level) % 64:
                upper.append(bytes(view[-32:]))
            level = b"".join(upper)
            self._levels.append(level)

    def _node(self, height: int, index: int) -> bytes:
        level = self._levels[height]
        return level[32 * index : 32 * index + 32]

    def range_hash(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) for a range of the first ``self.size`` leaves."""
        if not 0 <= lo <= hi <= self.size:
            raise ValueError(f"leaf range [{lo}, {hi}) is outside a tree of {self.size}")
        if lo == hi:
            return EMPTY_ROOT
        width = hi - lo
        height = (width - 1).bit_length()  # the smallest 2**height >= width
        if lo % (1 << height) == 0 and (width == 1 << height or hi == self.size):
            return self._node(height, lo >> height)
        split = lo + _largest_power_of_two_below(width)
        return node_hash(self.range_hash(lo, split), self.range_hash(split, hi))

    def root(self, size: int | None = None) -> bytes:
        return self.range_hash(0, self.size if size is None else size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, leaf to root."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"no leaf {index} in a tree of {size}")
        path: list[bytes] = []
        lo, hi = 0, size
        while hi - lo > 1:  # top down; reversed at the end
            split = lo + _largest_power_of_two_below(hi - lo)
            if index < split:
                path.append(self.range_hash(split, hi))
                hi = split
            else:
                path.append(self.range_hash(lo, split))
                lo = split
        path.reverse()
        return path

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        """PROOF(old_size, D[0:size]) of RFC 9162 §2.1.4.1; empty when old_size is 0
        or equal to size (nothing to prove)."""
        size = self.size if size is None else size
        if not 0 <= old_size <= size <= self.size:
            raise ValueError(f"no consistency proof from {old_size} to {size} in a tree of {self.size}")
        if old_size in (0, size):
            return []
        path: list[bytes] = []
        lo, hi, m, whole = 0, size, old_size, True
        # SUBPROOF(m, D[lo:hi], whole), top down: each step adds one hash at the end of
        # the proof in the RFC's order, so the hashes are collected and then reversed.
        while True:
            if m == hi - lo:
                if not whole:
                    path.append(self.range_hash(lo, hi))
                break
            k = _largest_power_of_two_below(hi - lo)
            if m <= k:
                path.append(self.range_hash(lo + k, hi))
                hi = lo + k
            else:
                path.append(self.range_hash(lo, lo + k))
                lo, m, whole = lo + k, m - k, False
        path.reverse()
        return path
