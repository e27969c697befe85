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

import bisect
import hashlib
from collections.abc import Callable, Iterable, Sequence

from advocacy.audit.standalone.candor_verify import (
    EMPTY_ROOT,
    ProofError,
    leaf_hash,
    node_hash,
    root,
    root_from_multiproof,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "CachedTree",
    "ProofError",
    "Tree",
    "leaf_hash",
    "node_hash",
    "root",
    "root_from_multiproof",
    "verify_consistency",
    "verify_inclusion",
]

_LEAF, _NODE = b"\x00", b"\x01"


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


class _Proofs:
    """Roots and RFC 9162 proofs, from ``range_hash`` alone: the same for a tree held in
    memory and for one read from the stored subtree roots."""

    size: int

    def range_hash(self, lo: int, hi: int) -> bytes:
        raise NotImplementedError

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

    def multiproof(self, indices: Sequence[int], size: int | None = None) -> list[bytes]:
        """The root of every largest subtree of D[0:size] holding none of the given
        leaves (ascending, distinct), left to right: with those leaves, enough to
        recompute the root (``root_from_multiproof``). One shared path instead of a
        path per leaf; empty when every leaf is given."""
        size = self.size if size is None else size
        path: list[bytes] = []
        # An explicit stack of (lo, hi, first, last), right child pushed first so
        # that subtrees are visited left to right.
        pending = [(0, size, 0, len(indices))]
        while pending:
            lo, hi, first, last = pending.pop()
            if first == last:
                path.append(self.range_hash(lo, hi))
            elif last - first < hi - lo:
                split = lo + _largest_power_of_two_below(hi - lo)
                middle = bisect.bisect_left(indices, split, first, last)
                pending.append((split, hi, middle, last))
                pending.append((lo, split, first, middle))
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


class Tree(_Proofs):
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

    @classmethod
    def of_concatenated(cls, leaves: bytes) -> Tree:
        """The tree of leaves given as one bytes object, 32 bytes per leaf (no list of a
        million small objects in between)."""
        view = memoryview(leaves)
        return cls(view[i : i + 32] for i in range(0, len(leaves) - len(leaves) % 32, 32))

    def level(self, height: int) -> bytes:
        """The nodes of one height, 32 bytes each (the last one carried up if partial)."""
        return self._levels[height] if height < len(self._levels) else b""

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


# --- a tree read from stored subtree hashes ------------------------------------------

# Stored nodes are the roots of perfect subtrees of 2**8, 2**16, 2**24 … leaves (the
# "tiles" of transparency logs: 256 nodes of one stored level make one of the next).
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT


def perfect_root(nodes: list[bytes]) -> bytes:
    """The root over 2**k nodes of equal height, paired level by level."""
    sha256 = hashlib.sha256
    while len(nodes) > 1:
        nodes = [sha256(_NODE + nodes[i] + nodes[i + 1]).digest() for i in range(0, len(nodes), 2)]
    return nodes[0]


def tile_roots(leaves: bytes) -> list[bytes]:
    """The roots of each complete run of TILE_WIDTH leaves; ``leaves`` are the leaf
    bytes (32 each, concatenated), not leaf hashes. One pass, two hashlib calls per leaf."""
    sha256 = hashlib.sha256
    view = memoryview(leaves)
    count = len(leaves) // 32 // TILE_WIDTH * TILE_WIDTH
    level = [sha256(_LEAF + view[32 * i : 32 * i + 32]).digest() for i in range(count)]
    for _ in range(TILE_HEIGHT):
        pairs = iter(level)
        level = [sha256(_NODE + left + right).digest() for left, right in zip(pairs, pairs, strict=False)]
    return level


class CachedTree(_Proofs):
    """The tree of the first ``size`` leaves, built from stored subtree roots where they
    exist and from the leaves elsewhere, so that a root or a proof at a million events
    reads a few hundred hashes instead of a million (docs/operations.md).

    ``leaves(lo, hi)`` returns the leaf bytes lo..hi-1; ``stored(level, lo, hi)`` the
    stored roots of height ``level`` (a multiple of TILE_HEIGHT) with index in lo..hi-1,
    as {index: root}; a missing one is computed from the level below. Both are called
    with whole tiles (TILE_WIDTH-aligned index ranges) and remembered, so one proof
    costs a handful of queries. Same answers as ``Tree`` (tests/audit/test_merkle.py).
    """

    def __init__(
        self,
        size: int,
        *,
        leaves: Callable[[int, int], list[bytes]],
        stored: Callable[[int, int, int], dict[int, bytes]],
    ) -> None:
        self.size = size
        self._leaves = leaves
        self._stored = stored
        self._tiles: dict[tuple[int, int], list[bytes | None]] = {}

    def _tile(self, level: int, tile: int) -> list[bytes | None]:
        """Nodes of height ``level`` at indices tile*TILE_WIDTH … (None: not stored)."""
        key = (level, tile)
        found = self._tiles.get(key)
        if found is None:
            lo = tile * TILE_WIDTH
            # Only complete subtrees exist: node i of height `level` needs leaves up to (i+1) << level.
            hi = min(lo + TILE_WIDTH, self.size >> level)
            if level == 0:
                found = [leaf_hash(leaf) for leaf in self._leaves(lo, hi)]
                if len(found) != hi - lo:
                    raise ValueError(f"expected leaves {lo}..{hi - 1}, got {len(found)}")
            else:
                stored = self._stored(level, lo, hi)
                found = [stored.get(i) for i in range(lo, hi)]
            self._tiles[key] = found
        return found

    def _perfect(self, height: int, index: int) -> bytes:
        """MTH of the perfect subtree of 2**height leaves starting at index << height."""
        if height % TILE_HEIGHT == 0:
            node = self._tile(height, index >> TILE_HEIGHT)[index % TILE_WIDTH]
            if node is not None:
                return node
            # Not stored (yet): from the 256 nodes one stored level below.
            base = height - TILE_HEIGHT
        else:
            base = height - height % TILE_HEIGHT
        span = height - base
        first = index << span
        tile = self._tile(base, first >> TILE_HEIGHT)
        offset = first % TILE_WIDTH
        nodes = tile[offset : offset + (1 << span)]
        if any(node is None for node in nodes):
            nodes = [self._perfect(base, first + j) for j in range(1 << span)]
        return perfect_root(nodes)  # type: ignore[arg-type]

    def range_hash(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) for a range of the first ``self.size`` leaves."""
        if not 0 <= lo <= hi <= self.size:
            raise ValueError(f"leaf range [{lo}, {hi}) is outside a tree of {self.size}")
        if lo == hi:
            return EMPTY_ROOT
        width = hi - lo
        if width & (width - 1) == 0 and lo % width == 0:
            return self._perfect(width.bit_length() - 1, lo // width)
        split = lo + _largest_power_of_two_below(width)
        return node_hash(self.range_hash(lo, split), self.range_hash(split, hi))
