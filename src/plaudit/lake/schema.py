"""The lake's tables: their columns and Parquet types, declared once.

Times are `timestamp[us, UTC]`; `day` is the UTC day a row is partitioned under. Columns that
would identify a person outside the platform are absent (IP prefixes, device keys, handles)
or keyed hashes (`device`, `network`), as the ledger does with its commitments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

__all__ = [
    "ACCOUNTS",
    "CAMPAIGN_LIKES",
    "COMPLETIONS",
    "DEVICES",
    "INTERACTIONS",
    "PROFILES",
    "SCHEMAS",
    "SNAPSHOT_TABLES",
    "VIDEOS",
    "TableSchema",
]

TIME = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class TableSchema:
    """A table's columns; a TIME column is filled from the row's `<name>_us` integer."""

    name: str
    columns: tuple[tuple[str, pa.DataType], ...]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]

    @property
    def arrow(self) -> pa.Schema:
        return pa.schema(list(self.columns))

    def source_key(self, column: str, kind: pa.DataType) -> str:
        return f"{column}_us" if kind == TIME else column

    def type_of(self, column: str) -> pa.DataType:
        return dict(self.columns)[column]

    def to_arrays(self, columns: Mapping[str, Sequence[Any]]) -> list[pa.Array]:
        return [
            pa.array(values, pa.int64()).cast(TIME)
            if self.type_of(name) == TIME
            else pa.array(values, self.type_of(name))
            for name, values in columns.items()
        ]

    def rows_to_columns(
        self, rows: Sequence[Mapping[str, Any]], names: Sequence[str]
    ) -> dict[str, list[Any]]:
        """Columns `names` of rows whose TIME columns are `<name>_us` integers."""
        keys = {name: self.source_key(name, self.type_of(name)) for name in names}
        return {name: [row[key] for row in rows] for name, key in keys.items()}


INTERACTIONS = TableSchema(
    "interactions",
    (
        ("seq", pa.int64()),
        ("kind", pa.string()),
        ("ref_id", pa.int64()),
        ("account_id", pa.int64()),
        ("target_id", pa.int64()),
        ("at", TIME),
        ("source", pa.string()),
        ("device", pa.string()),
        ("network", pa.string()),
        ("day", pa.string()),
    ),
)
CAMPAIGN_LIKES = TableSchema(
    "campaign_likes",
    (
        ("seq", pa.int64()),
        ("like_id", pa.int64()),
        ("campaign_id", pa.int64()),
        ("account_id", pa.int64()),
        ("video_id", pa.int64()),
        ("campaign_day", pa.string()),
        ("at", TIME),
        ("day", pa.string()),
    ),
)
PROFILES = TableSchema(
    "profiles",
    (
        ("account_id", pa.int64()),
        ("birth_year", pa.int16()),
        ("gender", pa.string()),
        ("province", pa.string()),
        ("city_tier", pa.string()),
        ("spending_band", pa.string()),
        ("consent_personalisation", pa.bool_()),
        ("consent_targeting", pa.bool_()),
        ("updated_at", TIME),
        ("city", pa.string()),  # added for persona's city tags; columns only ever append
    ),
)
COMPLETIONS = TableSchema(
    "completions",
    (
        ("id", pa.int64()),
        ("campaign_id", pa.int64()),
        ("account_id", pa.int64()),
        ("ordinal", pa.int32()),
        ("status", pa.string()),
        ("amount_fen", pa.int64()),
        ("created_at", TIME),
        ("settled_at", TIME),
    ),
)
VIDEOS = TableSchema(
    "videos",
    (("video_id", pa.int64()), ("creator_id", pa.int64()), ("category", pa.string())),
)
ACCOUNTS = TableSchema(
    "accounts",
    (("account_id", pa.int64()), ("kind", pa.string()), ("created_at", TIME)),
)
"""Every account (deleted ones too, their id still taken): persona's roles and tenure."""
DEVICES = TableSchema("devices", (("device", pa.string()), ("device_class", pa.string())))
"""Every device by the keyed hash `interactions.device` uses, with the class persona's device
tags need (ios, android, harmonyos, tablet, web), never its user agent or key."""
SCHEMAS = {
    t.name: t
    for t in (INTERACTIONS, CAMPAIGN_LIKES, PROFILES, COMPLETIONS, VIDEOS, ACCOUNTS, DEVICES)
}
SNAPSHOT_TABLES = (PROFILES.name, COMPLETIONS.name, VIDEOS.name, ACCOUNTS.name, DEVICES.name)
"""Tables rewritten whole by each export (their rows change); the others only grow."""
