"""Who the accounts are: age, gender, spending band and privacy consents.

Sources:

- Age and gender: CNNIC, 47th Statistical Report on China's Internet Development (Feb 2021),
  users at December 2020: 20-29 17.8%, 30-39 20.5%, 40-49 18.8%, 50 and over 26.3% (which we
  split 15.1% for 50-59 and 11.2% for 60 and over), under 20 the remaining 16.6% (of which we
  keep the 13-19 part, as accounts are for people aged 13 and over); men 51.0%, women 49.0%.
- Spending: National Bureau of Statistics, 2023 Statistical Communiqué: per-capita consumption
  expenditure 26,796 CNY a year (about 2,200 a month; 2,750 urban, 1,500 rural). We put the
  median account in the 1000-3000 CNY band, with a tail to 10000+, higher in bigger cities and
  for people in their working years, lower for students and retirees.
- Consents: no public figure; we use 92% for personalisation and 85% for targeting, targeting
  only among those who allow personalisation.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from plaudit.accounts.model import CITY_TIERS, GENDERS
from plaudit.sim.sampling import cdf_of, pick

__all__ = ["AGE_BANDS", "GENDER_SHARES", "Demography", "draw_demography"]

AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (13, 19, 9.5),
    (20, 29, 17.8),
    (30, 39, 20.5),
    (40, 49, 18.8),
    (50, 59, 15.1),
    (60, 79, 11.2),
)
"""(youngest, oldest, share in %) of the account holders."""

GENDER_SHARES: dict[str, float] = {
    "female": 0.478,
    "male": 0.497,
    "other": 0.004,
    "undisclosed": 0.021,
}
"""Shares in the order of `GENDERS`; a few people choose "other" or keep it to themselves."""

_AGE_CDF = cdf_of([share for _, _, share in AGE_BANDS])
_GENDER_CDF = cdf_of([GENDER_SHARES[g] for g in GENDERS])
# Additive effects on a standard-normal spending score, by tier (order of CITY_TIERS) and age.
_TIER_EFFECTS = {"new1": 0.5, "1": 0.8, "2": 0.3, "3": 0.0, "4": -0.2, "5": -0.4}
_TIER_EFFECT = np.array([_TIER_EFFECTS[tier] for tier in CITY_TIERS])
_AGE_EFFECT = ((18, -1.2), (23, -0.5), (30, 0.1), (45, 0.4), (60, 0.1), (200, -0.4))
# Score cut points between the bands (in the order of SPENDING_BANDS): about 35/33/17/10/5%
# of accounts from low to high.
_BAND_CUTS = np.array([-0.44, 0.54, 1.19, 1.89])
_CONSENT_PERSONALISATION = 0.92
_CONSENT_TARGETING = 0.85


class Demography(NamedTuple):
    """Column arrays for a batch of people; categorical columns index the model's tuples."""

    age: NDArray[np.int64]
    gender: NDArray[np.intp]  # into GENDERS
    spending: NDArray[np.intp]  # into SPENDING_BANDS
    personalisation: NDArray[np.bool_]
    targeting: NDArray[np.bool_]


def _ages(rng: np.random.Generator, n: int) -> NDArray[np.int64]:
    band = pick(_AGE_CDF, rng.random(n))
    lows = np.array([lo for lo, _, _ in AGE_BANDS])
    spans = np.array([hi - lo + 1 for lo, hi, _ in AGE_BANDS])
    ages: NDArray[np.int64] = lows[band] + (rng.random(n) * spans[band]).astype(np.int64)
    return ages


def _age_effect(age: NDArray[np.int64]) -> NDArray[np.float64]:
    bounds = np.array([upper for upper, _ in _AGE_EFFECT])
    effects = np.array([effect for _, effect in _AGE_EFFECT])
    return effects[np.searchsorted(bounds, age, side="right")]


def _spending(
    rng: np.random.Generator, age: NDArray[np.int64], tier: NDArray[np.intp]
) -> NDArray[np.intp]:
    score = _TIER_EFFECT[tier] + _age_effect(age) + rng.standard_normal(len(age))
    return np.searchsorted(_BAND_CUTS, score)


def draw_demography(rng: np.random.Generator, tier: NDArray[np.intp]) -> Demography:
    """Age, gender, spending and consents for people living in cities of the given tiers."""
    n = len(tier)
    age = _ages(rng, n)
    personalisation = rng.random(n) < _CONSENT_PERSONALISATION
    targeting = personalisation & (rng.random(n) < _CONSENT_TARGETING / _CONSENT_PERSONALISATION)
    return Demography(
        age=age,
        gender=pick(_GENDER_CDF, rng.random(n)),
        spending=_spending(rng, age, tier),
        personalisation=personalisation,
        targeting=targeting,
    )
