"""Dividing a pool of fen in proportion to integer scores, exactly (largest remainder).

Each creator first gets floor(pool * score / total); the fen left over (fewer than the
number of creators) go one each to the largest remainders `pool * score mod total`. Ties
between equal remainders go to the smaller creator id, so the result is a pure function of
the scores. The payouts sum exactly to the pool, none is negative, and each differs from
the exact share pool * score / total by less than one fen (the Hamilton method).
"""

from __future__ import annotations

from collections.abc import Mapping

from plaudit.errors import InvalidInput

__all__ = ["largest_remainder"]


def largest_remainder(pool_fen: int, scores: Mapping[int, int]) -> dict[int, int]:
    """Payout in fen per key; empty when no key has a positive score (nothing to divide)."""
    if pool_fen < 0:
        raise InvalidInput(f"the pool is {pool_fen} fen; it cannot be negative", field="pool_fen")
    negative = sorted(key for key, score in scores.items() if score < 0)
    if negative:
        raise InvalidInput(f"scores must not be negative (keys {negative[:5]})")
    positive = {key: score for key, score in scores.items() if score > 0}
    total = sum(positive.values())
    if total == 0:
        return {}
    payouts: dict[int, int] = {}
    remainders: list[tuple[int, int]] = []
    for key, score in positive.items():
        payouts[key], remainder = divmod(pool_fen * score, total)
        remainders.append((-remainder, key))
    left = pool_fen - sum(payouts.values())
    for _, key in sorted(remainders)[:left]:
        payouts[key] += 1
    return payouts
