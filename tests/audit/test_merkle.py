"""RFC 9162 §2.1 Merkle hashing, proofs and their verification, against a slow
reference written straight from the RFC's recursive definitions.

The reference below is the known answer; the tests at the end also check roots and
proofs against an independent implementation, pymerkle (PyPI, pinned in
requirements/dev.txt), whose tree is built by its own code.
"""

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy.audit import merkle
from advocacy.audit.merkle import ProofError, Tree


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def mth(leaves: list[bytes]) -> bytes:
    """MTH(D[n]), RFC 9162 §2.1.1, literally."""
    n = len(leaves)
    if n == 0:
        return sha(b"")
    if n == 1:
        return sha(b"\x00" + leaves[0])
    k = 1 << ((n - 1).bit_length() - 1)
    return sha(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]), RFC 9162 §2.1.3.1."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b), RFC 9162 §2.1.4.1."""
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*subproof(m, leaves[:k], whole), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def leaves_of(n: int) -> list[bytes]:
    return [sha(i.to_bytes(8, "big")) for i in range(n)]


def test_the_empty_tree_hashes_to_sha256_of_nothing():
    assert merkle.root([]) == Tree([]).root() == hashlib.sha256(b"").digest()


def test_a_published_vector_of_one_leaf():
    # MTH of the single empty leaf: SHA-256(0x00), as in RFC 6962's test data.
    assert merkle.root([b""]).hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"


@pytest.mark.parametrize("n", range(71))
def test_root_and_proofs_match_the_rfc_definitions(n):
    leaves = leaves_of(n)
    tree = Tree(leaves)
    assert merkle.root(leaves) == tree.root() == mth(leaves)
    for size in range(1, n + 1):
        assert tree.root(size) == mth(leaves[:size])
    for m in range(n):
        assert tree.inclusion_proof(m) == path(m, leaves)
        merkle.verify_inclusion(m, n, leaves[m], tree.inclusion_proof(m), tree.root())
    for m in range(1, n):
        assert tree.consistency_proof(m) == subproof(m, leaves, True)
        merkle.verify_consistency(m, n, mth(leaves[:m]), tree.root(), tree.consistency_proof(m))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3000), st.data())
def test_proofs_for_prefixes_of_random_sizes_verify(n, data):
    leaves = leaves_of(n)
    tree = Tree(leaves)
    size = data.draw(st.integers(1, n))
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(1, size))
    assert tree.root(size) == merkle.root(leaves[:size])
    proof = tree.inclusion_proof(index, size)
    if n <= 300:
        assert proof == path(index, leaves[:size])
        assert tree.consistency_proof(old, size) == subproof(old, leaves[:size], True)
    merkle.verify_inclusion(index, size, leaves[index], proof, tree.root(size))
    merkle.verify_consistency(old, size, tree.root(old), tree.root(size), tree.consistency_proof(old, size))


def flip(node: bytes) -> bytes:
    return bytes([node[0] ^ 1]) + node[1:]


@pytest.mark.parametrize("n", [2, 3, 7, 8, 13, 64, 65])
def test_tampered_inclusion_proofs_are_rejected(n):
    leaves = leaves_of(n)
    tree = Tree(leaves)
    root = tree.root()
    for m in range(n):
        proof = tree.inclusion_proof(m)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(m, n, flip(leaves[m]), proof, root)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(m, n, leaves[m], proof, flip(root))
        for position in range(len(proof)):
            bad = list(proof)
            bad[position] = flip(bad[position])
            with pytest.raises(ProofError):
                merkle.verify_inclusion(m, n, leaves[m], bad, root)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(m, n, leaves[m], proof[:-1], root)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(m, n, leaves[m], [*proof, root], root)
        other = (m + 1) % n
        if leaves[other] != leaves[m]:
            with pytest.raises(ProofError):
                merkle.verify_inclusion(other, n, leaves[m], proof, root)


@pytest.mark.parametrize("n", [2, 3, 7, 8, 13, 64, 65])
def test_tampered_consistency_proofs_are_rejected(n):
    leaves = leaves_of(n)
    tree = Tree(leaves)
    root = tree.root()
    for m in range(1, n):
        proof, old_root = tree.consistency_proof(m), tree.root(m)
        with pytest.raises(ProofError):
            merkle.verify_consistency(m, n, flip(old_root), root, proof)
        with pytest.raises(ProofError):
            merkle.verify_consistency(m, n, old_root, flip(root), proof)
        for position in range(len(proof)):
            bad = list(proof)
            bad[position] = flip(bad[position])
            with pytest.raises(ProofError):
                merkle.verify_consistency(m, n, old_root, root, bad)
        with pytest.raises(ProofError):
            merkle.verify_consistency(m, n, old_root, root, proof[:-1])
        with pytest.raises(ProofError):
            merkle.verify_consistency(m, n, old_root, root, [])


def test_a_rewritten_history_is_not_consistent_with_the_old_root():
    leaves = leaves_of(20)
    rewritten = [*leaves[:5], sha(b"forged"), *leaves[6:]]
    tree = Tree(rewritten)
    with pytest.raises(ProofError):
        merkle.verify_consistency(10, 20, mth(leaves[:10]), tree.root(), tree.consistency_proof(10))


def test_equal_and_empty_sizes():
    leaves = leaves_of(5)
    root = mth(leaves)
    merkle.verify_consistency(5, 5, root, root, [])
    merkle.verify_consistency(0, 5, hashlib.sha256(b"").digest(), root, [])
    with pytest.raises(ProofError):
        merkle.verify_consistency(5, 5, root, flip(root), [])
    with pytest.raises(ProofError):
        merkle.verify_inclusion(5, 5, leaves[0], [], root)


def cached_tree_of(leaves: list[bytes], *, cached_upto: int) -> merkle.CachedTree:
    """A CachedTree over in-memory leaves whose stored roots cover the first
    ``cached_upto`` leaves (as signing a checkpoint at that size leaves them)."""
    stored: dict[tuple[int, int], bytes] = {}
    level, nodes = merkle.TILE_HEIGHT, merkle.tile_roots(b"".join(leaves[:cached_upto]))
    while nodes:
        stored.update({(level, i): node for i, node in enumerate(nodes)})
        width = merkle.TILE_WIDTH
        nodes = [merkle.perfect_root(nodes[i : i + width]) for i in range(0, len(nodes) - width + 1, width)]
        level += merkle.TILE_HEIGHT
    return merkle.CachedTree(
        len(leaves),
        leaves=lambda lo, hi: leaves[lo:hi],
        stored=lambda level, lo, hi: {i: stored[level, i] for i in range(lo, hi) if (level, i) in stored},
    )


@pytest.mark.parametrize("n", [1, 2, 255, 256, 257, 511, 512, 513, 65_535, 65_536, 65_537, 70_001])
def test_a_tree_read_from_cached_subtree_roots_gives_the_rfc_answers(n):
    leaves = leaves_of(n)
    full = Tree(leaves)
    rng = random.Random(n)
    for cached_upto in sorted({0, n // 3, n}):
        tree = cached_tree_of(leaves, cached_upto=cached_upto)
        assert tree.root() == full.root()
        for _ in range(8):
            index = rng.randrange(n)
            size = rng.randint(index + 1, n)
            old = rng.randint(0, size)
            assert tree.inclusion_proof(index, size) == full.inclusion_proof(index, size)
            assert tree.consistency_proof(old, size) == full.consistency_proof(old, size)
            assert tree.root(size) == full.root(size)


def test_small_trees_from_the_cache_match_the_rfc_definitions():
    leaves = leaves_of(600)
    tree = cached_tree_of(leaves, cached_upto=600)
    for n in (1, 255, 256, 257, 300, 512, 599, 600):
        assert tree.root(n) == mth(leaves[:n])
        for m in (0, n // 2, n - 1):
            assert tree.inclusion_proof(m, n) == path(m, leaves[:n])
            assert tree.consistency_proof(m, n) == ([] if m == 0 else subproof(m, leaves[:n], True))


# --- multiproofs: many leaves, one shared path -----------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1), min_size=1))))
def test_a_multiproof_of_any_set_of_leaves_recomputes_the_rfc_root(case):
    n, chosen = case
    leaves = leaves_of(n)
    indices = sorted(chosen)
    proof = Tree(leaves).multiproof(indices)
    assert merkle.root_from_multiproof(n, indices, [leaves[i] for i in indices], proof) == mth(leaves)
    assert len(proof) <= len(indices) * max(1, n.bit_length())  # never more than a path per leaf


def test_a_multiproof_of_every_leaf_is_empty_and_of_a_run_is_a_few_hashes():
    leaves = leaves_of(1000)
    tree = Tree(leaves)
    assert tree.multiproof(range(1000)) == []
    run = range(100, 900)
    proof = tree.multiproof(run)
    assert len(proof) <= 2 * 10
    assert merkle.root_from_multiproof(1000, run, leaves[100:900], proof) == tree.root()
    # the same proof from the cached subtree roots as from the tree in memory
    assert cached_tree_of(leaves, cached_upto=768).multiproof(run) == proof


def test_a_changed_missing_or_extra_leaf_does_not_recompute_the_root():
    leaves = leaves_of(77)
    tree = Tree(leaves)
    indices = [3, 4, 5, 40, 41, 76]
    proof = tree.multiproof(indices)
    given_leaves = [leaves[i] for i in indices]
    root = tree.root()

    def recomputes(indices, leaves, proof):
        try:
            return merkle.root_from_multiproof(77, indices, leaves, proof) == root
        except ProofError:  # a path that does not even fit the shape is a refusal too
            return False

    assert recomputes(indices, given_leaves, proof)
    assert not recomputes(indices, [*given_leaves[:2], b"x" * 32, *given_leaves[3:]], proof)
    assert not recomputes([3, 4, 6, 40, 41, 76], given_leaves, proof)
    assert not recomputes([3, 4, 5, 40, 42, 76], given_leaves, proof)
    assert not recomputes(indices[:-1], given_leaves[:-1], proof)  # one leaf dropped from the file
    with pytest.raises(ProofError, match="shorter"):
        merkle.root_from_multiproof(77, indices, given_leaves, proof[:-1])
    with pytest.raises(ProofError, match="longer"):
        merkle.root_from_multiproof(77, indices, given_leaves, [*proof, root])
    with pytest.raises(ProofError, match="ascending"):
        merkle.root_from_multiproof(77, [4, 3], given_leaves[:2], proof)
    with pytest.raises(ProofError, match="ascending"):
        merkle.root_from_multiproof(77, [3, 77], given_leaves[:2], proof)


# --- against an independent implementation ---------------------------------------------

pymerkle = pytest.importorskip("pymerkle")  # tests/requirements: requirements/dev.txt pins it


@pytest.fixture(scope="module")
def independent():
    """pymerkle's RFC 9162 tree (leaf 0x00 and node 0x01 prefixes, SHA-256) over the
    same leaves, built by its own code: another team's reading of the same RFC."""
    leaves = leaves_of(300)
    tree = pymerkle.InmemoryTree(algorithm="sha256", disable_security=False)
    for leaf in leaves:
        tree.append_entry(leaf)
    return leaves, tree


def test_roots_agree_with_an_independent_implementation(independent):
    leaves, other = independent
    ours = Tree(leaves)
    cached = cached_tree_of(leaves, cached_upto=len(leaves))
    for size in range(1, len(leaves) + 1):
        assert ours.root(size) == cached.root(size) == other.get_root(size), size
    assert merkle.root([]) == other.get_root(0)


def test_inclusion_proofs_agree_with_an_independent_implementation(independent):
    leaves, other = independent
    ours = Tree(leaves)
    for size in (1, 2, 3, 7, 8, 9, 64, 255, 256, 257, 300):
        for index in sorted({i for i in (0, 1, size // 2, size - 2, size - 1) if 0 <= i < size}):
            theirs = other.prove_inclusion(index + 1, size)  # pymerkle counts leaves from one
            # Their path starts with the leaf's own hash; the rest is RFC 9162's PATH.
            assert theirs.path[0] == merkle.leaf_hash(leaves[index])
            assert ours.inclusion_proof(index, size) == theirs.path[1:], (index, size)
            merkle.verify_inclusion(index, size, leaves[index], theirs.path[1:], other.get_root(size))


def test_consistency_proofs_check_out_in_both_implementations(independent):
    """pymerkle writes consistency proofs in its own layout, so each side checks its own
    proof against the other side's roots."""
    leaves, other = independent
    ours = Tree(leaves)
    for old, size in ((1, 2), (3, 7), (4, 8), (5, 13), (8, 9), (100, 300), (256, 257), (255, 300)):
        merkle.verify_consistency(
            old, size, other.get_root(old), other.get_root(size), ours.consistency_proof(old, size)
        )
        pymerkle.verify_consistency(ours.root(old), ours.root(size), other.prove_consistency(old, size))
        with pytest.raises(pymerkle.InvalidProof):
            pymerkle.verify_consistency(
                ours.root(old - 1) if old > 1 else b"\0" * 32, ours.root(size), other.prove_consistency(old, size)
            )
