"""Stateless, vectorised pseudo-random values keyed by (seed, stream, id).

Per-account facts that are only needed now and then (device keys, user agents, home IP
prefixes) are recomputed from a hash instead of stored, so ten million accounts cost no
memory for them and every value is the same whenever it is asked for.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["U64", "derive", "mix64"]

U64 = NDArray[np.uint64]

_ALL_BITS = (1 << 64) - 1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(x: U64) -> U64:
    """The SplitMix64 output function (Steele, Lea and Flood, OOPSLA 2014; constants as in
    Vigna's splitmix64.c): a bijection of 64-bit words whose outputs pass BigCrush.

    Arithmetic on uint64 arrays wraps modulo 2**64, which is what the mixer needs.
    """
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def derive(seed: int, stream: int, ids: NDArray[np.int64]) -> U64:
    """64 random-looking bits for each id, independent across seeds and streams."""
    key = mix64(np.array([seed & _ALL_BITS], dtype=np.uint64))
    key = mix64(key ^ np.uint64(stream))
    return mix64(ids.astype(np.uint64) ^ key)
