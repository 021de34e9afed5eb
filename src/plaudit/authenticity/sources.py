"""Organic likes to inject attacks into: the synthetic community, or the KuaiRec graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from numpy.typing import NDArray

from plaudit.authenticity.attacks import DAY, Likes
from plaudit.errors import InvalidInput
from plaudit.sim import (
    AccountsChunk,
    Chunk,
    CommunitySize,
    InteractionsChunk,
    VideosChunk,
    generate,
)

__all__ = ["Keys", "LikeCollector", "kuairec_likes", "organic_times", "synthetic_likes"]

END = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class LikeCollector:
    """Gathers the likes of a stream of `plaudit.sim` chunks into `Likes`.

    It keeps the device keys and IP prefixes behind the integer codes (`device_keys`,
    `ip_prefixes`), so that likes injected later can be written back with real strings.
    """

    creator: dict[int, int] = field(default_factory=dict)
    account: list[int] = field(default_factory=list)
    video: list[int] = field(default_factory=list)
    ts: list[int] = field(default_factory=list)
    devices: list[str | None] = field(default_factory=list)
    ips: list[str | None] = field(default_factory=list)

    next_account: int = 0

    def __call__(self, chunk: Chunk) -> None:
        if isinstance(chunk, AccountsChunk):
            self.next_account = max(self.next_account, max(r.id for r in chunk.rows) + 1)
        elif isinstance(chunk, VideosChunk):
            self.creator.update((row.id, row.creator_id) for row in chunk.rows)
        elif isinstance(chunk, InteractionsChunk):
            for item in chunk.items:
                if item.kind == "like":
                    self.account.append(item.account_id)
                    self.video.append(item.target_id)
                    self.ts.append(int(item.at.timestamp()))
                    self.devices.append(item.device_key)
                    self.ips.append(item.ip_prefix)

    def likes(self) -> tuple[Likes, Keys]:
        creator = np.full(max(self.creator, default=0) + 1, -1, dtype=np.int64)
        creator[list(self.creator)] = list(self.creator.values())
        device, device_keys = _codes(self.devices)
        ip, ip_prefixes = _codes(self.ips)
        likes = Likes(
            account=np.array(self.account, dtype=np.int64),
            video=np.array(self.video, dtype=np.int64),
            ts=np.array(self.ts, dtype=np.int64),
            device=device,
            ip=ip,
            creator_of_video=creator,
            next_account=self.next_account,
        )
        return likes, Keys(device_keys, ip_prefixes)


@dataclass(frozen=True)
class Keys:
    """The strings behind device and IP codes; codes past the end are named by `device_key`
    and `ip_prefix` (an injection makes new devices and prefixes)."""

    devices: list[str]
    ips: list[str]

    def device_key(self, code: int) -> str | None:
        if code < 0:
            return None
        return self.devices[code] if code < len(self.devices) else f"attack-{code:08x}"

    def ip_prefix(self, code: int) -> str | None:
        if code < 0:
            return None
        if code < len(self.ips):
            return self.ips[code]
        k = code - len(self.ips)
        # 100.64.0.0/10 (shared address space) cannot clash with an organic public prefix.
        return f"100.{64 + (k >> 8) % 64}.{k % 256}.0/24"


def synthetic_likes(size: CommunitySize, seed: int, end: datetime = END) -> Likes:
    """The likes of a `plaudit.sim` community, with its devices, IP prefixes and creators."""
    collect = LikeCollector()
    for chunk in generate(size, seed=seed, end=end):
        collect(chunk)
    return collect.likes()[0]


def _codes(keys: list[str | None]) -> tuple[NDArray[np.int64], list[str]]:
    encoded = pa.array(keys, type=pa.string()).dictionary_encode()
    codes: NDArray[np.int64] = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return codes.astype(np.int64), encoded.dictionary.to_pylist()


def organic_times(
    video: NDArray[np.int64], rng: np.random.Generator, days: int = 60, end: datetime = END
) -> NDArray[np.int64]:
    """Organic-looking like times for data that has none (KuaiRec).

    Each video is published at a uniform time over `days` days and collects its likes after
    that with exponentially decaying interest (mean two days); each like then moves to a
    daytime hour, as most likes happen between 08:00 and 24:00.
    """
    start = int(end.timestamp()) - days * DAY
    published = start + rng.integers(0, days * DAY, int(video.max()) + 1)
    at = published[video] + rng.exponential(2 * DAY, len(video)).astype(np.int64)
    at = (at // DAY) * DAY + rng.integers(8 * 3600, DAY, len(video))
    return at.astype(np.int64)


def kuairec_likes(path: Path, seed: int, days: int = 60) -> Likes:
    """KuaiRec `user,video` pairs (no header, no times) with organic-looking times."""
    if not path.is_file():
        raise InvalidInput(
            f"{path}: no such file (KuaiRec shifted_logs.csv); it ships in the repository's "
            "data/kuairec folder: pass --kuairec PATH to it",
            field="kuairec",
        )
    table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(column_names=["user", "video"]))
    user = table.column("user").to_numpy().astype(np.int64)
    video = table.column("video").to_numpy().astype(np.int64)
    at = organic_times(video, np.random.default_rng(seed), days)
    none = np.full(len(user), -1, dtype=np.int64)
    return Likes(user, video, at, none, none.copy())
