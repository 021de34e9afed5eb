"""Inject attacks into a real interaction file: `plaudit authenticity inject`.

The input is either a headed CSV or Parquet file with integer `account_id,video_id` and
optionally `ts`, `device_id`, `ip`, `creator_id` (the scan's format), or a headerless CSV of
`user,video` pairs such as KuaiRec's `shifted_logs.csv`. Files without times get
organic-looking ones (`sources.organic_times`). The output is a CSV the scan reads
(`account_id,video_id,ts` plus `device_id`, `ip`, `creator_id` when known), and the
ground truth goes to a JSON file beside it (`truth.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from plaudit.authenticity.attacks import Attack, Likes, inject_all
from plaudit.authenticity.sources import Keys, organic_times
from plaudit.authenticity.table import read_interactions
from plaudit.authenticity.truth import write_truth
from plaudit.errors import InvalidInput

__all__ = ["headerless_pairs", "inject_file", "read_organic", "read_table", "write_likes"]


def inject_file(
    source: Path, output: Path, truth: Path, attacks: list[Attack], seed: int
) -> tuple[int, int]:
    """Read, inject, write the likes and the truth; (likes before, likes after)."""
    organic, keys = read_organic(source, seed)
    likes, truths = inject_all(organic, attacks, seed)
    write_likes(output, likes, keys)
    write_truth(truth, len(organic), likes, attacks, truths, seed)
    return len(organic), len(likes)


def read_organic(path: Path, seed: int) -> tuple[Likes, Keys]:
    """The likes of `path` with integer ids; InvalidInput names what is wrong."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file", field="input")
    if path.suffix.lower() != ".parquet" and _headerless(path):
        return _pairs(path, seed)
    table = read_table(path)
    for name in ("account_id", "video_id"):
        if name not in table.column_names:
            raise InvalidInput(
                f"{path}: missing column {name}; give account_id,video_id[,ts,device_id,ip,"
                "creator_id] with a header, or headerless user,video pairs",
                field="input",
            )
    account = _integers(table, "account_id", path)
    video = _integers(table, "video_id", path)
    # With times, the scan's own parser (Unix seconds or ISO 8601); without, organic ones.
    if "ts" in table.column_names:
        ts = read_interactions(path).ts
    else:
        ts = organic_times(video, np.random.default_rng(seed))
    device, devices = _codes(table, "device_id")
    ip, ips = _codes(table, "ip")
    creator = None
    if "creator_id" in table.column_names:
        creator = np.full(int(video.max()) + 1, -1, dtype=np.int64)
        creator[video] = _integers(table, "creator_id", path)
    likes = Likes(account, video, ts, device, ip, creator)
    return likes, Keys(devices, ips)


def write_likes(path: Path, likes: Likes, keys: Keys) -> None:
    """The CSV `plaudit authenticity scan --input` reads."""
    columns: dict[str, pa.Array] = {
        "account_id": pa.array(likes.account),
        "video_id": pa.array(likes.video),
        "ts": pa.array(likes.ts),
    }
    if (likes.device >= 0).any():
        columns["device_id"] = _names(likes.device, keys.device_key)
    if (likes.ip >= 0).any():
        columns["ip"] = _names(likes.ip, keys.ip_prefix)
    if likes.creator_of_video is not None:
        creator = likes.creator_of_video[likes.video]
        columns["creator_id"] = pa.array(creator, mask=creator < 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(pa.table(columns), path)


def _names(codes: NDArray[np.int64], name: Callable[[int], str | None]) -> pa.Array:
    unique, inverse = np.unique(codes, return_inverse=True)
    spelled = [name(int(c)) for c in unique]
    return pa.array([spelled[i] for i in inverse], type=pa.string())


def _headerless(path: Path) -> bool:
    with path.open() as handle:
        first = handle.readline()
    return bool(first.strip()) and first.split(",")[0].strip().lstrip("-").isdigit()


def _pairs(path: Path, seed: int) -> tuple[Likes, Keys]:
    try:
        table = pacsv.read_csv(
            path, read_options=pacsv.ReadOptions(column_names=["account_id", "video_id"])
        )
    except pa.ArrowInvalid as exc:
        raise InvalidInput(f"{path}: not a CSV of user,video pairs: {exc}", field="input") from None
    account = _integers(table, "account_id", path)
    video = _integers(table, "video_id", path)
    ts = organic_times(video, np.random.default_rng(seed))
    none = np.full(len(account), -1, dtype=np.int64)
    return Likes(account, video, ts, none, none.copy()), Keys([], [])


def headerless_pairs(path: Path, seed: int) -> Likes | None:
    """The likes of a headerless `user,video` CSV (with organic times), or None if headed."""
    return _pairs(path, seed)[0] if _headerless(path) else None


def read_table(path: Path) -> pa.Table:
    try:
        if path.suffix.lower() == ".parquet":
            return pq.read_table(path)
        strings = {name: pa.string() for name in ("device_id", "ip")}
        options = pacsv.ConvertOptions(column_types=strings, strings_can_be_null=True)
        return pacsv.read_csv(path, convert_options=options)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(
            f"{path}: not a readable CSV or Parquet file: {exc}", field="input"
        ) from None


def _integers(table: pa.Table, name: str, path: Path) -> NDArray[np.int64]:
    column = table.column(name)
    if column.null_count:
        row = int(pc.index(pc.is_null(column), True).as_py())
        raise InvalidInput(f"{path}: {name} is empty in data row {row + 1}", field=name)
    if not pa.types.is_integer(column.type):
        raise InvalidInput(
            f"{path}: {name} must be integer ids to inject into (found {column[0].as_py()!r} "
            f"in data row 1, type {column.type})",
            field=name,
        )
    values: NDArray[np.int64] = column.to_numpy().astype(np.int64)
    return values


def _codes(table: pa.Table, name: str) -> tuple[NDArray[np.int64], list[str]]:
    if name not in table.column_names:
        return np.full(table.num_rows, -1, dtype=np.int64), []
    encoded = pc.dictionary_encode(pc.cast(table.column(name), pa.string())).combine_chunks()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, [str(v) for v in encoded.dictionary.to_pylist()]
