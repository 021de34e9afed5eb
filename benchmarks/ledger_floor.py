"""How close the ledger's tree builder gets to the raw cost of its hashing.

Building a tree of n entries needs n leaf hashes and n - 1 node hashes, whatever the
algorithm. ``hashing_floor`` times exactly that many SHA-256 calls of the same input sizes
(1 + entry bytes, and 65 bytes) in the tightest loops CPython allows (two
comprehensions); ``builder_time`` times the real thing: hashing the entries and appending them to a
:class:`~plaudit.ledger.TreeBuilder` in batches, then taking the root. Their ratio is the
builder's overhead over the floor.

Run: ``PYTHONPATH=src python benchmarks/ledger_floor.py [n_entries]``.
"""

from __future__ import annotations

import hashlib
import itertools
import sys
import time
from collections.abc import Callable, Iterable, Sequence

from plaudit.ledger import TreeBuilder, leaf_hashes

__all__ = ["builder_time", "entries", "floor_of_batches", "hashing_floor"]

DEFAULT_ENTRIES = 1_000_000
BATCH = 65_536


def entries(n_entries: int) -> list[bytes]:
    """Deterministic 8-byte entries, built outside the timed sections."""
    return [number.to_bytes(8, "big") for number in range(n_entries)]


def hashing_floor(n_entries: int, batch: int = BATCH) -> float:
    """Seconds for n leaf hashes and n - 1 node hashes, with no tree bookkeeping at all.

    Works in the same batches as the builder, so both touch memory alike and the
    difference between them is bookkeeping, not cache effects.
    """
    data = entries(n_entries)
    elapsed, hashed = floor_of_batches(data[o : o + batch] for o in range(0, n_entries, batch))
    assert hashed == max(0, n_entries - 1)
    return elapsed


def floor_of_batches(
    batches: Iterable[Sequence[bytes]], clock: Callable[[], float] = time.perf_counter
) -> tuple[float, int]:
    """(seconds, node hashes) of hashing every entry as a leaf and n - 1 nodes of 65 bytes.

    Only the hashing is timed, batch by batch: making the batches (benchmarks/ledger.py
    generates them as it goes) is not. `clock` is wall time by default; `time.process_time`
    gives the CPU seconds, the figure that compares on a machine shared with other jobs.
    """
    sha = hashlib.sha256
    elapsed, hashed = 0.0, 0
    carry: list[bytes] = []
    for data in batches:
        start = clock()
        leaves = carry + [sha(b"\x00" + entry).digest() for entry in data]
        nodes = [sha(b"\x01" + left + right).digest() for left, right in itertools.pairwise(leaves)]
        carry = leaves[-1:]
        elapsed += clock() - start
        hashed += len(nodes)
    return elapsed, hashed


def builder_time(n_entries: int, batch: int = BATCH) -> float:
    """Seconds to hash n entries, append them in batches and compute the root."""
    data = entries(n_entries)
    start = time.perf_counter()
    builder = TreeBuilder()
    for offset in range(0, n_entries, batch):
        builder.append(leaf_hashes(data[offset : offset + batch]))
    builder.root()
    return time.perf_counter() - start


def main(n_entries: int = DEFAULT_ENTRIES) -> None:
    """Print entries per second for the floor and the builder, and their ratio."""
    floor = min(hashing_floor(n_entries) for _ in range(3))
    built = min(builder_time(n_entries) for _ in range(3))
    print(f"entries: {n_entries:,}")
    print(f"hashing floor : {n_entries / floor:>12,.0f} entries/s ({floor:.3f} s)")
    print(f"tree builder  : {n_entries / built:>12,.0f} entries/s ({built:.3f} s)")
    print(f"builder / floor time ratio: {built / floor:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_ENTRIES)
