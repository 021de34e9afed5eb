"""A compact set of (account, target) pairs: the generator's memory of what was done.

Each pair is one int64 key, account << 32 | target, kept sorted in buckets by account range.
A batch is checked with binary search and merged with one `np.insert` per bucket it touches,
so adding costs O(bucket size) rather than O(set size) and the peak memory while merging is
the set plus one bucket. The set costs 8 bytes a pair: 45 million likes take 360 MB.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["PairSet", "pair_keys"]

_TARGET_BITS = 32
_BUCKET_PAIRS = 1 << 18  # aim for about 2 MB a bucket once the set is full


def pair_keys(account: NDArray[np.int64], target: NDArray[np.int64]) -> NDArray[np.int64]:
    """One sortable key per pair; targets must be below 2**32."""
    return (account << _TARGET_BITS) | target


class PairSet:
    """Pairs seen so far; `max_account` bounds the accounts, `expected` sizes the buckets."""

    def __init__(self, max_account: int, expected: int) -> None:
        buckets = max(1, min(4096, expected // _BUCKET_PAIRS))
        per_bucket = max(1, -(-(max_account + 1) // buckets))
        self._shift = _TARGET_BITS + per_bucket.bit_length()
        count = ((max_account + 1) >> per_bucket.bit_length()) + 1
        self._parts = [np.empty(0, dtype=np.int64) for _ in range(count)]

    def __len__(self) -> int:
        return sum(len(part) for part in self._parts)

    def add_new(self, keys: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Add `keys`; True where a key was not in the set and is its first copy in `keys`."""
        if not len(keys):
            return np.zeros(0, dtype=np.bool_)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        fresh = np.ones(len(keys), dtype=np.bool_)
        fresh[1:] = ordered[1:] != ordered[:-1]
        bucket = ordered >> self._shift
        starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]]).tolist()
        for lo, hi in zip(starts, [*starts[1:], len(keys)], strict=True):
            self._merge(int(bucket[lo]), ordered[lo:hi], fresh[lo:hi])
        accepted = np.empty(len(keys), dtype=np.bool_)
        accepted[order] = fresh
        return accepted

    def _merge(self, index: int, keys: NDArray[np.int64], fresh: NDArray[np.bool_]) -> None:
        """Clear `fresh` for keys already in the bucket, then insert the rest (in place)."""
        part = self._parts[index]
        at = np.searchsorted(part, keys)
        if len(part):
            fresh &= part[np.minimum(at, len(part) - 1)] != keys
        self._parts[index] = np.insert(part, at[fresh], keys[fresh])
