"""Poisson tails in log10, vectorised: the significance scale every detector reports."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import stats

__all__ = ["MAX_SCORE", "poisson_score", "poisson_scores"]

MAX_SCORE = 300.0
"""Scores are capped: beyond 1e-300 a p-value says nothing more and floats underflow."""


def poisson_scores(
    observed: NDArray[np.floating] | NDArray[np.integer], expected: NDArray[np.floating]
) -> NDArray[np.float64]:
    """-log10 P(X >= observed) for X ~ Poisson(expected), elementwise; 0 where observed is 0."""
    obs = np.asarray(observed, dtype=np.float64)
    lam = np.maximum(np.asarray(expected, dtype=np.float64), 1e-12)
    log_sf = stats.poisson.logsf(obs - 1, lam)
    scores: NDArray[np.float64] = np.clip(-log_sf / np.log(10), 0.0, MAX_SCORE)
    return scores


def poisson_score(observed: float, expected: float) -> float:
    return float(poisson_scores(np.array([observed]), np.array([expected]))[0])
