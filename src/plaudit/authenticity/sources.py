"""Organic likes to inject attacks into: the synthetic community, or the KuaiRec graph."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from numpy.typing import NDArray

from plaudit.authenticity.attacks import DAY, Likes
from plaudit.errors import InvalidInput
from plaudit.sim import (
    AccountColumns,
    AccountsChunk,
    Chunk,
    ColumnsChunk,
    CommunitySize,
    InteractionsChunk,
    VideosChunk,
    generate,
)
from plaudit.sim.emit import device_keys, ip_prefixes
from plaudit.sim.events import LIKE

__all__ = [
    "Keys",
    "LikeCollector",
    "file_likes",
    "heavy_core_likes",
    "kuairec_likes",
    "organic_times",
    "review_dict_likes",
    "synthetic_likes",
]

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
        if isinstance(chunk, AccountColumns):  # the demo loader's accounts
            self.next_account = max(self.next_account, int(chunk.ids.max()) + 1)
        elif isinstance(chunk, AccountsChunk):
            self.next_account = max(self.next_account, max(r.id for r in chunk.rows) + 1)
        elif isinstance(chunk, VideosChunk):
            self.creator.update((row.id, row.creator_id) for row in chunk.rows)
        elif isinstance(chunk, ColumnsChunk):  # the demo loader's: arrays, spelled here
            likes = chunk.events.kind == LIKE
            self.account.extend(chunk.events.account[likes].tolist())
            self.video.extend(chunk.events.target[likes].tolist())
            self.ts.extend(chunk.events.t[likes].tolist())
            self.devices.extend(device_keys(chunk.where.device[likes]))
            self.ips.extend(ip_prefixes(chunk.where.prefix[likes]))
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


def heavy_core_likes(
    seed: int,
    accounts: int = 4000,
    videos: int = 1000,
    days: int = 60,
    end: datetime = END,
) -> Likes:
    """A community with a heavy core: the test a degree-blind null model fails.

    The top 5% of accounts each like 20-40% of the catalogue, in sessions of 20-100 likes
    within an hour, mostly in the evening; the others like a log-normal handful each, in
    sessions of 1-5. Every session picks among the videos already published, in proportion to
    their (Zipf) appeal times an exponential decay of mean three days since publication, so
    that organic accounts pile onto the same new popular videos in the same hours, as they do
    on a real feed. Heavy users x popular videos is dense here by construction, and organic.
    """
    rng = np.random.default_rng(seed)
    start = int(end.timestamp()) - days * DAY
    published = np.sort(start + rng.integers(0, days * DAY, videos))
    appeal = 1.0 / np.arange(1, videos + 1) ** 0.8
    rng.shuffle(appeal)
    heavy = max(1, accounts // 20)
    totals = np.concatenate(
        [
            (rng.uniform(0.2, 0.4, heavy) * videos).astype(np.int64),
            np.clip(rng.lognormal(2.3, 0.9, accounts - heavy), 1, videos // 10).astype(np.int64),
        ]
    )
    out_account: list[NDArray[np.int64]] = []
    out_video: list[NDArray[np.int64]] = []
    out_ts: list[NDArray[np.int64]] = []
    for account, total in enumerate(totals):
        size = (20, 101) if account < heavy else (1, 6)
        seen = np.zeros(videos, dtype=bool)
        left = int(total)
        while left > 0:
            k = min(left, int(rng.integers(*size)))
            day = int(rng.integers(1, days))
            hour = int(rng.choice(24, p=_HOURS))
            at = start + day * DAY + hour * 3600 + int(rng.integers(0, 3600))
            live = np.flatnonzero((published <= at) & ~seen)
            if len(live) == 0:
                break
            weight = appeal[live] * np.exp(-(at - published[live]) / (3 * DAY))
            weight = weight + 1e-3 * appeal[live]
            chosen = rng.choice(
                live, size=min(k, len(live)), replace=False, p=weight / weight.sum()
            )
            seen[chosen] = True
            offsets = np.sort(rng.integers(0, 3600, len(chosen)))
            out_account.append(np.full(len(chosen), account, dtype=np.int64))
            out_video.append(chosen.astype(np.int64))
            out_ts.append((at + offsets - offsets[0]).astype(np.int64))
            left -= len(chosen)
    order = rng.permutation(accounts)  # heavy users get no telltale small ids
    account_ids = order[np.concatenate(out_account)]
    none = np.full(len(account_ids), -1, dtype=np.int64)
    return Likes(
        account_ids.astype(np.int64),
        np.concatenate(out_video),
        np.concatenate(out_ts),
        none,
        none.copy(),
        next_account=accounts,
    )


_HOURS = np.array([2, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 5, 6, 5, 4, 4, 5, 6, 8, 9, 10, 9, 7, 4], float)
_HOURS = _HOURS / _HOURS.sum()
"""Share of sessions per hour of day (UTC): a late-evening peak, as on short-video apps."""


def review_dict_likes(path: Path, seed: int, bursty: bool, days: int = 90) -> Likes:
    """KuaiRec's fully observed small matrix (`review_dict_test.json`) with made-up times.

    The file holds `{user: [videos]}` and no times. `bursty=False` spreads every like
    uniformly over `days` days; `bursty=True` cuts each user's likes into sessions of 20-100
    likes made within one hour (at evening-weighted hours on random days): the heavy users
    of a real app like dozens of videos per session, which is not lockstep between accounts.
    """
    if not path.is_file():
        raise InvalidInput(
            f"{path}: no such file (KuaiRec review_dict_test.json); it ships in data/kuairec",
            field="input",
        )
    document = json.loads(path.read_text())
    rng = np.random.default_rng(seed)
    users = sorted(document, key=int)
    account = np.concatenate([np.full(len(document[u]), int(u), dtype=np.int64) for u in users])
    video = np.concatenate([np.asarray(document[u], dtype=np.int64) for u in users])
    start = int(END.timestamp()) - days * DAY
    if not bursty:
        ts = start + rng.integers(0, days * DAY, len(account))
    else:
        ts = np.empty(len(account), dtype=np.int64)
        at = 0
        for u in users:
            n = len(document[u])
            order = rng.permutation(n)
            done = 0
            while done < n:
                k = min(n - done, int(rng.integers(20, 101)))
                day = int(rng.integers(0, days))
                hour = int(rng.choice(24, p=_HOURS))
                begin = start + day * DAY + hour * 3600
                ts[at + order[done : done + k]] = begin + rng.integers(0, 3600, k)
                done += k
            at += n
    none = np.full(len(account), -1, dtype=np.int64)
    return Likes(account, video, ts.astype(np.int64), none, none.copy())


def file_likes(path: Path, seed: int) -> Likes:
    """Any interaction file as organic `Likes`: what `eval --input` injects into.

    A headed CSV or Parquet file with `account_id,video_id` and optionally `ts`,
    `device_id`, `ip`, `creator_id` (ids of any type: strings are dictionary-encoded into
    integer codes), or headerless `user,video` pairs. Without `ts`, likes get organic-looking
    times (`organic_times`).
    """
    from plaudit.authenticity.inject_file import headerless_pairs, read_table
    from plaudit.authenticity.table import encode

    if not path.is_file():
        raise InvalidInput(f"{path}: no such file", field="input")
    if path.suffix.lower() != ".parquet":
        pairs = headerless_pairs(path, seed)
        if pairs is not None:
            return pairs
    table = read_table(path)
    missing = [name for name in ("account_id", "video_id") if name not in table.column_names]
    if missing:
        raise InvalidInput(
            f"{path}: missing column(s) {', '.join(missing)}; give account_id,video_id"
            "[,ts][,device_id][,ip][,creator_id] with a header, or headerless user,video pairs",
            field="input",
        )
    if table.num_rows == 0:
        raise InvalidInput(f"{path}: no interactions (the file has no data rows)", field="input")
    if "ts" not in table.column_names:
        video_codes = pc.dictionary_encode(table.column("video_id")).combine_chunks()
        codes = video_codes.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        table = table.append_column(
            "ts", pa.array(organic_times(codes, np.random.default_rng(seed)))
        )
    coded = encode(table, source=str(path), csv=path.suffix.lower() != ".parquet")
    none = np.full(len(coded), -1, dtype=np.int64)
    creator = None
    if coded.creator is not None:
        creator = coded.creator.astype(np.int64)
    return Likes(
        account=coded.account.astype(np.int64),
        video=coded.video.astype(np.int64),
        ts=coded.ts,
        device=coded.device.astype(np.int64) if coded.device is not None else none,
        ip=coded.ip.astype(np.int64) if coded.ip is not None else none.copy(),
        creator_of_video=creator,
        next_account=coded.n_accounts,
    )
