"""Property tests for the Merkle core: roots, the incremental builder, proofs and tampering."""

from __future__ import annotations

import functools
import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plaudit.ledger import (
    EMPTY_ROOT,
    HashSizeError,
    OutOfRangeError,
    ProofError,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    merkle,
    node_hash,
    root_at,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from plaudit.ledger.merkle import NodeReader

MAX_SIZE = 2000
LEAVES = [leaf_hash(b"like-%d" % number) for number in range(MAX_SIZE)]


@functools.cache
def _full_store() -> dict[tuple[int, int], bytes]:
    """Every complete node of the 2000-leaf tree; a complete node never changes as the
    tree grows, so this one store answers for every smaller tree size too."""
    store: dict[tuple[int, int], bytes] = {}
    for run in TreeBuilder().append(LEAVES):
        for node in run.nodes():
            store[node.level, node.index] = node.hash
    return store


def _reader() -> NodeReader:
    store = _full_store()
    return lambda level, index: store[level, index]


def _rfc_mth(hashes: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH written as the RFC states it: split at the largest power of 2."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    split = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(_rfc_mth(hashes[:split]), _rfc_mth(hashes[split:]))


@functools.cache
def _root(size: int) -> bytes:
    return root_of(LEAVES[:size])


sizes = st.integers(min_value=1, max_value=MAX_SIZE)


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(sizes)
    return size, draw(st.integers(min_value=0, max_value=size - 1))


@st.composite
def old_and_new(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(sizes)
    return draw(st.integers(min_value=0, max_value=new)), new


def _flip(proof: list[bytes], position: int, bit: int) -> list[bytes]:
    element = bytearray(proof[position])
    element[bit // 8] ^= 1 << (bit % 8)
    return [*proof[:position], bytes(element), *proof[position + 1 :]]


def test_hash_primitives_match_rfc_definition() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )


@given(st.integers(min_value=0, max_value=300))
def test_root_of_matches_recursive_rfc_definition(size: int) -> None:
    assert root_of(LEAVES[:size]) == _rfc_mth(LEAVES[:size])


@given(st.integers(min_value=0, max_value=MAX_SIZE))
def test_root_at_from_stored_nodes(size: int) -> None:
    assert root_at(size, _reader()) == _root(size)


@settings(deadline=None)
@given(
    st.integers(min_value=0, max_value=600),
    st.lists(st.integers(min_value=1, max_value=97), min_size=1, max_size=30),
)
def test_batch_appends_equal_from_scratch(size: int, batch_sizes: list[int]) -> None:
    builder, emitted, position = TreeBuilder(), {}, 0
    for batch in batch_sizes:
        if position >= size:
            break
        end = min(size, position + batch)
        for run in builder.append(LEAVES[position:end]):
            for node in run.nodes():
                assert (node.level, node.index) not in emitted, "a node was emitted twice"
                emitted[node.level, node.index] = node.hash
        position = end
        assert builder.size == position
        assert builder.root() == _root(position)
    complete = {
        key: value for key, value in _full_store().items() if (key[1] + 1) << key[0] <= position
    }
    assert emitted == complete, "exactly the complete nodes are emitted, with the right hashes"


@settings(deadline=None)
@given(old_and_new())
def test_resume_from_storage_continues_the_same_tree(sizes_: tuple[int, int]) -> None:
    old, new = sizes_
    builder = TreeBuilder.resume(old, _reader())
    assert builder.root() == _root(old)
    builder.append(LEAVES[old:new])
    assert builder.root() == _root(new)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled climb", "hashlib climb"])
@settings(
    deadline=None,
    max_examples=150,
    # the same attribute set on every example: the fixture's single undo at the end is right
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    resumed_at=st.integers(min_value=0, max_value=300),
    batch_sizes=st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=8),
    every=st.sampled_from([1, 2, 3, 8]),
)
def test_append_levels_is_append_keeping_every_nth_level(
    monkeypatch: pytest.MonkeyPatch,
    compiled: bool,
    resumed_at: int,
    batch_sizes: list[int],
    every: int,
) -> None:
    """The integrator's tree step (only the tile levels' runs, the levels between hashed
    in one call) leaves the tree exactly as `append` does and emits the same runs of the
    levels it keeps, from any resumed frontier and for batches of any size."""
    if not compiled:
        monkeypatch.setattr(merkle, "_climb", None)
    elif merkle._climb is None:
        pytest.skip("the C extension is not built")
    full = TreeBuilder.resume(resumed_at, _reader())
    levels = TreeBuilder.resume(resumed_at, _reader())
    position = resumed_at
    for batch in batch_sizes:
        end = min(MAX_SIZE, position + batch)
        everything = full.append(LEAVES[position:end])
        kept = levels.append_levels(LEAVES[position:end], every)
        assert kept == [run for run in everything if run.level % every == 0]
        position = end
        assert levels.size == full.size == position
        assert levels.root() == full.root() == _root(position)


def test_builder_rejects_values_that_are_not_hashes() -> None:
    with pytest.raises(HashSizeError):
        TreeBuilder().append([b"entry data, not a hash"])
    with pytest.raises(HashSizeError):
        TreeBuilder().append_levels([b"entry data, not a hash"], 8)
    with pytest.raises(ValueError, match="every must be 1 or more"):
        TreeBuilder().append_levels([LEAVES[0]], 0)


@given(size_and_index())
def test_generated_inclusion_proofs_verify(case: tuple[int, int]) -> None:
    size, index = case
    proof = inclusion_proof(index, size, _reader())
    verify_inclusion(LEAVES[index], index, size, proof, _root(size))


@given(size_and_index(), st.data())
def test_inclusion_proof_tampering_is_rejected(case: tuple[int, int], data: st.DataObject) -> None:
    size, index = case
    proof = inclusion_proof(index, size, _reader())
    tampered: list[list[bytes]] = [proof[:-1], [*proof, proof[-1] if proof else LEAVES[0]]]
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        tampered.append(_flip(proof, position, data.draw(st.integers(0, 255))))
        tampered.append(proof[:position] + proof[position + 1 :])
    for bad in tampered:
        if bad == proof:
            continue
        with pytest.raises(ProofError):
            verify_inclusion(LEAVES[index], index, size, bad, _root(size))
    bit = data.draw(st.integers(0, 255))
    with pytest.raises(ProofError):
        verify_inclusion(_flip([LEAVES[index]], 0, bit)[0], index, size, proof, _root(size))
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[index], index, size, proof, _flip([_root(size)], 0, bit)[0])


@given(old_and_new())
def test_generated_consistency_proofs_verify(case: tuple[int, int]) -> None:
    old, new = case
    proof = consistency_proof(old, new, _reader())
    verify_consistency(old, new, _root(old), _root(new), proof)


@given(old_and_new(), st.data())
def test_consistency_proof_tampering_is_rejected(
    case: tuple[int, int], data: st.DataObject
) -> None:
    old, new = case
    proof = consistency_proof(old, new, _reader())
    tampered: list[list[bytes]] = [[*proof, LEAVES[0]]]
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        tampered.append(_flip(proof, position, data.draw(st.integers(0, 255))))
        tampered.append(proof[:-1])
        tampered.append(proof[1:])
    for bad in tampered:
        with pytest.raises(ProofError):
            verify_consistency(old, new, _root(old), _root(new), bad)
    if old == 0:
        # Nothing to check from size 0: any new root is consistent with the empty tree
        # (C2SP tlog-witness semantics), so only the old root can be wrong.
        with pytest.raises(ProofError):
            verify_consistency(old, new, _root(1), _root(new), proof)
        return
    bit = data.draw(st.integers(0, 255))
    with pytest.raises(ProofError):
        verify_consistency(old, new, _root(old), _flip([_root(new)], 0, bit)[0], proof)
    with pytest.raises(ProofError):
        verify_consistency(old, new, _flip([_root(old)], 0, bit)[0], _root(new), proof)


def test_out_of_range_requests() -> None:
    with pytest.raises(OutOfRangeError):
        inclusion_proof(5, 5, _reader())
    with pytest.raises(OutOfRangeError):
        consistency_proof(6, 5, _reader())
    with pytest.raises(OutOfRangeError):
        root_at(-1, _reader())


def test_verifiers_reject_wrong_sized_hashes_and_sizes() -> None:
    proof = inclusion_proof(3, 10, _reader())
    with pytest.raises(ProofError, match="32 bytes"):
        verify_inclusion(LEAVES[3][:31], 3, 10, proof, _root(10))
    with pytest.raises(ProofError, match="proof hash #1"):
        verify_inclusion(LEAVES[3], 3, 10, [proof[0], proof[1] + b"\x00", *proof[2:]], _root(10))
    with pytest.raises(ProofError, match="must have"):
        verify_inclusion(LEAVES[3], 3, 10, proof[:-1], _root(10))
    with pytest.raises(ProofError, match="not in a tree"):
        verify_inclusion(LEAVES[3], 10, 10, proof, _root(10))
    with pytest.raises(ProofError, match="uint64"):
        verify_consistency(1, 1 << 64, _root(1), _root(1), [])


def test_consistency_edge_cases() -> None:
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(7, 7, _root(7), _root(7), [])
    with pytest.raises(ProofError, match="same tree size"):
        verify_consistency(7, 7, _root(7), _root(6), [])
    with pytest.raises(ProofError, match="must be empty"):
        verify_consistency(7, 7, _root(7), _root(7), [LEAVES[0]])
    with pytest.raises(ProofError, match="empty-tree"):
        verify_consistency(0, 5, _root(1), _root(5), [])
    with pytest.raises(ProofError, match="larger"):
        verify_consistency(5, 4, _root(5), _root(4), [])
