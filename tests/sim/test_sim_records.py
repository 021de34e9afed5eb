"""Sizes, validation of custom sizes, the chunk estimate and the public surface."""

from __future__ import annotations

from datetime import datetime

import pytest

import plaudit.sim
from plaudit.errors import InvalidInput
from plaudit.sim import (
    CHUNK_ROWS,
    SIZES,
    AccountsChunk,
    CommunitySize,
    estimate_chunks,
    generate,
    size_named,
)
from tests.sim.streams import END, TINY, Stream


def test_public_surface_is_pinned() -> None:
    assert sorted(plaudit.sim.__all__) == sorted(
        [
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
            "estimate_chunks",
            "generate",
            "size_named",
        ]
    )


def test_named_sizes_match_the_brief() -> None:
    assert [(s.accounts, s.interactions) for s in SIZES.values()] == [
        (10_000, 200_000),
        (1_000_000, 20_000_000),
        (10_000_000, 50_000_000),
    ]
    for size in SIZES.values():
        assert size.creators == size.accounts // 50
        assert size.creators <= size.videos <= 10 * size.creators
        assert size.days == 90


def test_size_named_lists_the_choices() -> None:
    assert size_named("medium") is SIZES["medium"]
    with pytest.raises(InvalidInput, match="small, medium, large"):
        size_named("huge")


@pytest.mark.parametrize(
    ("accounts", "creators", "videos", "interactions", "days"),
    [(10, 0, 5, 1, 1), (10, 10, 20, 1, 1), (10, 2, 1, 1, 1), (10, 2, 5, -1, 1), (10, 2, 5, 1, 0)],
)
def test_impossible_sizes_are_refused(
    accounts: int, creators: int, videos: int, interactions: int, days: int
) -> None:
    with pytest.raises(InvalidInput):
        CommunitySize("bad", accounts, creators, videos, interactions, days)


def test_naive_end_and_negative_seed_are_refused() -> None:
    with pytest.raises(InvalidInput, match="aware"):
        next(generate(TINY, 1, datetime(2024, 1, 1)))
    with pytest.raises(InvalidInput, match="seed"):
        next(generate(TINY, -1, END))


def test_estimate_is_the_chunk_count(community: Stream) -> None:
    assert len(community.chunk_kinds) == estimate_chunks(community.size)
    assert max(community.chunk_lengths) <= CHUNK_ROWS


def test_chunks_come_accounts_then_videos_then_interactions(community: Stream) -> None:
    order = {"AccountsChunk": 0, "VideosChunk": 1, "InteractionsChunk": 2}
    ranks = [order[kind] for kind in community.chunk_kinds]
    assert ranks == sorted(ranks)
    assert set(ranks) == {0, 1, 2}


def test_only_the_last_chunk_of_a_stage_is_short(small: Stream) -> None:
    interactions = [
        n
        for kind, n in zip(small.chunk_kinds, small.chunk_lengths, strict=True)
        if kind == "InteractionsChunk"
    ]
    assert interactions == [CHUNK_ROWS] * 4


def test_a_large_community_streams_lazily() -> None:
    """The first chunk of the medium size comes at once: nothing is built ahead."""
    first = next(generate(SIZES["medium"], 3, END))
    assert isinstance(first, AccountsChunk)
    assert len(first.rows) == CHUNK_ROWS
    assert first.rows[-1].id == CHUNK_ROWS
