"""The video stage: what each creator publishes over the window, and how appealing it is.

Video ids are dense and in publishing order, as a database would assign them, so "the
videos published before time t" is always a prefix of the id range. Appeal is the creator's
popularity times a lognormal virality (sigma 1.3): even a popular creator has flops and hits.
Durations are lognormal around half a minute, the typical length of a short video.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from plaudit.catalog.categories import CATEGORIES
from plaudit.sim.creators import SUPPLY_CDF, Creators
from plaudit.sim.records import CHUNK_ROWS, CommunitySize, VideoRow, VideosChunk
from plaudit.sim.rhythm import Clock
from plaudit.sim.sampling import pick
from plaudit.sim.texts import video_titles

__all__ = ["Catalogue", "build_catalogue", "video_chunks"]

_OFF_PRIMARY = 0.15  # share of a creator's videos outside their primary category
_VIRALITY_SIGMA = 1.3
_DURATION_MEDIAN_S = 28.0
_DURATION_SIGMA = 0.8
_CATEGORY_NAMES = np.array([c.id for c in CATEGORIES], dtype=object)


class Catalogue(NamedTuple):
    """Per video (index = id - 1), plus the videos grouped by category for weighted picks."""

    creator: NDArray[np.int64]  # account id
    category: NDArray[np.uint8]
    published: NDArray[np.int64]  # epoch seconds, ascending
    appeal: NDArray[np.float64]
    by_category: NDArray[np.intp]  # video indexes ordered by category, then id
    bounds: NDArray[np.intp]  # by_category[bounds[c]:bounds[c+1]] are category c
    category_keys: NDArray[np.int64]  # category << 32 | published, along by_category


def _videos_per_creator(
    rng: np.random.Generator, size: CommunitySize, creators: Creators
) -> NDArray[np.int64]:
    """At least one video each; the rest shared out by each creator's output."""
    extra = rng.multinomial(size.videos - size.creators, creators.output / creators.output.sum())
    return (extra + 1).astype(np.int64)


def build_catalogue(
    rng: np.random.Generator, size: CommunitySize, creators: Creators, clock: Clock
) -> Catalogue:
    """All videos' facts as arrays (about 40 bytes a video)."""
    owner = np.repeat(np.arange(size.creators), _videos_per_creator(rng, size, creators))
    rng.shuffle(owner)  # a creator's videos spread over the window
    published = np.sort(clock.sample(rng, size.videos))
    category = np.where(
        rng.random(size.videos) < _OFF_PRIMARY,
        pick(SUPPLY_CDF, rng.random(size.videos)),
        creators.category[owner],
    ).astype(np.uint8)
    appeal = creators.popularity[owner] * rng.lognormal(0.0, _VIRALITY_SIGMA, size.videos)
    by_category = np.argsort(category, kind="stable")
    grouped = category[by_category].astype(np.int64)
    bounds = np.searchsorted(grouped, np.arange(len(CATEGORIES) + 1))
    keys = (grouped << 32) | published[by_category]
    return Catalogue(creators.ids[owner], category, published, appeal, by_category, bounds, keys)


def video_chunks(rng: np.random.Generator, catalogue: Catalogue) -> Iterator[VideosChunk]:
    """Rows for videos 1..V in chunks; titles and durations are made here, never stored."""
    total = len(catalogue.creator)
    for lo in range(0, total, CHUNK_ROWS):
        hi = min(lo + CHUNK_ROWS, total)
        category = catalogue.category[lo:hi]
        duration = rng.lognormal(np.log(_DURATION_MEDIAN_S), _DURATION_SIGMA, hi - lo)
        rows = list(
            map(
                VideoRow,
                range(lo + 1, hi + 1),
                catalogue.creator[lo:hi].tolist(),
                video_titles(rng, category),
                _CATEGORY_NAMES[category].tolist(),
                np.clip(duration, 5, 900).astype(np.int64).tolist(),
                [datetime.fromtimestamp(t, UTC) for t in catalogue.published[lo:hi].tolist()],
            )
        )
        yield VideosChunk(rows)
