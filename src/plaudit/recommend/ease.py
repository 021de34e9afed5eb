"""EASE: the closed-form linear item-item model (Steck, "Embarrassingly Shallow Autoencoders
for Sparse Data", WWW 2019).

With X the binary account x video matrix and G = X^T X + lambda I, the item-item weights
minimising ||X - X B||^2 + lambda ||B||^2 subject to diag(B) = 0 are

    P = G^-1,    B_ij = -P_ij / P_jj  (i != j),    B_jj = 0,

and an account's scores are x_u B. The inverse is dense and cubic in the number of videos,
so a large catalogue is restricted to its `max_items` most-liked videos (the candidate set;
other videos score 0 here): 8,000 videos take a 256 MB float32 matrix and seconds to invert,
where 180,000 would take 130 GB. The inverse uses the Cholesky factorisation (G is
symmetric positive definite), about half the work of a general inverse.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.linalg import lapack

from plaudit.errors import InvalidInput

__all__ = ["EaseWeights", "fit_ease", "fit_ease_path", "popular_items"]


@dataclass(frozen=True)
class EaseWeights:
    """The learned weights: `items` (ascending column numbers) and B over those columns."""

    items: NDArray[np.int64]
    weights: NDArray[np.float32]

    def scores(self, seen: sp.csr_matrix, n_items: int) -> NDArray[np.float32]:
        """x_u B for each row of `seen`, scattered over all `n_items` columns (0 elsewhere)."""
        out = np.zeros((seen.shape[0], n_items), dtype=np.float32)
        restricted = seen[:, self.items].astype(np.float32)
        out[:, self.items] = np.asarray(restricted @ self.weights, dtype=np.float32)
        return out


def popular_items(matrix: sp.csr_matrix, limit: int) -> NDArray[np.int64]:
    """Columns of the `limit` most-liked videos (all when `limit` is 0 or larger), ascending;
    ties broken by column number so that the choice is reproducible."""
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    if limit <= 0 or limit >= len(counts):
        return np.arange(len(counts), dtype=np.int64)
    order = np.lexsort((np.arange(len(counts)), -counts))[:limit]
    return np.sort(order).astype(np.int64)


def fit_ease(matrix: sp.csr_matrix, l2: float, max_items: int = 0) -> EaseWeights:
    """Fit EASE with L2 weight `l2` on the `max_items` most-liked videos (0: all)."""
    return next(fit_ease_path(matrix, (l2,), max_items))


def fit_ease_path(
    matrix: sp.csr_matrix, l2s: tuple[float, ...], max_items: int = 0
) -> Iterator[EaseWeights]:
    """EASE for each L2 weight in `l2s` in turn, computing the Gram matrix once (tuning;
    one dense matrix at a time is held)."""
    if not l2s or min(l2s) <= 0:
        raise InvalidInput(f"EASE needs positive L2 weights, got {l2s}")
    items = popular_items(matrix, max_items)
    restricted = matrix[:, items].astype(np.float32)
    gram = np.asarray((restricted.T @ restricted).toarray(), dtype=np.float32)
    for l2 in l2s:
        yield _solve(gram, items, l2)


def _solve(gram: NDArray[np.float32], items: NDArray[np.int64], l2: float) -> EaseWeights:
    regularised = gram.copy()
    regularised[np.diag_indices_from(regularised)] += np.float32(l2)
    precision = _spd_inverse(regularised)
    weights = precision / (-np.diag(precision))[None, :]
    np.fill_diagonal(weights, 0.0)
    return EaseWeights(items, np.ascontiguousarray(weights, dtype=np.float32))


def _spd_inverse(gram: NDArray[np.float32]) -> NDArray[np.float32]:
    """Inverse of a symmetric positive definite matrix by Cholesky (LAPACK potrf/potri)."""
    if gram.size == 0:
        return gram
    potrf, potri = lapack.get_lapack_funcs(("potrf", "potri"), (gram,))
    factor, info = potrf(gram, lower=True, overwrite_a=True, clean=False)
    if info != 0:
        raise InvalidInput(f"EASE's Gram matrix is not positive definite (LAPACK info {info})")
    inverse, info = potri(factor, lower=True, overwrite_c=True)
    if info != 0:
        raise InvalidInput(f"EASE's Gram matrix could not be inverted (LAPACK info {info})")
    lower = np.tril(inverse)
    full: NDArray[np.float32] = lower + np.tril(inverse, -1).T
    return full
