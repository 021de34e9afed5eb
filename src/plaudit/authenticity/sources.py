"""Organic likes to inject attacks into: the synthetic community, or the KuaiRec graph."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from numpy.typing import NDArray

from plaudit.authenticity.attacks import DAY, Likes
from plaudit.errors import InvalidInput
from plaudit.sim import CommunitySize, InteractionsChunk, VideosChunk, generate

__all__ = ["kuairec_likes", "synthetic_likes"]

END = datetime(2026, 1, 1, tzinfo=UTC)


def synthetic_likes(size: CommunitySize, seed: int) -> Likes:
    """The likes of a `plaudit.sim` community, with its devices, IP prefixes and creators."""
    account: list[int] = []
    video: list[int] = []
    ts: list[int] = []
    device_keys: list[str | None] = []
    ip_keys: list[str | None] = []
    creator = np.full(size.videos + 1, -1, dtype=np.int64)
    for chunk in generate(size, seed=seed, end=END):
        if isinstance(chunk, VideosChunk):
            for row in chunk.rows:
                creator[row.id] = row.creator_id
        elif isinstance(chunk, InteractionsChunk):
            for item in chunk.items:
                if item.kind == "like":
                    account.append(item.account_id)
                    video.append(item.target_id)
                    ts.append(int(item.at.timestamp()))
                    device_keys.append(item.device_key)
                    ip_keys.append(item.ip_prefix)
    return Likes(
        account=np.array(account, dtype=np.int64),
        video=np.array(video, dtype=np.int64),
        ts=np.array(ts, dtype=np.int64),
        device=_codes(device_keys),
        ip=_codes(ip_keys),
        creator_of_video=creator,
    )


def _codes(keys: list[str | None]) -> NDArray[np.int64]:
    encoded = pa.array(keys, type=pa.string()).dictionary_encode()
    codes: NDArray[np.int64] = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return codes.astype(np.int64)


def kuairec_likes(path: Path, seed: int, days: int = 60) -> Likes:
    """KuaiRec `user,video` pairs (no header, no times) with organic-looking times.

    Each video is published at a uniform time over `days` days and collects its likes after
    that with exponentially decaying interest (mean two days); each like then moves to a
    daytime hour, as most likes happen between 08:00 and 24:00.
    """
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file (KuaiRec shifted_logs.csv)", field="kuairec")
    table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(column_names=["user", "video"]))
    user = table.column("user").to_numpy().astype(np.int64)
    video = table.column("video").to_numpy().astype(np.int64)
    rng = np.random.default_rng(seed)
    start = int(END.timestamp()) - days * DAY
    published = start + rng.integers(0, days * DAY, int(video.max()) + 1)
    at = published[video] + rng.exponential(2 * DAY, len(video)).astype(np.int64)
    at = (at // DAY) * DAY + rng.integers(8 * 3600, DAY, len(video))
    none = np.full(len(user), -1, dtype=np.int64)
    return Likes(user, video, at.astype(np.int64), none, none.copy())
