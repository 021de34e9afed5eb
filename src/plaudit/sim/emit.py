"""Turning time-ordered event arrays into `InteractionsChunk`s of `BulkItem`s.

Building Python objects is the slowest part of the generator, so every column is made with
one vectorised step or one comprehension per chunk: strings shared by many items (kinds,
user agents, bodies) come from indexing object arrays, and each distinct second becomes one
`datetime` however many items share it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache, partial

import numpy as np
from numpy.typing import NDArray

from plaudit.interactions.bulk_model import KINDS, BulkItem
from plaudit.interactions.model import SHARE_CHANNELS
from plaudit.sim.devices import USER_AGENTS, Origins, origins
from plaudit.sim.events import COMMENT, SHARE, Events
from plaudit.sim.hashing import U64
from plaudit.sim.records import CHUNK_ROWS, InteractionsChunk
from plaudit.sim.rhythm import DAY
from plaudit.sim.texts import COMMENT_BODIES

__all__ = ["Chunker"]

_KIND = np.array(KINDS, dtype=object)
_AGENT = np.array(USER_AGENTS, dtype=object)
_SOURCE = np.array(["app", "web"], dtype=object)
_BODY = np.array([None, *COMMENT_BODIES], dtype=object)
_CHANNEL = np.array([None, *SHARE_CHANNELS], dtype=object)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DEV = np.frombuffer(b"dev-", dtype=np.uint8)
_NIBBLE_SHIFTS = np.arange(44, -1, -4, dtype=np.uint64)
# A NamedTuple's own __new__ is a Python function; making the tuple subclass directly is
# 1.6x faster and gives the same BulkItem (as `BulkItem._make` does, without its checks).
_make_item = partial(tuple.__new__, BulkItem)


def _stamps(t: NDArray[np.int64]) -> list[datetime]:
    """Aware datetimes, one object per distinct second.

    NumPy turns timedelta64 into `timedelta` objects in C, and adding an aware epoch to an
    object array runs `datetime.__add__` in C too: six times faster than `fromtimestamp`.
    """
    seconds, inverse = np.unique(t, return_inverse=True)
    made = seconds.astype("timedelta64[s]").astype(object) + _EPOCH
    return list(made[inverse].tolist())


def _device_keys(device: U64) -> list[str]:
    """Spell each key as "dev-" and 12 hex digits, with array operations."""
    nibbles = (device[:, None] >> _NIBBLE_SHIFTS) & np.uint64(15)
    spelled = np.empty((len(device), 16), dtype=np.uint8)
    spelled[:, :4] = _DEV
    spelled[:, 4:] = _HEX[nibbles.astype(np.intp)]
    return [key.decode() for key in spelled.view("S16").ravel().tolist()]


@cache
def _octet_tables() -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """Strings "a." for each first octet and "b.c.0/24" for each pair of the next two
    (4 MB, built on first use rather than at import)."""
    first = np.array([f"{a}." for a in range(256)], dtype=object)
    rest = np.array([f"{b}.{c}.0/24" for b in range(256) for c in range(256)], dtype=object)
    return first, rest


def _prefixes(prefix: NDArray[np.int64]) -> list[str]:
    """Spell each prefix as "a.b.c.0/24": one string concatenation each, done in C."""
    first, rest = _octet_tables()
    return list((first[prefix >> 16] + rest[prefix & 0xFFFF]).tolist())


def _optional(
    table: NDArray[np.object_], mask: NDArray[np.bool_], extra: NDArray[np.int32]
) -> list[str | None]:
    """table[extra + 1] where `mask`, else table[0] (None): bodies and channels."""
    return list(table[np.where(mask, extra + 1, 0)].tolist())


def _items(events: Events, where: Origins) -> list[BulkItem]:
    """BulkItems for a batch of at most CHUNK_ROWS events."""
    columns = (
        _KIND[events.kind].tolist(),
        events.account.tolist(),
        events.target.tolist(),
        _stamps(events.t),
        _SOURCE[where.web.astype(np.intp)].tolist(),
        _device_keys(where.device),
        _AGENT[where.agent].tolist(),
        _prefixes(where.prefix),
        _optional(_BODY, events.kind == COMMENT, events.extra),
        _optional(_CHANNEL, events.kind == SHARE, events.extra),
    )
    items: list[BulkItem] = list(map(_make_item, zip(*columns, strict=True)))
    return items


class Chunker:
    """Cuts a time-ordered stream of event batches into chunks of exactly CHUNK_ROWS items
    (the last may be shorter), stopping for good after `limit` items."""

    def __init__(self, seed: int, rng: np.random.Generator, window_start: int, limit: int) -> None:
        self._seed = seed
        self._rng = rng
        self._window_start = window_start
        self.remaining = limit
        self._buffer: list[BulkItem] = []

    def feed(self, events: Events) -> Iterator[InteractionsChunk]:
        """Yield every chunk that fills up with `events` (already in time order)."""
        events = events.take(slice(0, self.remaining))
        self.remaining -= len(events)
        done = 0
        while done < len(events):
            upto = min(len(events), done + CHUNK_ROWS - len(self._buffer))
            self._buffer.extend(self._decorate(events.take(slice(done, upto))))
            done = upto
            if len(self._buffer) == CHUNK_ROWS:
                yield InteractionsChunk(self._buffer)
                self._buffer = []

    def flush(self) -> Iterator[InteractionsChunk]:
        if self._buffer:
            yield InteractionsChunk(self._buffer)
            self._buffer = []

    def _decorate(self, events: Events) -> list[BulkItem]:
        n = len(events)
        day = (events.t - self._window_start) // DAY
        where = origins(self._seed, events.account, day, self._rng.random(n), self._rng.random(n))
        with _collector_paused():
            return _items(events, where)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a chunk's objects are built.

    Half a million new objects a chunk trigger hundreds of collections that find nothing
    (items hold no cycles), which measured at more than half the cost of building them.
    Collection is only deferred: it resumes, as it was, when the chunk is built.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
