"""Weighted picks by inverse CDF: the one sampling primitive the generator repeats."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["cdf_of", "locate", "pick", "sorted_uniforms"]


def cdf_of(weights: Sequence[float] | NDArray[np.float64]) -> NDArray[np.float64]:
    """The normalised cumulative weights, last entry exactly 1."""
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    normalised: NDArray[np.float64] = cdf / cdf[-1]
    return normalised


def pick(cdf: NDArray[np.float64], u: NDArray[np.float64]) -> NDArray[np.intp]:
    """The index each uniform `u` in [0, 1) falls on; zero-weight entries are never picked.

    `side="right"` skips zero-width intervals; the clamp guards `u * total` rounding up to the
    total when `cdf` is not normalised.
    """
    found: NDArray[np.intp] = np.searchsorted(cdf, u * cdf[-1], side="right")
    return np.minimum(found, len(cdf) - 1)


def sorted_uniforms(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    """`n` uniforms in [0, 1), in ascending order, in linear time.

    The normalised partial sums of n + 1 exponentials are distributed as the order statistics
    of n uniforms (Devroye, Non-Uniform Random Variate Generation, 1986, ch. V). Sorted
    needles make a binary search over a large array several times faster, as each search
    starts near where the last one ended and stays in cache.
    """
    sums = np.cumsum(rng.exponential(size=n + 1))
    uniforms: NDArray[np.float64] = sums[:-1] / sums[-1]
    return uniforms


def locate(running: NDArray[np.float64], targets: NDArray[np.float64]) -> NDArray[np.intp]:
    """For a running total with a leading 0, the entry each target falls in.

    Searches with the targets in ascending order (see `sorted_uniforms` for why), then puts
    the answers back in the targets' order.
    """
    order = np.argsort(targets)
    found = np.empty(len(targets), dtype=np.intp)
    found[order] = np.searchsorted(running, targets[order], side="right") - 1
    return np.clip(found, 0, len(running) - 2)
