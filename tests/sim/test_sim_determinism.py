"""The same (size, seed, end) always gives the same stream; anything else gives another."""

from __future__ import annotations

from datetime import timedelta

from tests.sim.streams import END, TINY, Stream, collect


def test_same_seed_same_stream(tiny: Stream) -> None:
    again = collect(TINY, seed=11)
    assert again.accounts == tiny.accounts
    assert again.videos == tiny.videos
    assert again.items == tiny.items


def test_another_seed_another_stream(tiny: Stream) -> None:
    other = collect(TINY, seed=12)
    assert other.accounts != tiny.accounts
    assert other.videos != tiny.videos
    assert other.items != tiny.items


def test_another_end_moves_the_window(tiny: Stream) -> None:
    later = collect(TINY, seed=11, end=END + timedelta(days=3))
    assert max(i.at for i in later.items) > max(i.at for i in tiny.items)
