"""The audit log's Merkle tree, read from the database: event hashes (leaves) and the
cached roots of perfect subtrees of 256, 65,536 … events (``AuditMerkleNode``).

Signing a checkpoint extends the cache by the events added since the last one, so a
checkpoint costs what the new events cost, and a root or a proof at a million events
reads a few hundred stored hashes instead of a million (bench/: audit checkpoint,
audit proof). The cache is derived data, never trusted on its own: a checkpoint is
signed only if it is consistent with what the witnesses hold, and ``audit_verify``
recomputes the whole tree from the events and reports a cached node that differs.
"""

from __future__ import annotations

from django.db import connection, transaction

from advocacy.audit.merkle import TILE_HEIGHT, TILE_WIDTH, CachedTree, Tree, perfect_root, tile_roots
from advocacy.audit.models import AuditEvent, AuditMerkleNode

# Stored levels above this are never needed: 2**64 events.
_TOP_LEVEL = 64


class LogGapError(ValueError):
    """Events the tree needs are missing (deleted) or their hashes are not hashes."""


def _split(raw: bytes) -> list[bytes]:
    return [raw[i : i + 32] for i in range(0, len(raw), 32)]


def _from_hex(text: str, count: int, lo: int) -> bytes:
    """``count`` hashes as 64 hex characters each (line breaks between them ignored)."""
    try:
        raw = bytes.fromhex(text)
    except ValueError as exc:
        raise LogGapError(f"an event hash after event #{lo} is not 64 hex characters") from exc
    if len(raw) != 32 * count:
        raise LogGapError(f"an event hash after event #{lo} is not 64 hex characters")
    return raw


# Rows per statement when reading event hashes: bounds the memory of one answer (~4 MiB).
READ_CHUNK = 1 << 16


def _hex_between(lo: int, hi: int) -> tuple[str, int]:
    """The hashes of events lo+1..hi as hex text, one per line, and how many there are.
    On PostgreSQL the database joins them (string_agg): one row per 65,536 events
    instead of one COPY message per event, which was most of a checkpoint's time
    (bench/: audit checkpoint)."""
    if connection.vendor != "postgresql":
        rows = AuditEvent.objects.filter(sequence__gt=lo, sequence__lte=hi).order_by("sequence")
        hashes = list(rows.values_list("hash", flat=True).iterator(chunk_size=20_000))
        return "\n".join(hashes), len(hashes)
    pieces, count = [], 0
    statement = (
        "SELECT string_agg(hash, E'\\n' ORDER BY sequence), count(*) FROM audit_auditevent "
        "WHERE sequence > %s AND sequence <= %s"
    )
    with connection.cursor() as cursor:
        for start in range(lo, hi, READ_CHUNK):
            cursor.execute(statement, (start, min(start + READ_CHUNK, hi)))
            text, found = cursor.fetchone()
            if found:
                pieces.append(text)
                count += found
    return "\n".join(pieces), count


def _missing(lo: int, hi: int) -> int:
    present = set(AuditEvent.objects.filter(sequence__gt=lo, sequence__lte=hi).values_list("sequence", flat=True))
    return next((s for s in range(lo + 1, hi + 1) if s not in present), hi)


def event_leaves_raw(lo: int, hi: int) -> bytes:
    """The hashes of events lo+1..hi (leaves lo..hi-1), 32 bytes each, concatenated;
    every one of them must exist. Sequence numbers are unique, so hi - lo rows in the
    range means none is missing: one statement."""
    if hi <= lo:
        return b""
    text, count = _hex_between(lo, hi)
    if count != hi - lo:
        raise LogGapError(f"event #{_missing(lo, hi)} is missing from the audit log")
    return _from_hex(text, count, lo)


def event_leaves(lo: int, hi: int) -> list[bytes]:
    """The hashes of events lo+1..hi (leaves lo..hi-1) as bytes; every one must exist."""
    return _split(event_leaves_raw(lo, hi))


def event_hashes_hex(lo: int, hi: int) -> list[str]:
    """The hashes of events lo+1..hi as they are stored (hex), for a witness."""
    text, count = _hex_between(lo, hi)
    return text.split("\n") if count else []


def all_leaves_raw(upto: int) -> bytes:
    """The hashes of every stored event with sequence <= upto, in order, 32 bytes each,
    concatenated (gaps and all: verification compares them with what was signed)."""
    text, count = _hex_between(0, upto)
    return _from_hex(text, count, 0)


def all_leaves(upto: int) -> list[bytes]:
    return _split(all_leaves_raw(upto))


def stored_nodes(level: int, lo: int, hi: int) -> dict[int, bytes]:
    rows = AuditMerkleNode.objects.filter(level=level, index__gte=lo, index__lt=hi).values_list("index", "hash")
    return {index: bytes.fromhex(digest) for index, digest in rows}


def cached_tree(size: int) -> CachedTree:
    """The tree of events 1..size, from the cache where it has the nodes."""
    return CachedTree(size, leaves=event_leaves, stored=stored_nodes)


def merkle_cache_extend(*, size: int, kept: dict[int, bytes] | None = None) -> int:
    """Cache the roots of every complete run of 256 events (and 256 runs, …) among
    events 1..size that is not cached yet; the number of nodes added. Reads only the
    events after the last cached run; the hashes it read are put in ``kept`` (by first
    leaf, READ_CHUNK at a time) when one is given, for the witnesses to reuse."""
    added = 0
    with transaction.atomic():
        level = TILE_HEIGHT
        while level <= _TOP_LEVEL and size >> level:
            complete = size >> level  # nodes of this height that are whole
            have = (
                AuditMerkleNode.objects.filter(level=level).order_by("-index").values_list("index", flat=True).first()
            )
            start = 0 if have is None else have + 1
            if start < complete:
                if level == TILE_HEIGHT:
                    # READ_CHUNK events at a time (a multiple of TILE_WIDTH): memory stays flat.
                    roots = []
                    for lo in range(start * TILE_WIDTH, complete * TILE_WIDTH, READ_CHUNK):
                        raw = event_leaves_raw(lo, min(lo + READ_CHUNK, complete * TILE_WIDTH))
                        if kept is not None:
                            kept[lo] = raw
                        roots += tile_roots(raw)
                else:
                    below = stored_nodes(level - TILE_HEIGHT, start * TILE_WIDTH, complete * TILE_WIDTH)
                    lower = [below[i] for i in range(start * TILE_WIDTH, complete * TILE_WIDTH)]
                    roots = [perfect_root(lower[i : i + TILE_WIDTH]) for i in range(0, len(lower), TILE_WIDTH)]
                AuditMerkleNode.objects.bulk_create(
                    [AuditMerkleNode(level=level, index=start + i, hash=root.hex()) for i, root in enumerate(roots)],
                    batch_size=2000,
                    ignore_conflicts=True,  # another process cached the same run at the same moment
                )
                added += len(roots)
            level += TILE_HEIGHT
    return added


def cache_mismatch(*, tree: Tree) -> int | None:
    """The first event covered by a cached node that differs from ``tree`` (the tree
    recomputed from the events), or None when every cached node matches. A cached
    node beyond the tree's events (events deleted since) differs too."""
    first: int | None = None
    for level in range(TILE_HEIGHT, _TOP_LEVEL + 1, TILE_HEIGHT):
        complete, nodes = tree.size >> level, tree.level(level)
        rows = AuditMerkleNode.objects.filter(level=level).order_by("index").values_list("index", "hash")
        for index, digest in rows.iterator(chunk_size=5000):
            if index >= complete or nodes[32 * index : 32 * index + 32].hex() != digest:
                at = (index << level) + 1
                first = at if first is None else min(first, at)
                break
    return first
