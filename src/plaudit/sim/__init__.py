"""Synthetic demo communities: a pure, seeded generator the demo loader writes to the store.

for chunk in generate(SIZES["small"], seed=7, end=datetime.now(UTC)):
    ...  # AccountsChunk, then VideosChunk, then InteractionsChunk, each a batch of rows
"""

from plaudit.sim.community import estimate_chunks, generate
from plaudit.sim.records import (
    CHUNK_ROWS,
    SIZES,
    AccountColumns,
    AccountRow,
    AccountsChunk,
    Chunk,
    ColumnsChunk,
    CommunitySize,
    InteractionsChunk,
    VideoRow,
    VideosChunk,
    size_named,
)

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
    "estimate_chunks",
    "generate",
    "size_named",
]
