"""The interaction table the detectors read: integer-coded NumPy columns, one row a like.

Ids of any type (integers or strings) are dictionary-encoded into dense codes 0..n-1; the
original ids are kept once each (`account_ids`, `video_ids`) to write results. Nothing is
held as one Python object per interaction, which is what lets a scan read 20 M rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from plaudit.errors import InvalidInput

__all__ = ["REQUIRED", "Interactions", "encode", "from_arrays", "read_interactions"]

REQUIRED = ("account_id", "video_id", "ts")
OPTIONAL = ("device_id", "ip", "creator_id")

I32 = NDArray[np.int32]


@dataclass(frozen=True)
class Interactions:
    """Likes as parallel arrays; `device`, `ip` and `creator` are None when absent.

    `device` and `ip` are codes per row (-1 when the row has none; `ip` codes the /24
    prefix of IPv4 and the /48 of IPv6); `creator` maps a video code to the account code of
    its creator (-1 when that creator never liked anything).
    """

    account: I32
    video: I32
    ts: NDArray[np.int64]
    account_ids: NDArray[Any]
    video_ids: NDArray[Any]
    device: I32 | None = None
    ip: I32 | None = None
    creator: I32 | None = None

    @property
    def n_accounts(self) -> int:
        return len(self.account_ids)

    @property
    def n_videos(self) -> int:
        return len(self.video_ids)

    def __len__(self) -> int:
        return len(self.account)

    def without_creators(self) -> Interactions:
        return replace(self, creator=None)


def from_arrays(
    account: NDArray[Any],
    video: NDArray[Any],
    ts: NDArray[Any],
    *,
    device: NDArray[np.int64] | None = None,
    ip: NDArray[np.int64] | None = None,
    creator_of_video: NDArray[np.int64] | None = None,
) -> Interactions:
    """Build the table from integer id arrays; used by the simulator and tests.

    `device` and `ip` are integer codes per row, negative for none; `creator_of_video[v]` is
    the account id of the creator of video id `v` (negative when unknown).
    """
    columns: dict[str, Any] = {"account_id": account, "video_id": video, "ts": ts}
    if device is not None:
        columns["device_id"] = pa.array(device, mask=device < 0)
    if ip is not None:
        columns["ip"] = pa.array(ip, mask=ip < 0)
    if creator_of_video is not None:
        creators = creator_of_video[np.asarray(video)]
        columns["creator_id"] = pa.array(creators, mask=creators < 0)
    return encode(pa.table(columns))


def read_interactions(path: Path) -> Interactions:
    """Read a CSV or Parquet file of likes; InvalidInput names what is wrong and where."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file", field="input")
    table = _read_parquet(path) if path.suffix.lower() == ".parquet" else _read_csv(path)
    missing = [name for name in REQUIRED if name not in table.column_names]
    if missing:
        raise InvalidInput(
            f"{path}: missing column(s) {', '.join(missing)}; the file needs "
            f"{', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)})",
            field="input",
        )
    if table.num_rows == 0:
        raise InvalidInput(f"{path}: no interactions (the file has no data rows)", field="input")
    table = table.select([c for c in (*REQUIRED, *OPTIONAL) if c in table.column_names])
    return encode(table, source=str(path), csv=path.suffix.lower() != ".parquet")


def _read_csv(path: Path) -> pa.Table:
    strings = {name: pa.string() for name in ("device_id", "ip")}
    try:
        return pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(column_types=strings, strings_can_be_null=True),
        )
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            raise InvalidInput(f"{path}: the file is empty", field="input") from None
        raise InvalidInput(f"{path}: not a readable CSV file: {exc}", field="input") from None


def _read_parquet(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(f"{path}: not a readable Parquet file: {exc}", field="input") from None


def _codes(column: pa.ChunkedArray, name: str, source: str) -> tuple[I32, NDArray[Any]]:
    if column.null_count:
        row = int(pc.index(pc.is_null(column), True).as_py())
        raise InvalidInput(f"{source}: {name} is empty in data row {row + 1}", field=name)
    encoded = pc.dictionary_encode(column).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    return codes, encoded.dictionary.to_numpy(zero_copy_only=False)


def _optional_codes(column: pa.ChunkedArray) -> I32:
    encoded = pc.dictionary_encode(column).combine_chunks()
    codes: I32 = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    return codes


def _seconds(column: pa.ChunkedArray, source: str, csv: bool) -> NDArray[np.int64]:
    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        values = column
    elif pa.types.is_timestamp(kind):
        values = pc.cast(pc.cast(column, pa.timestamp("s", tz=kind.tz)), pa.int64())
    else:
        values = _parse_text_times(pa.table({"ts": pc.cast(column, pa.string())}))
    if values.null_count:
        row = int(pc.index(pc.is_null(values), True).as_py())
        line = f" (line {row + 2} of the file)" if csv else ""
        raw = column[row].as_py()
        raise InvalidInput(
            f"{source}: ts {raw!r} in data row {row + 1}{line} is neither Unix seconds nor "
            "ISO 8601",
            field="ts",
        )
    seconds: NDArray[np.int64] = values.to_numpy().astype(np.int64)
    return seconds


def _parse_text_times(table: pa.Table) -> pa.ChunkedArray:
    """Unix seconds or ISO 8601 (without an offset means UTC); null where neither."""
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone='UTC'")
        connection.register("raw", table)
        result = connection.sql(
            "SELECT coalesce(try_cast(ts AS BIGINT), "
            "CAST(epoch(try_cast(ts AS TIMESTAMPTZ)) AS BIGINT)) AS s FROM raw"
        ).to_arrow_table()
    finally:
        connection.close()
    return result.column("s")


def _ip_prefixes(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A file's addresses or prefixes as their /24 (IPv4) or first three IPv6 groups; integer
    codes (`from_arrays`: already one per network) as they are, which the regular
    expressions would leave unchanged anyway, after 16 M conversions to text."""
    if pa.types.is_integer(column.type):
        return column
    text = pc.utf8_trim_whitespace(pc.cast(column, pa.string()))
    v4 = pc.replace_substring_regex(text, r"^(\d+\.\d+\.\d+)\.\d+(/\d+)?$", r"\1")
    return pc.replace_substring_regex(v4, r"^([0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F]*):.*$", r"\1")


def encode(table: pa.Table, source: str = "input", csv: bool = False) -> Interactions:
    account, account_ids = _codes(table.column("account_id"), "account_id", source)
    video, video_ids = _codes(table.column("video_id"), "video_id", source)
    ts = _seconds(table.column("ts"), source, csv)
    names = table.column_names
    device = _optional_codes(table.column("device_id")) if "device_id" in names else None
    ip = _optional_codes(_ip_prefixes(table.column("ip"))) if "ip" in names else None
    creator = None
    if "creator_id" in names:
        creator = _creator_codes(table.column("creator_id"), account_ids, video, len(video_ids))
    return Interactions(account, video, ts, account_ids, video_ids, device, ip, creator)


def _creator_codes(column: pa.ChunkedArray, account_ids: NDArray[Any], video: I32, n: int) -> I32:
    dictionary = pa.array(account_ids)
    wanted = column if column.type == dictionary.type else pc.cast(column, dictionary.type)
    rows = pc.index_in(wanted, value_set=dictionary).fill_null(-1)
    per_row = rows.to_numpy().astype(np.int32)
    creator = np.full(n, -1, dtype=np.int32)
    creator[video] = per_row
    return creator
