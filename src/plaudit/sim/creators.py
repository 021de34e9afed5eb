"""Who makes the videos: which accounts are creators, what they make, how popular they are.

Creator popularity is Pareto-distributed with shape 1, which is Zipf's law: on real
platforms a small fraction of creators gathers most of the attention (measurement studies of
Twitter and Weibo follower counts, e.g. Kwak et al., WWW 2010, find heavy-tailed, roughly
power-law distributions). Follows arise from likes, so follower counts inherit the tail.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from plaudit.catalog.categories import CATEGORIES
from plaudit.sim.interests import CATEGORY_WEIGHTS
from plaudit.sim.records import CommunitySize
from plaudit.sim.sampling import cdf_of, pick

__all__ = ["SUPPLY_CDF", "Creators", "creator_positions", "draw_creators"]

SUPPLY_CDF = cdf_of([CATEGORY_WEIGHTS[c.id] for c in CATEGORIES])
"""What creators make follows what audiences watch."""

_PARETO_SHAPE = 1.0
_OUTPUT_SIGMA = 0.7


class Creators(NamedTuple):
    """Per creator, in ascending account id order."""

    ids: NDArray[np.int64]  # account ids
    category: NDArray[np.intp]  # primary category, index into CATEGORIES
    popularity: NDArray[np.float64]
    output: NDArray[np.float64]  # relative number of videos they publish


def draw_creators(rng: np.random.Generator, size: CommunitySize) -> Creators:
    """Choose the creator accounts among 1..accounts and give each a category and reach."""
    ids = np.sort(rng.choice(size.accounts, size.creators, replace=False)).astype(np.int64) + 1
    popularity = rng.pareto(_PARETO_SHAPE, size.creators) + 1.0
    # Popular creators post somewhat more often; mostly output is individual.
    output = rng.lognormal(0.0, _OUTPUT_SIGMA, size.creators) * popularity**0.2
    return Creators(ids, pick(SUPPLY_CDF, rng.random(size.creators)), popularity, output)


def creator_positions(
    creators: Creators, ids: NDArray[np.int64]
) -> tuple[NDArray[np.bool_], NDArray[np.intp]]:
    """For account ids: whether each is a creator, and how many creators come before it."""
    before = np.searchsorted(creators.ids, ids)
    found = np.minimum(before, len(creators.ids) - 1)
    return creators.ids[found] == ids, before
