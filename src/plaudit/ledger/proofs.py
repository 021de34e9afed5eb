"""RFC 9162 §2.1.3 inclusion and §2.1.4 consistency proofs: generation and verification.

Generation reads complete-subtree hashes through a :data:`~plaudit.ledger.merkle.NodeReader`,
so proofs can be served from a node table or rebuilt by a client from tlog-tiles alone.
Verification follows the RFC 9162 algorithms step by step and is strict: every hash must
be exactly 32 bytes and a proof must have exactly the length the sizes call for.

Consistency from size 0 (not defined by RFC 9162, rejected by transparency-dev/merkle) is
accepted with an empty proof when the old root is the empty-tree root, as c2sp.org/tlog-witness
("add-checkpoint": "The proof MUST be empty if the old size is zero") requires of a witness
meeting a log for the first time. Such a proof binds nothing about the new tree.
"""

from __future__ import annotations

from collections.abc import Sequence

from plaudit.ledger.errors import OutOfRangeError, ProofError
from plaudit.ledger.merkle import EMPTY_ROOT, HASH_SIZE, NodeReader, node_hash, subtree_hash

__all__ = [
    "consistency_proof",
    "inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]

_MAX_SIZE = (1 << 64) - 1  # tree sizes are uint64 on the wire (tlog-checkpoint, tlog-tiles)


def _path_shape(level: int, index: int, size: int) -> tuple[int, int]:
    """``(inner, border)`` lengths of the audit path of node ``(level, index)``.

    Up to the level where the paths to the node and to the last leaf meet (``inner``),
    every level contributes a sibling; above it only levels where the node is a right
    child contribute their complete left sibling (``border``).
    """
    last = (size - 1) >> level
    inner = (index ^ last).bit_length()
    return inner, (index >> inner).bit_count()


def _node_path(level: int, index: int, size: int, read_node: NodeReader) -> list[bytes]:
    """Audit path from node ``(level, index)`` to the root of a tree of ``size`` leaves."""
    inner, _ = _path_shape(level, index, size)
    path = [subtree_hash(level + up, (index >> up) ^ 1, size, read_node) for up in range(inner)]
    above = index >> inner
    up = inner
    while above:
        if above & 1:
            path.append(read_node(level + up, above ^ 1))
        above >>= 1
        up += 1
    return path


def inclusion_proof(index: int, size: int, read_node: NodeReader) -> list[bytes]:
    """Audit path for leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise OutOfRangeError(f"leaf index {index} is not in a tree of size {size}")
    return _node_path(0, index, size, read_node)


def consistency_proof(old_size: int, new_size: int, read_node: NodeReader) -> list[bytes]:
    """Consistency proof from tree size ``old_size`` to ``new_size`` (RFC 9162 §2.1.4.1).

    The proof is the audit path, in the new tree, of the largest complete subtree that ends
    where the old tree ends, preceded by that subtree's hash unless it is the whole old tree
    (the verifier already holds the old root). Empty for equal sizes and for size 0.
    """
    if not 0 <= old_size <= new_size:
        raise OutOfRangeError(f"cannot prove size {old_size} consistent with size {new_size}")
    if old_size in (0, new_size):
        return []
    level = (old_size & -old_size).bit_length() - 1
    index = (old_size >> level) - 1
    path = _node_path(level, index, new_size, read_node)
    return path if index == 0 else [read_node(level, index), *path]


def _expected_consistency_length(old_size: int, new_size: int) -> int:
    """Number of hashes a consistency proof between two different non-zero sizes has."""
    level = (old_size & -old_size).bit_length() - 1
    index = (old_size >> level) - 1
    inner, border = _path_shape(level, index, new_size)
    return inner + border + (0 if index == 0 else 1)


def _check_hash(what: str, value: object) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} must be {HASH_SIZE} bytes, got {_describe(value)}")


def _describe(value: object) -> str:
    return f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__


def _check_proof(proof: Sequence[bytes]) -> None:
    for position, element in enumerate(proof):
        _check_hash(f"proof hash #{position}", element)


def _check_size(what: str, size: int) -> None:
    if not 0 <= size <= _MAX_SIZE:
        raise ProofError(f"{what} {size} is not a uint64 tree size")


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves and ``root``.

    Implements RFC 9162 §2.1.3.2. Returns nothing on success; raises
    :class:`~plaudit.ledger.errors.ProofError` saying what failed otherwise.
    """
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root hash", root)
    _check_proof(proof)
    _check_size("tree size", size)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    inner, border = _path_shape(0, index, size)
    if len(proof) != inner + border:
        raise ProofError(
            f"inclusion proof for leaf {index} in a tree of size {size} must have "
            f"{inner + border} hashes, got {len(proof)}"
        )
    if _root_from_inclusion(leaf_hash, index, size, proof) != root:
        raise ProofError(
            f"inclusion proof for leaf {index} does not lead to the root of size {size}"
        )


def _root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2 steps 3-6: fold the audit path into a candidate root."""
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is tall")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is tall")
    return r


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``new_size`` leaves and ``new_root`` extends the old one.

    Implements RFC 9162 §2.1.4.2, plus the cases the RFC leaves out: equal sizes need an
    empty proof and identical roots; old size 0 needs an empty proof and the empty-tree
    root (C2SP tlog-witness semantics). Raises
    :class:`~plaudit.ledger.errors.ProofError` saying what failed.
    """
    _check_hash("old root hash", old_root)
    _check_hash("new root hash", new_root)
    _check_proof(proof)
    _check_size("old tree size", old_size)
    _check_size("new tree size", new_size)
    if old_size > new_size:
        raise ProofError(f"old tree size {old_size} is larger than new tree size {new_size}")
    if old_size == 0 or old_size == new_size:
        _verify_trivial_consistency(old_size, new_size, old_root, new_root, proof)
        return
    expected = _expected_consistency_length(old_size, new_size)
    if len(proof) != expected:
        raise ProofError(
            f"consistency proof from size {old_size} to {new_size} must have "
            f"{expected} hashes, got {len(proof)}"
        )
    old_computed, new_computed = _roots_from_consistency(old_size, new_size, old_root, proof)
    if old_computed != old_root:
        raise ProofError(f"consistency proof does not reproduce the root of size {old_size}")
    if new_computed != new_root:
        raise ProofError(f"consistency proof does not lead to the root of size {new_size}")


def _verify_trivial_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Old size 0 or equal sizes: nothing to hash, so the proof must be empty."""
    if proof:
        raise ProofError(
            f"consistency proof from size {old_size} to {new_size} must be empty, "
            f"got {len(proof)} hashes"
        )
    if old_size == 0 and old_root != EMPTY_ROOT:
        raise ProofError("old root of a size-0 tree must be the empty-tree hash")
    if old_size == new_size and old_root != new_root:
        raise ProofError(f"two different roots for the same tree size {old_size}")


def _roots_from_consistency(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """RFC 9162 §2.1.4.2 steps 2-6: the old and new roots the proof implies."""
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the new tree is tall")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the new tree is tall")
    return fr, sr
