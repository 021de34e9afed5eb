"""The generator running ahead in its own process yields the stream `generate` yields."""

from __future__ import annotations

import multiprocessing
from dataclasses import fields
from datetime import UTC, datetime

import numpy as np
import pytest

from plaudit.errors import InvalidInput
from plaudit.sim.ahead import generate_ahead
from plaudit.sim.community import generate
from plaudit.sim.records import AccountsChunk, ColumnsChunk, VideosChunk
from tests.sim.test_sim_setload import COMMUNITY

END = datetime(2026, 11, 1, tzinfo=UTC)


def _same(a: object, b: object) -> None:
    assert type(a) is type(b)
    if isinstance(a, AccountsChunk | VideosChunk):
        assert isinstance(b, AccountsChunk | VideosChunk)
        assert a.rows == b.rows
        return
    assert isinstance(a, ColumnsChunk)
    assert isinstance(b, ColumnsChunk)
    for field in fields(a.events):
        assert np.array_equal(getattr(a.events, field.name), getattr(b.events, field.name))
    for x, y in zip(a.where, b.where, strict=True):
        assert np.array_equal(x, y)


def test_the_stream_made_ahead_is_the_stream_made_here() -> None:
    here = list(generate(COMMUNITY, 9, END, columns=True))
    ahead = list(generate_ahead(COMMUNITY, 9, END))
    assert len(ahead) == len(here)
    assert sum(isinstance(c, ColumnsChunk) for c in here) >= 3  # interactions over chunks
    for a, b in zip(ahead, here, strict=True):
        _same(a, b)


def test_an_error_in_the_generator_is_raised_in_the_loader() -> None:
    with pytest.raises(InvalidInput, match="seed -1 is negative"):
        next(generate_ahead(COMMUNITY, -1, END))


def test_stopping_early_stops_the_child() -> None:
    stream = generate_ahead(COMMUNITY, 9, END)
    assert isinstance(next(stream), AccountsChunk)
    assert _generators()
    stream.close()  # what the loader does when a load fails: no process is left behind
    assert not _generators()


def _generators() -> list[str]:
    return [p.name for p in multiprocessing.active_children() if "demo-generator" in p.name]
