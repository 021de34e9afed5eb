"""Helpers shared by the sim tests: generate a community and keep it split by kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from plaudit.interactions.bulk_model import BulkItem
from plaudit.sim import (
    AccountRow,
    AccountsChunk,
    Chunk,
    CommunitySize,
    InteractionsChunk,
    VideoRow,
    VideosChunk,
    generate,
)

__all__ = ["END", "TINY", "Stream", "collect"]

END = datetime(2024, 6, 1, 4, 30, tzinfo=UTC)
TINY = CommunitySize("tiny", accounts=400, creators=12, videos=120, interactions=6_000, days=14)


@dataclass(frozen=True)
class Stream:
    """A generated community, split by kind, with the order its chunks came in."""

    size: CommunitySize
    end: datetime
    chunk_kinds: list[str]
    chunk_lengths: list[int]
    accounts: list[AccountRow]
    videos: list[VideoRow]
    items: list[BulkItem]


def collect(size: CommunitySize, seed: int, end: datetime = END) -> Stream:
    kinds: list[str] = []
    lengths: list[int] = []
    accounts: list[AccountRow] = []
    videos: list[VideoRow] = []
    items: list[BulkItem] = []
    for chunk in generate(size, seed, end):
        kinds.append(type(chunk).__name__)
        lengths.append(_length(chunk))
        if isinstance(chunk, AccountsChunk):
            accounts += chunk.rows
        elif isinstance(chunk, VideosChunk):
            videos += chunk.rows
        else:
            items += chunk.items
    return Stream(size, end, kinds, lengths, accounts, videos, items)


def _length(chunk: Chunk) -> int:
    return len(chunk.items) if isinstance(chunk, InteractionsChunk) else len(chunk.rows)
