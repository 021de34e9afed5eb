"""The rows and chunks the demo generator yields, and the named community sizes.

The generator streams chunks rather than returning tables so that the loader can write a
10-million-account community without either side holding it all in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from plaudit.errors import InvalidInput
from plaudit.interactions.bulk_model import BulkItem
from plaudit.sim.devices import Origins
from plaudit.sim.events import Events

__all__ = [
    "CHUNK_ROWS",
    "SIZES",
    "AccountColumns",
    "AccountRow",
    "AccountsChunk",
    "Chunk",
    "ColumnsChunk",
    "CommunitySize",
    "InteractionsChunk",
    "VideoRow",
    "VideosChunk",
    "size_named",
]

CHUNK_ROWS = 50_000
"""Most rows or items in one chunk: large enough to amortise a bulk insert, small enough that
a chunk of Python objects stays in the tens of megabytes."""


class AccountRow(NamedTuple):
    """One account with its profile; `province` is an ISO 3166-2:CN code without "CN-"."""

    id: int
    handle: str
    kind: str
    display_name: str
    created_at: datetime
    birth_year: int
    gender: str
    province: str
    city: str
    city_tier: str
    spending_band: str
    consent_personalisation: bool
    consent_targeting: bool


class VideoRow(NamedTuple):
    """One video; `creator_id` is the id of a creator account."""

    id: int
    creator_id: int
    title: str
    category: str
    duration_s: int
    published_at: datetime


@dataclass(frozen=True)
class CommunitySize:
    """How big a demo community is; `interactions` is the exact total the stream yields.

    Every creator publishes at least one video, so `videos` must be at least `creators`.
    """

    name: str
    accounts: int
    creators: int
    videos: int
    interactions: int
    days: int = 90

    def __post_init__(self) -> None:
        if not 0 < self.creators < self.accounts:
            raise InvalidInput(
                f"size {self.name!r}: creators must be between 1 and accounts - 1", field="size"
            )
        if self.videos < self.creators:
            raise InvalidInput(
                f"size {self.name!r}: videos must be at least creators (one each)", field="size"
            )
        if self.interactions < 0 or self.days < 1:
            raise InvalidInput(
                f"size {self.name!r}: interactions must be >= 0 and days >= 1", field="size"
            )


SIZES: dict[str, CommunitySize] = {
    # 2% of accounts are creators. Ten videos per creator over 90 days is about one every nine
    # days, a hobbyist's pace; the large size caps the catalogue at five per creator so the
    # per-video arrays stay small.
    "small": CommunitySize("small", 10_000, 200, 2_000, 200_000),
    "medium": CommunitySize("medium", 1_000_000, 20_000, 200_000, 20_000_000),
    "large": CommunitySize("large", 10_000_000, 200_000, 1_000_000, 50_000_000),
}


def size_named(name: str) -> CommunitySize:
    """The named size, or an error that lists the names (for the CLI's --size)."""
    try:
        return SIZES[name]
    except KeyError:
        raise InvalidInput(
            f"size {name!r} is not one of {', '.join(SIZES)}", field="size"
        ) from None


@dataclass(frozen=True, slots=True)
class AccountsChunk:
    rows: list[AccountRow]


@dataclass(frozen=True, slots=True)
class AccountColumns:
    """The accounts of an `AccountsChunk` as columns, before any row object is made per
    account (the set-based loader writes them from here: making 10M `AccountRow`s with their
    datetimes, then spelling each time back as text, was about a sixth of the large demo's
    load). `rows()` gives the very rows `AccountsChunk` holds."""

    ids: NDArray[np.int64]
    handle: list[str]
    is_creator: NDArray[np.bool_]
    display_name: list[str]
    created: NDArray[np.int64]  # whole seconds since the epoch, UTC
    birth_year: NDArray[np.int64]
    gender: NDArray[np.object_]
    province: NDArray[np.object_]
    city: NDArray[np.object_]
    city_tier: NDArray[np.object_]
    spending_band: NDArray[np.object_]
    consent_personalisation: NDArray[np.bool_]
    consent_targeting: NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.ids)

    def kinds(self) -> NDArray[np.object_]:
        kinds: NDArray[np.object_] = np.where(self.is_creator, "creator", "fan").astype(object)
        return kinds

    def rows(self) -> list[AccountRow]:
        return list(
            map(
                AccountRow,
                self.ids.tolist(),
                self.handle,
                self.kinds().tolist(),
                self.display_name,
                [datetime.fromtimestamp(t, UTC) for t in self.created.tolist()],
                self.birth_year.tolist(),
                self.gender.tolist(),
                self.province.tolist(),
                self.city.tolist(),
                self.city_tier.tolist(),
                self.spending_band.tolist(),
                self.consent_personalisation.tolist(),
                self.consent_targeting.tolist(),
            )
        )


@dataclass(frozen=True, slots=True)
class VideosChunk:
    rows: list[VideoRow]


@dataclass(frozen=True, slots=True)
class InteractionsChunk:
    items: list[BulkItem]


@dataclass(frozen=True, slots=True)
class ColumnsChunk:
    """The interactions of an `InteractionsChunk` as arrays, before any Python object is made
    per item (the set-based loader writes them straight from here)."""

    events: Events
    where: Origins

    def __len__(self) -> int:
        return len(self.events)


Chunk = AccountsChunk | AccountColumns | VideosChunk | InteractionsChunk | ColumnsChunk
