"""RFC 9162 §2.1 Merkle tree hashing, roots and an incremental (compact range) tree builder.

The tree is the one of RFC 6962/9162 §2.1.1 that every transparency log in the C2SP ecosystem
uses (tlog-tiles: "all Merkle tree cryptographic operations are as specified by RFC 6962"):
SHA-256, leaf hash ``H(0x00 || data)``, interior node hash ``H(0x01 || left || right)``,
empty tree ``H("")``.

Nodes are named ``(level, index)``: the node at ``level`` and ``index`` is the root of the
complete subtree over leaves ``[index * 2**level, (index + 1) * 2**level)``. Only complete
subtrees are ever stored; the hash of an incomplete right-edge node is recomputed from the
complete ones below it. That is exactly the set of hashes tlog-tiles serves, so the same
:data:`NodeReader` can be backed by a database or by tiles fetched over HTTP.

Speed matters here (an integrator appends batches of up to millions of leaves), so the hot
paths call ``hashlib.sha256`` directly in comprehensions rather than through helpers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from plaudit.ledger.errors import HashSizeError, OutOfRangeError

__all__ = [
    "BATCH_HASHING",
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Node",
    "NodeReader",
    "NodeRun",
    "TreeBuilder",
    "leaf_hash",
    "leaf_hashes",
    "node_hash",
    "root_at",
    "root_of",
    "subtree_hash",
]

HASH_SIZE = 32
"""Size in bytes of every hash in the tree (SHA-256)."""

NodeReader = Callable[[int, int], bytes]
"""``read_node(level, index)``: the hash of the complete subtree over leaves
``[index * 2**level, (index + 1) * 2**level)``. Must only be asked for complete subtrees."""

_sha256 = hashlib.sha256
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

_BatchHash = Callable[[bytes, Sequence[bytes]], list[bytes]]
_prefixed: _BatchHash | None
_pairs: _BatchHash | None
_Climb = Callable[
    [bytes, list[bytes | None], Sequence[bytes], int], tuple[list[bytes | None], list[bytes]]
]
_climb: _Climb | None
try:  # the optional C extension (pyproject.toml); hashlib does the same work without it
    from plaudit.ledger._batchhash import climb as _climb
    from plaudit.ledger._batchhash import pairs as _pairs
    from plaudit.ledger._batchhash import prefixed as _prefixed
except ImportError:  # pragma: no cover - an install without a C compiler or libssl-dev
    _prefixed = _pairs = _climb = None

BATCH_HASHING: bool = _prefixed is not None
"""Whether leaf and node hashes go through the compiled batch SHA-256 (`_batchhash`)."""

EMPTY_ROOT: bytes = _sha256(b"").digest()
"""Root hash of the empty tree, ``SHA-256("")`` (RFC 9162 §2.1.1)."""


def leaf_hash(data: bytes) -> bytes:
    """Hash one log entry as a leaf: ``SHA-256(0x00 || data)`` (RFC 9162 §2.1.1).

    The 0x00 prefix keeps leaves and interior nodes in separate domains, so no entry can
    be passed off as a subtree (second-preimage resistance).
    """
    return _sha256(_LEAF_PREFIX + data).digest()


def _leaf_hashes_hashlib(entries: Iterable[bytes]) -> list[bytes]:
    """`leaf_hashes` with hashlib, one call per entry (when `_batchhash` is not built)."""
    sha = _sha256
    return [sha(b"\x00" + entry).digest() for entry in entries]


def leaf_hashes(entries: Iterable[bytes]) -> list[bytes]:
    """Leaf hashes of many entries at once, without a Python call per entry.

    With the compiled `_batchhash` (the package's optional C extension) the whole list is
    hashed in one call with the GIL released, at about half of hashlib's cost per hash;
    without it, one hashlib call per entry. Both are plain SHA-256 of ``0x00 || entry``.
    """
    if _prefixed is None:
        return _leaf_hashes_hashlib(entries)
    batch = entries if isinstance(entries, list) else list(entries)
    try:
        return _prefixed(_LEAF_PREFIX, batch)
    except TypeError:  # an entry that is a buffer but not bytes (a memoryview): hashlib's way
        return _leaf_hashes_hashlib(batch)


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash two child hashes into their parent: ``SHA-256(0x01 || left || right)``."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def _leaf_batch(leaf_hashes: Iterable[bytes]) -> list[bytes]:
    """The leaf hashes as a list, refused unless every one is a SHA-256 digest."""
    batch = list(leaf_hashes)
    if batch and set(map(len, batch)) != {HASH_SIZE}:
        raise HashSizeError(f"leaf hashes must all be {HASH_SIZE} bytes")
    return batch


def _hash_pairs_hashlib(hashes: Sequence[bytes]) -> list[bytes]:
    """`_hash_pairs` with hashlib. One comprehension over ``zip(it, it)`` is the fastest
    pure-CPython pairing: it avoids slicing copies and per-pair function calls."""
    sha = _sha256
    it = iter(hashes)
    return [sha(b"\x01" + left + right).digest() for left, right in zip(it, it, strict=False)]


def _hash_pairs(hashes: Sequence[bytes]) -> list[bytes]:
    """Parents of ``hashes[0:2]``, ``hashes[2:4]``, ...; a trailing odd hash is left out
    (one `_batchhash` call when it is built, else hashlib)."""
    if _pairs is None:
        return _hash_pairs_hashlib(hashes)
    try:
        return _pairs(_NODE_PREFIX, hashes)
    except TypeError:  # a hash that is a buffer but not bytes: hashlib's way
        return _hash_pairs_hashlib(hashes)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """Merkle Tree Hash of a whole list of leaf hashes (RFC 9162 §2.1.1 ``MTH``).

    Computed level by level: pairing left to right and promoting a lone rightmost node
    unchanged gives the same tree as the RFC's split at the largest power of two.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    level: Sequence[bytes] = leaf_hashes
    while len(level) > 1:
        parents = _hash_pairs(level)
        if len(level) & 1:
            parents.append(level[-1])
        level = parents
    return level[0]


def _fold_right(hashes: Sequence[bytes]) -> bytes:
    """Combine the roots of adjacent perfect subtrees, left to right, into one root.

    A compact range ``P1, P2, ..., Pk`` (largest first) hashes as
    ``H(P1, H(P2, ... H(Pk-1, Pk)))``: each left subtree is a complete sibling of
    everything to its right (RFC 9162 §2.1.1, split at the largest power of two).
    """
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = _sha256(_NODE_PREFIX + left + root).digest()
    return root


def subtree_hash(level: int, index: int, size: int, read_node: NodeReader) -> bytes:
    """Hash of node ``(level, index)`` as it stands in a tree of ``size`` leaves.

    The node may be incomplete (on the right edge of the tree); its hash is then the
    root of the leaves ``[index * 2**level, size)``, rebuilt from complete nodes below it.
    """
    begin = index << level
    if begin >= size:
        raise OutOfRangeError(f"node ({level}, {index}) is empty in a tree of size {size}")
    if begin + (1 << level) <= size:
        return read_node(level, index)
    remaining = size - begin
    parts: list[bytes] = []
    for lower in range(level - 1, -1, -1):
        if remaining >> lower & 1:
            parts.append(read_node(lower, begin >> lower))
            begin += 1 << lower
    return _fold_right(parts)


def root_at(size: int, read_node: NodeReader) -> bytes:
    """Root hash of the tree of the first ``size`` leaves, from stored complete nodes.

    Reads one node per set bit of ``size`` (the compact range ``[0, size)``).
    """
    if size < 0:
        raise OutOfRangeError(f"tree size {size} is negative")
    if size == 0:
        return EMPTY_ROOT
    return subtree_hash((size - 1).bit_length(), 0, size, read_node)


@dataclass(frozen=True, slots=True)
class Node:
    """One complete subtree: its level, its index on that level, and its hash."""

    level: int
    index: int
    hash: bytes


class NodeRun(NamedTuple):
    """Consecutive new complete nodes on one level: ``hashes[i]`` is node ``start + i``.

    Runs rather than single nodes, because a batch of a million leaves completes two
    million nodes and a storage layer writes them as contiguous ranges (tiles) anyway.
    """

    level: int
    start: int
    hashes: list[bytes]

    def nodes(self) -> Iterator[Node]:
        """Each node of the run, for callers that persist node by node."""
        for offset, digest in enumerate(self.hashes):
            yield Node(self.level, self.start + offset, digest)


class TreeBuilder:
    """Append-only tree state that emits every node a batch completes.

    Keeps only the compact range ``[0, size)``: for each set bit ``l`` of ``size``, the
    complete node at level ``l`` still waiting for its right sibling. That is
    ``O(log size)`` memory whatever the tree size, and it can be rebuilt from storage with
    :meth:`resume`.
    """

    __slots__ = ("_frontier", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._frontier: list[bytes | None] = []

    @classmethod
    def resume(cls, size: int, read_node: NodeReader) -> TreeBuilder:
        """Rebuild the state of a tree of ``size`` leaves from its stored nodes."""
        if size < 0:
            raise OutOfRangeError(f"tree size {size} is negative")
        builder = cls()
        builder._size = size
        builder._frontier = [
            read_node(level, (size >> level) - 1) if size >> level & 1 else None
            for level in range(size.bit_length())
        ]
        return builder

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def root(self) -> bytes:
        """Root hash of the tree as it stands now."""
        pending = [digest for digest in reversed(self._frontier) if digest is not None]
        return _fold_right(pending) if pending else EMPTY_ROOT

    def append(self, leaf_hashes: Iterable[bytes]) -> list[NodeRun]:
        """Append leaf hashes; return the runs of newly completed nodes, level 0 first.

        Level 0 holds the leaf hashes themselves. Every node returned is final: a complete
        subtree never changes, so the caller can persist them as they come.
        """
        batch = _leaf_batch(leaf_hashes)
        appended = len(batch)
        runs: list[NodeRun] = []
        start, level, frontier = self._size, 0, self._frontier
        while batch:
            runs.append(NodeRun(level, start, batch))
            if level == len(frontier):
                frontier.append(None)
            pending = frontier[level]  # set exactly when `start` is odd
            row = batch if pending is None else [pending, *batch]
            frontier[level] = row[-1] if len(row) & 1 else None
            start, level, batch = start >> 1, level + 1, _hash_pairs(row)
        self._size += appended
        return runs

    def append_levels(self, leaf_hashes: Iterable[bytes], every: int) -> list[NodeRun]:
        """`append`, returning only the runs of levels 0, `every`, 2 * `every`, ...

        What a tlog-tiles log stores: a tile of height 8 holds the nodes of every 8th level
        (c2sp.org/tlog-tiles, "Merkle Tree"), the levels between being implied by them. The
        levels in between are hashed in one compiled call per `every` levels
        (`_batchhash.climb`) without a bytes object per node, about half of `append`'s
        cost; the tree's state afterwards is exactly `append`'s.
        """
        if every < 1:
            raise ValueError(f"every must be 1 or more, not {every}")
        batch = _leaf_batch(leaf_hashes)
        appended = len(batch)
        runs: list[NodeRun] = []
        start, level, frontier = self._size, 0, self._frontier
        climb = _climb or _climb_hashlib
        while batch:
            runs.append(NodeRun(level, start, batch))
            if len(frontier) < level + every:
                frontier.extend([None] * (level + every - len(frontier)))
            pendings, batch = climb(_NODE_PREFIX, frontier[level : level + every], batch, every)
            frontier[level : level + every] = pendings
            start, level = start >> every, level + every
        self._size += appended
        return runs


def _climb_hashlib(
    prefix: bytes, pendings: list[bytes | None], items: Sequence[bytes], height: int
) -> tuple[list[bytes | None], list[bytes]]:
    """`_batchhash.climb` in Python: `height` steps of `TreeBuilder.append`'s loop from
    one level's new nodes, returning the new pending nodes and the level `height` up."""
    made, batch = list(pendings), list(items)
    for step in range(height):
        if not batch:
            break
        pending = made[step]
        row = batch if pending is None else [pending, *batch]
        made[step] = row[-1] if len(row) & 1 else None
        lefts, rights = row[0::2], row[1::2]  # an odd last node has no pair
        batch = [_sha256(prefix + a + b).digest() for a, b in zip(lefts, rights, strict=False)]
    return made, batch
