"""Exports for analysts and activation systems: the tag table as Parquet, segments as Roaring.

The Parquet file has one row per account with targeting consent: `account_id` (int64), `age`
(int16, null when unknown) and `tags` (list of tag ids). A segment exports as one bitmap in
the portable Roaring serialization (ClickHouse `groupBitmap`, Doris `BITMAP`, Java and Go
RoaringBitmap read it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pyroaring import BitMap

from plaudit.persona.index import TagIndex
from plaudit.persona.taxonomy import TAGS

__all__ = ["tag_table", "write_bitmap", "write_parquet"]


def _ids(bitmap: BitMap) -> np.ndarray:
    return np.frombuffer(bitmap.to_array(), dtype=np.uint32).astype(np.int64)


def tag_table(index: TagIndex) -> pa.Table:
    """The tag table, built column-wise from the bitmaps (no Python object per account)."""
    accounts = _ids(index.universe)
    member_ids, member_tags = [], []
    for number, tag in enumerate(TAGS):
        ids = _ids(index.tag(tag.id))
        member_ids.append(ids)
        member_tags.append(np.full(len(ids), number, dtype=np.int32))
    ids = np.concatenate(member_ids) if member_ids else np.empty(0, np.int64)
    codes = np.concatenate(member_tags) if member_tags else np.empty(0, np.int32)
    order = np.lexsort((codes, ids))
    rows = np.searchsorted(accounts, ids[order])
    offsets = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(accounts)))])
    names = pa.array([t.id for t in TAGS], type=pa.string())
    values = pa.DictionaryArray.from_arrays(pa.array(codes[order]), names).cast(pa.string())
    tags = pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values)
    age = np.full(len(accounts), -1, dtype=np.int16)
    for years, bitmap in index.ages.items():
        age[np.searchsorted(accounts, _ids(bitmap))] = years
    return pa.table(
        {
            "account_id": pa.array(accounts),
            "age": pa.array(age, mask=age < 0),
            "tags": tags,
        }
    )


def write_parquet(index: TagIndex, path: Path) -> int:
    table = tag_table(index)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return int(table.num_rows)


def write_bitmap(bitmap: BitMap, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bitmap.serialize())
    return len(bitmap)
