"""Turning time-ordered event arrays into `InteractionsChunk`s of `BulkItem`s, or into
`ColumnsChunk`s of arrays for the set-based loader (`plaudit.sim.setload`).

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
from plaudit.sim.records import CHUNK_ROWS, ColumnsChunk, InteractionsChunk
from plaudit.sim.rhythm import DAY
from plaudit.sim.texts import COMMENT_BODIES

__all__ = ["Chunker", "device_keys", "ip_prefixes", "time_stamps"]

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


def time_stamps(t: NDArray[np.int64]) -> list[datetime]:
    """Aware datetimes, one object per distinct second.

    NumPy turns timedelta64 into `timedelta` objects in C, and adding an aware epoch to an
    object array runs `datetime.__add__` in C too: six times faster than `fromtimestamp`.
    """
    seconds, inverse = np.unique(t, return_inverse=True)
    made = seconds.astype("timedelta64[s]").astype(object) + _EPOCH
    return list(made[inverse].tolist())


def device_keys(device: U64) -> list[str]:
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


def ip_prefixes(prefix: NDArray[np.int64]) -> list[str]:
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
        time_stamps(events.t),
        _SOURCE[where.web.astype(np.intp)].tolist(),
        device_keys(where.device),
        _AGENT[where.agent].tolist(),
        ip_prefixes(where.prefix),
        _optional(_BODY, events.kind == COMMENT, events.extra),
        _optional(_CHANNEL, events.kind == SHARE, events.extra),
    )
    items: list[BulkItem] = list(map(_make_item, zip(*columns, strict=True)))
    return items


class Chunker:
    """Cuts a time-ordered stream of event batches into chunks of exactly CHUNK_ROWS items
    (the last may be shorter), stopping for good after `limit` items.

    With `columns` the chunks are `ColumnsChunk`s (arrays), otherwise `InteractionsChunk`s;
    both draw the same random numbers in the same order, so they hold the same interactions.
    """

    def __init__(
        self,
        seed: int,
        rng: np.random.Generator,
        window_start: int,
        limit: int,
        *,
        columns: bool = False,
    ) -> None:
        self._seed = seed
        self._rng = rng
        self._window_start = window_start
        self.remaining = limit
        self._columns = columns
        self._buffer: list[tuple[Events, Origins]] = []
        self._buffered = 0

    def feed(self, events: Events) -> Iterator[InteractionsChunk | ColumnsChunk]:
        """Yield every chunk that fills up with `events` (already in time order)."""
        events = events.take(slice(0, self.remaining))
        self.remaining -= len(events)
        done = 0
        while done < len(events):
            upto = min(len(events), done + CHUNK_ROWS - self._buffered)
            self._buffer.append(self._decorate(events.take(slice(done, upto))))
            self._buffered += upto - done
            done = upto
            if self._buffered == CHUNK_ROWS:
                yield self._emit()

    def flush(self) -> Iterator[InteractionsChunk | ColumnsChunk]:
        if self._buffered:
            yield self._emit()

    def _emit(self) -> InteractionsChunk | ColumnsChunk:
        parts, self._buffer, self._buffered = self._buffer, [], 0
        if self._columns:
            events = Events.concat([e for e, _ in parts])
            where = Origins(*(np.concatenate(f) for f in zip(*(w for _, w in parts), strict=True)))
            return ColumnsChunk(events, where)
        with _collector_paused():
            return InteractionsChunk([item for e, w in parts for item in _items(e, w)])

    def _decorate(self, events: Events) -> tuple[Events, Origins]:
        n = len(events)
        day = (events.t - self._window_start) // DAY
        where = origins(self._seed, events.account, day, self._rng.random(n), self._rng.random(n))
        return events, where


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
