"""The account stage: rows for accounts 1..N, in chunks, recording what interactions need.

Ids are dense and in sign-up order: sign-ups spread over the three years before the window,
accelerating as the platform grows (the cumulative count grows with the square of time).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from plaudit.accounts.model import CITY_TIERS, GENDERS, SPENDING_BANDS
from plaudit.sim.audience import Audience, draw_activity
from plaudit.sim.creators import Creators, creator_positions
from plaudit.sim.demography import draw_demography
from plaudit.sim.geography import PLACE_TIERS, PLACES, draw_places
from plaudit.sim.interests import draw_interests
from plaudit.sim.records import CHUNK_ROWS, AccountColumns, AccountsChunk, CommunitySize
from plaudit.sim.rhythm import DAY
from plaudit.sim.texts import display_names

__all__ = ["account_chunks"]

_SIGNUP_SPAN = 3 * 365 * DAY

_PROVINCE = np.array([p.province for p in PLACES], dtype=object)
_CITY = np.array([p.city for p in PLACES], dtype=object)
_TIER = np.array(CITY_TIERS, dtype=object)
_GENDER = np.array(GENDERS, dtype=object)
_BAND = np.array(SPENDING_BANDS, dtype=object)


def _signup_times(
    rng: np.random.Generator, ids: NDArray[np.int64], n: int, before: int
) -> NDArray[np.int64]:
    """Sign-up times (whole seconds) rising with id, all at least a day before `before`."""
    span_end = before - DAY
    ts = span_end - _SIGNUP_SPAN + _SIGNUP_SPAN * np.sqrt(ids / n)
    signed_up: NDArray[np.int64] = ts.astype(np.int64) - rng.integers(0, 3_600, len(ids))
    return signed_up


def _handles(
    is_creator: NDArray[np.bool_],
    ids: NDArray[np.int64],
    before: NDArray[np.intp],
    size: CommunitySize,
) -> list[str]:
    """fan000123 / creator000045: numbered within each kind, zero-padded to a fixed width."""
    creator_width = max(6, len(str(size.creators)))
    fan_width = max(6, len(str(size.accounts - size.creators)))
    numbers = np.where(is_creator, before + 1, ids - before).tolist()
    return [
        f"creator{k:0{creator_width}d}" if c else f"fan{k:0{fan_width}d}"
        for c, k in zip(is_creator.tolist(), numbers, strict=True)
    ]


class _AccountMaker:
    """Makes the rows of consecutive account ids, recording activity and interests."""

    def __init__(
        self,
        rng: np.random.Generator,
        size: CommunitySize,
        creators: Creators,
        audience: Audience,
        window_start: int,
        year: int,
    ) -> None:
        self._rng = rng
        self._size = size
        self._creators = creators
        self._audience = audience
        self._window_start = window_start
        self._year = year

    def chunk(self, ids: NDArray[np.int64]) -> AccountColumns:
        rng, n = self._rng, len(ids)
        is_creator, before = creator_positions(self._creators, ids)
        place = draw_places(rng, n)
        tier = PLACE_TIERS[place]
        people = draw_demography(rng, tier)
        interests = draw_interests(rng, people.gender, people.age)
        self._audience.fill(int(ids[0]), draw_activity(rng, n), interests)
        birth_year = self._year - people.age - (rng.random(n) < 0.5)
        handle = _handles(is_creator, ids, before, self._size)
        display_name = self._display_names(is_creator, before)  # draws before the times
        return AccountColumns(
            ids=ids,
            handle=handle,
            is_creator=is_creator,
            display_name=display_name,
            created=_signup_times(rng, ids, self._size.accounts, self._window_start),
            birth_year=birth_year.astype(np.int64),
            gender=_GENDER[people.gender],
            province=_PROVINCE[place],
            city=_CITY[place],
            city_tier=_TIER[tier],
            spending_band=_BAND[people.spending],
            consent_personalisation=people.personalisation,
            consent_targeting=people.targeting,
        )

    def _display_names(self, is_creator: NDArray[np.bool_], before: NDArray[np.intp]) -> list[str]:
        """Creators name themselves after what they make."""
        primary = self._creators.category[np.minimum(before, len(self._creators.ids) - 1)]
        return display_names(self._rng, np.where(is_creator, primary, -1))


def account_chunks(
    rng: np.random.Generator,
    size: CommunitySize,
    creators: Creators,
    audience: Audience,
    window_start: int,
    year: int,
    *,
    columns: bool = False,
) -> Iterator[AccountsChunk | AccountColumns]:
    """Accounts 1..size.accounts in chunks (with `columns`, as `AccountColumns`); fills
    `audience` as a side effect.

    `year` is the calendar year at the end of the window, from which ages become birth years.
    """
    maker = _AccountMaker(rng, size, creators, audience, window_start, year)
    for lo in range(1, size.accounts + 1, CHUNK_ROWS):
        made = maker.chunk(np.arange(lo, min(lo + CHUNK_ROWS, size.accounts + 1), dtype=np.int64))
        yield made if columns else AccountsChunk(made.rows())
