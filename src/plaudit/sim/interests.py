"""What people like to watch: a few content categories each, with Dirichlet weights.

Category popularity is loosely shaped after the vertical rankings in Douyin's and Kuaishou's
published creator and content reports (comedy, food, daily life, film clips and relationships
near the top; charity and art near the bottom); the numbers are ours. Interests lean by gender
and age the way those reports describe audiences (beauty and fashion lean female, cars and
games male; anime and games young; health, news and rural life older), so that fan-base
insights on the demo data show the familiar patterns.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from plaudit.catalog.categories import CATEGORIES

__all__ = ["CATEGORY_WEIGHTS", "INTEREST_SLOTS", "Interests", "draw_interests"]

CATEGORY_WEIGHTS: dict[str, float] = {
    "food": 7, "travel": 4, "beauty": 4, "fashion": 4, "fitness": 2, "sports": 3,
    "gaming": 5, "music": 5, "dance": 3, "comedy": 8, "film": 6, "anime": 3,
    "education": 3, "study": 2, "tech": 2, "digital": 3, "cars": 3, "finance": 2,
    "parenting": 3, "pets": 4, "home": 2, "farming": 3, "health": 2, "news": 3,
    "culture": 2, "art": 1.5, "photography": 1.5, "outdoors": 1.5, "emotion": 6,
    "vlog": 7, "charity": 0.5, "shopping": 3,
}  # fmt: skip
"""Relative popularity of each category, for audiences and for what creators make."""

INTEREST_SLOTS = 3
_DIRICHLET_ALPHA = 0.8  # below 1: most people have one clear favourite

_BY_GENDER: tuple[dict[str, float], ...] = (
    {"beauty": 3, "fashion": 2, "parenting": 1.8, "emotion": 1.5, "home": 1.4, "pets": 1.3,
     "gaming": 0.5, "cars": 0.35, "sports": 0.6, "digital": 0.6, "tech": 0.7},
    {"beauty": 0.25, "fashion": 0.5, "parenting": 0.6, "emotion": 0.7, "gaming": 1.6,
     "cars": 2.2, "sports": 1.6, "digital": 1.5, "tech": 1.4, "finance": 1.2},
    {},
)  # fmt: skip
"""Multipliers for female, male, and other or undisclosed."""

_BY_AGE: tuple[dict[str, float], ...] = (
    {"gaming": 1.8, "anime": 2.2, "music": 1.3, "dance": 1.3, "study": 2.5,
     "education": 1.3, "parenting": 0.2, "farming": 0.5, "health": 0.4, "news": 0.5,
     "finance": 0.5},
    {"parenting": 1.8, "finance": 1.3, "cars": 1.3, "home": 1.4, "fitness": 1.2},
    {"health": 2.5, "news": 2.0, "farming": 1.7, "culture": 1.5, "dance": 1.2,
     "anime": 0.15, "gaming": 0.35, "study": 0.2, "beauty": 0.6},
)  # fmt: skip
"""Multipliers for ages under 25, 25-44, and 45 and over."""

_AGE_GROUP_BOUNDS = np.array([25, 45])


def _group_cdfs() -> NDArray[np.float64]:
    """Row g = 3 * gender group + age group: the category CDF for that audience."""
    base = np.array([CATEGORY_WEIGHTS[c.id] for c in CATEGORIES])
    rows = []
    for by_gender in _BY_GENDER:
        for by_age in _BY_AGE:
            lean = [by_gender.get(c.id, 1.0) * by_age.get(c.id, 1.0) for c in CATEGORIES]
            weights = base * np.array(lean)
            rows.append(np.cumsum(weights) / weights.sum())
    return np.array(rows)


_GROUP_CDFS = _group_cdfs()


class Interests(NamedTuple):
    """Per person: `categories` (n, 3) indexes into CATEGORIES; `cuts` (n, 2) the cumulative
    weights of the first two slots, so a uniform u picks slot (u > cut0) + (u > cut1)."""

    categories: NDArray[np.uint8]
    cuts: NDArray[np.float32]


def draw_interests(
    rng: np.random.Generator, gender: NDArray[np.intp], age: NDArray[np.int64]
) -> Interests:
    """Three categories per person from their audience's leanings, with Dirichlet weights."""
    n = len(age)
    gender_group = np.minimum(gender, 2)  # GENDERS order: female, male, other, undisclosed
    group = 3 * gender_group + np.searchsorted(_AGE_GROUP_BOUNDS, age, side="right")
    u = rng.random((n, INTEREST_SLOTS))
    cdfs = _GROUP_CDFS[group]  # (n, categories)
    categories = (cdfs[:, None, :] <= u[:, :, None]).sum(axis=2)
    categories = np.minimum(categories, len(CATEGORIES) - 1).astype(np.uint8)
    weights = rng.gamma(_DIRICHLET_ALPHA, size=(n, INTEREST_SLOTS))
    cuts = np.cumsum(weights, axis=1)[:, :-1] / weights.sum(axis=1, keepdims=True)
    return Interests(categories, cuts.astype(np.float32))
