"""The demo community generator: a seeded, reproducible stream of accounts, videos and
interactions, small enough in memory to make ten million accounts on a laptop.

The stream is, in order: every account (ids 1..N, creators among them), every video (ids
1..V, in publishing order), then exactly `size.interactions` interactions in time order over
the `size.days` days before `end`. Chunks hold at most CHUNK_ROWS rows or items.

Memory, beyond one or two chunks of Python objects at a time:

- 19 bytes an account (activity and interests, `Audience`);
- about 40 bytes a video (`Catalogue`), plus three float arrays of the catalogue's length
  while a day's feed is weighed;
- 8 bytes for each (account, video) ever liked and each (account, creator) ever followed
  (`PairSet`), which is what keeps likes and follows unique across the whole stream;
- about 30 bytes for each interaction of the current day, and those pending for later days.

For the large size (10 M accounts, 1 M videos, 50 M interactions) that comes to about 0.7 GB,
mostly the set of liked pairs; measured peak RSS was 0.9 GB for large and 0.4 GB for medium.
Nothing is read or drawn at import time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np

from plaudit.errors import InvalidInput
from plaudit.sim.accounts import account_chunks
from plaudit.sim.audience import Audience
from plaudit.sim.creators import draw_creators
from plaudit.sim.emit import Chunker
from plaudit.sim.engagement import Engagement
from plaudit.sim.records import (
    CHUNK_ROWS,
    Chunk,
    ColumnsChunk,
    CommunitySize,
    InteractionsChunk,
)
from plaudit.sim.rhythm import Clock
from plaudit.sim.timeline import Timeline
from plaudit.sim.videos import build_catalogue, video_chunks

__all__ = ["estimate_chunks", "generate"]


def estimate_chunks(size: CommunitySize) -> int:
    """How many chunks `generate` yields for `size` (exact unless a tiny community runs out of
    new pairs to like before reaching its total), for a progress bar."""
    return sum(-(-n // CHUNK_ROWS) for n in (size.accounts, size.videos, size.interactions))


def _end_seconds(end: datetime) -> int:
    if end.tzinfo is None or end.utcoffset() is None:
        raise InvalidInput("end must be an aware datetime (for example in UTC)", field="end")
    return int(end.timestamp())


def _streams(seed: int) -> list[np.random.Generator]:
    """Independent generators per stage, so a change in one stage leaves the others alone."""
    if seed < 0:
        raise InvalidInput(f"seed {seed} is negative; use 0 or a positive integer", field="seed")
    return np.random.default_rng(seed).spawn(5)


def generate(
    size: CommunitySize, seed: int, end: datetime, *, columns: bool = False
) -> Iterator[Chunk]:
    """Stream the community: accounts, then videos, then interactions ending before `end`.

    The same (size, seed, end) always yields the same stream. With `columns` the accounts
    come as `AccountColumns` instead of `AccountsChunk`s and the interactions as
    `ColumnsChunk`s (arrays) instead of `InteractionsChunk`s, holding the same rows.
    """
    end_ts = _end_seconds(end)
    for_creators, for_accounts, for_videos, for_likes, for_origins = _streams(seed)
    clock = Clock(end_ts, size.days)
    creators = draw_creators(for_creators, size)
    audience = Audience(size.accounts)
    year = end.astimezone(UTC).year
    yield from account_chunks(
        for_accounts, size, creators, audience, clock.start_ts, year, columns=columns
    )
    catalogue = build_catalogue(for_videos, size, creators, clock)
    yield from video_chunks(for_videos, catalogue)
    del creators
    engagement = Engagement(for_likes, audience, catalogue, clock, size.interactions)
    yield from _interactions(seed, for_origins, size, engagement, clock, columns)


def _interactions(
    seed: int,
    rng: np.random.Generator,
    size: CommunitySize,
    engagement: Engagement,
    clock: Clock,
    columns: bool,
) -> Iterator[InteractionsChunk | ColumnsChunk]:
    chunker = Chunker(seed, rng, clock.start_ts, size.interactions, columns=columns)
    for events in Timeline(engagement, clock, size.interactions).days():
        yield from chunker.feed(events)
    yield from chunker.flush()
