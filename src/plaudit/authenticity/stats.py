"""Poisson tails in log10, vectorised: the significance scale every detector reports."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

__all__ = ["MAX_SCORE", "poisson_score", "poisson_scores"]

MAX_SCORE = 300.0
"""Scores are capped: beyond 1e-300 a p-value says nothing more and floats underflow."""


def poisson_scores(
    observed: NDArray[np.floating] | NDArray[np.integer], expected: NDArray[np.floating]
) -> NDArray[np.float64]:
    """-log10 P(X >= observed) for X ~ Poisson(expected), elementwise; 0 where observed is 0.

    Only the positive counts are evaluated: the detectors score every account of the graph
    against each candidate block, and all but a few of them have no edge in it (a cohort's
    search on a million accounts scores a few thousand). `special.pdtrc` is the tail
    `scipy.stats.poisson.sf` evaluates, without its argument checks.
    """
    obs = np.asarray(observed, dtype=np.float64)
    lam = np.broadcast_to(np.asarray(expected, dtype=np.float64), obs.shape)
    scores = np.zeros(obs.shape, dtype=np.float64)
    positive = obs > 0
    tail = special.pdtrc(np.floor(obs[positive] - 1.0), np.maximum(lam[positive], 1e-12))
    with np.errstate(divide="ignore"):
        scores[positive] = np.clip(-np.log10(tail), 0.0, MAX_SCORE)
    return scores


def poisson_score(observed: float, expected: float) -> float:
    return float(poisson_scores(np.array([observed]), np.array([expected]))[0])
