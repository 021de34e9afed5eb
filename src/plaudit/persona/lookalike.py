"""Lookalike expansion: grow a seed segment (say a creator's fans) to a requested size.

Method (stated in every result): naive-Bayes log-lift scoring. Each tag t weighs

    w(t) = log((seed share of t + a) / (platform share of t + a)),  a = 1 / |seed|

(the smoothing keeps a tag no seed account has from dominating); an account's score is the
sum of the weights of its tags; the accounts outside the seed with the highest scores form
the lookalike audience (ties: lower account id first). Only accounts with targeting consent
are scored, and the result is reported as aggregates: its size and the tags that drove it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from pyroaring import BitMap

from plaudit.errors import InvalidInput
from plaudit.persona.bits import members
from plaudit.persona.engine import intersection_count
from plaudit.persona.engine import size as leaf_size
from plaudit.persona.index import TagIndex, bitmap_of
from plaudit.persona.taxonomy import TAGS

__all__ = ["METHOD", "expand"]

METHOD = (
    "naive-Bayes log-lift: each tag weighs log((seed share + 1/|seed|) / (platform share + "
    "1/|seed|)); accounts outside the seed are ranked by the sum of their tags' weights"
)


def _weights(
    index: TagIndex, seed: BitMap, shown_count: Callable[[str, int], int] | None = None
) -> dict[str, float]:
    """Each tag's log-lift; with `shown_count`, from the counts it gives (noisy ones, for
    the weights a brand sees)."""
    total, size = len(index.universe), len(seed)
    alpha = 1.0 / size
    weights = {}
    for tag in TAGS:
        leaf = index.leaf(tag.id)
        base = leaf_size(leaf)
        if not base:
            continue
        exact = intersection_count(seed, leaf)
        inside = (shown_count(tag.id, exact) if shown_count else exact) / size
        weights[tag.id] = math.log((min(inside, 1.0) + alpha) / (base / total + alpha))
    return weights


def expand(
    index: TagIndex,
    seed: BitMap,
    size: int,
    k: int,
    shown_count: Callable[[str, int], int] | None = None,
) -> tuple[BitMap, dict[str, Any]]:
    """The `size` accounts outside `seed` most like it (all of them when fewer), and a
    description of why; `shown_count` gives the counts the described weights come from.
    The caller checks `size` against bounds it may show (never the exact number here)."""
    if len(seed) < max(k, 1):
        raise InvalidInput(f"the seed has fewer than {max(k, 1)} accounts", field="seed")
    if size < k:
        raise InvalidInput(f"size must be at least {k}", field="size")
    candidates = index.universe - seed
    weights = _weights(index, seed)
    score = np.zeros(index.n_words * 64, dtype=np.float64)
    for tag_id, weight in weights.items():
        leaf = index.leaf(tag_id)
        if isinstance(leaf, np.ndarray):
            score += weight * np.unpackbits(leaf.view(np.uint8), bitorder="little")
        else:
            score[members(leaf)] += weight
    ids = members(candidates)
    # stable sort on -score keeps ids ascending among ties
    chosen = ids[np.argsort(-score[ids], kind="stable")[:size]]
    shown = _weights(index, seed, shown_count) if shown_count else weights
    drivers = sorted(shown.items(), key=lambda item: -item[1])[:10]
    about = {
        "method": METHOD,
        "seed": len(seed),
        "size": len(chosen),
        "top_tags": [{"tag": t, "weight": round(w, 3)} for t, w in drivers],
    }
    return bitmap_of(np.sort(chosen)), about
