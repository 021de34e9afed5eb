"""`export_lake`: copy what the ledger holds, and the facts beside it, into the lake.

Events are exported up to the ledger's integrated size: below it the sequence is dense and
final (an event with a smaller seq can no longer commit), so a watermark on `seq` never skips
one that committed late. Each chunk of the sequence becomes one Parquet file per day it
touches, named by its seq range; profiles and campaign completions change in place, so each
export writes a fresh snapshot of them and drops the previous one after the new manifest is
saved. Nothing is exported twice: the next export starts at the manifest's `through_seq`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from plaudit.errors import StorageError
from plaudit.interactions.model import is_public_prefix
from plaudit.lake.location import Location
from plaudit.lake.manifest import Manifest, PartFile
from plaudit.lake.schema import (
    ACCOUNTS,
    CAMPAIGN_LIKES,
    COMPLETIONS,
    DEVICES,
    INTERACTIONS,
    PROFILES,
    SNAPSHOT_TABLES,
    TIME,
    VIDEOS,
    TableSchema,
)
from plaudit.persona.devices import device_class
from plaudit.store import Database
from plaudit.store import lake as sql
from plaudit.store.ledger import LedgerSQL

__all__ = ["ExportReport", "export_lake"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ExportReport:
    """What one export added."""

    location: str
    from_seq: int
    through_seq: int
    files: int
    profiles: int
    completions: int
    leftovers_removed: int

    @property
    def events(self) -> int:
        return self.through_seq - self.from_seq

    def line(self) -> str:
        if not self.events:
            head = f"lake {self.location}: no new events (through seq {self.through_seq})"
        else:
            head = (
                f"lake {self.location}: {self.events:,} events exported (seq {self.from_seq}"
                f"..{self.through_seq - 1}) in {self.files} files"
            )
        tail = f"; snapshots of {self.profiles:,} profiles, {self.completions:,} completions"
        removed = (
            f"; {self.leftovers_removed} files of an interrupted export removed"
            if self.leftovers_removed
            else ""
        )
        return head + tail + removed


class _Hasher:
    """Keyed hashes of devices and networks: the same value groups, nothing reveals it."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._seen: dict[tuple[str, Any], str] = {}

    def __call__(self, label: str, value: Any) -> str | None:
        if value is None:
            return None
        cached = self._seen.get((label, value))
        if cached is None:
            message = f"{label}\0{value}".encode()
            cached = hmac.new(self._key, message, hashlib.sha256).hexdigest()[:16]
            self._seen[(label, value)] = cached
        return cached


def export_lake(
    db: Database,
    url: str,
    key: bytes,
    *,
    chunk: int = 500_000,
    progress: Progress | None = None,
) -> ExportReport:
    """Export everything new since the lake's watermark; see the module docstring."""
    location = Location.of(url)
    manifest = Manifest.load(location)
    removed = _remove_leftovers(location, manifest)
    with db.read() as conn:
        size = LedgerSQL(conn).state()[0]
    start, hasher = manifest.through_seq, _Hasher(key)
    added: list[tuple[str, PartFile]] = []
    for lo in range(start, size, chunk):
        hi = min(lo + chunk, size)
        added += _export_chunk(db, location, hasher, lo, hi)
        if progress is not None:
            progress(hi - start, size - start)
    old_snapshots = {name: manifest.files(name) for name in SNAPSHOT_TABLES}
    snapshot_id = f"{manifest.exports + 1:06d}"
    profiles, completions = _snapshots(db, location, hasher, snapshot_id, manifest)
    for table, part in added:
        manifest.tables.setdefault(table, []).append(part)
    manifest.through_seq = max(size, start)
    manifest.exports += 1
    manifest.exported_at = datetime.now(UTC).isoformat()
    manifest.save(location)
    for parts in old_snapshots.values():  # only now: the saved manifest no longer names them
        for part in parts:
            location.delete(part.path)
    return ExportReport(
        url, start, manifest.through_seq, len(added), profiles, completions, removed
    )


def _remove_leftovers(location: Location, manifest: Manifest) -> int:
    """Delete files an interrupted export wrote but never listed in the manifest."""
    known = manifest.all_paths()
    leftovers = [
        path
        for table in (INTERACTIONS.name, CAMPAIGN_LIKES.name, *SNAPSHOT_TABLES)
        for path in location.files_under(table)
        if path not in known
    ]
    for path in leftovers:
        location.delete(path)
    return len(leftovers)


def _export_chunk(
    db: Database, location: Location, hasher: _Hasher, lo: int, hi: int
) -> list[tuple[str, PartFile]]:
    with db.read() as conn:
        events = sql.events_between(conn, lo, hi)
        incentivised = sql.campaign_likes_between(conn, lo, hi)
    if len(events) != hi - lo:
        raise StorageError(
            f"events {lo}..{hi - 1}: {len(events)} rows found for {hi - lo} sequence numbers; "
            "an event kind the lake does not know, or a row missing behind an event"
        )
    written = _write_days(location, INTERACTIONS, _event_table(events, hasher), lo, hi)
    rows = [row._asdict() for row in incentivised]
    likes = _rows_table(CAMPAIGN_LIKES, rows, dated=True)
    return written + _write_days(location, CAMPAIGN_LIKES, likes, lo, hi)


def _times(values: Sequence[Any]) -> pa.Array:
    """UTC timestamps from the driver's values: SQLite's UTC text or aware datetimes."""
    if values and isinstance(values[0], str):
        return pa.array(values, pa.string()).cast(pa.timestamp("us")).cast(TIME)
    return pa.array(values, TIME)


def _event_table(rows: Sequence[tuple[Any, ...]], hasher: _Hasher) -> pa.Table:
    empty: tuple[Any, ...] = ()
    columns = dict(zip(sql.EVENT_COLUMNS, zip(*rows, strict=True), strict=True)) if rows else {}

    def get(name: str) -> tuple[Any, ...]:
        return columns.get(name, empty)

    at = _times(get("at"))
    return pa.table(
        {
            "seq": pa.array(get("seq"), pa.int64()),
            "kind": pa.array(get("kind"), pa.string()),
            "ref_id": pa.array(get("ref_id"), pa.int64()),
            "account_id": pa.array(get("account_id"), pa.int64()),
            "target_id": pa.array(get("target_id"), pa.int64()),
            "at": at,
            "source": pa.array(get("source"), pa.string()),
            "device": pa.array([hasher("device", v) for v in get("device_id")], pa.string()),
            "network": pa.array([_network(hasher, v) for v in get("ip_prefix")], pa.string()),
            "day": _days(at),
        }
    )


def _network(hasher: _Hasher, prefix: str | None) -> str | None:
    """Only a public prefix is a network that groups accounts: a loopback or private one is
    where a reverse proxy or an office NAT sits (issue 17), so the lake leaves it empty."""
    return hasher("network", prefix) if prefix and is_public_prefix(prefix) else None


def _days(at: pa.Array) -> pa.Array:
    return at.cast(pa.date32()).cast(pa.string())


def _rows_table(schema: TableSchema, rows: Sequence[dict[str, Any]], *, dated: bool) -> pa.Table:
    """A table of NamedTuple rows (`<column>_us` integers become TIME columns)."""
    names = [name for name in schema.names if name != "day"]
    arrays = schema.to_arrays(schema.rows_to_columns(rows, names))
    table = pa.table(arrays, names=names)
    return table.append_column("day", _days(table["at"])) if dated else table


def _write_days(
    location: Location, schema: TableSchema, data: pa.Table, lo: int, hi: int
) -> list[tuple[str, PartFile]]:
    """One file per UTC day of the rows: `TABLE/day=YYYY-MM-DD/seq-LO-HI.parquet`."""
    written = []
    for day in sorted(pc.unique(data["day"]).to_pylist()):
        part = data.filter(pc.equal(data["day"], day))
        path = f"{schema.name}/day={day}/seq-{lo:012d}-{hi - 1:012d}.parquet"
        _write_parquet(location, path, schema, part)
        written.append((schema.name, PartFile(path, part.num_rows)))
    return written


def _snapshots(
    db: Database, location: Location, hasher: _Hasher, snapshot_id: str, manifest: Manifest
) -> tuple[int, int]:
    """Rewrite the tables whose rows change in place; (profiles, completions) written."""
    with db.read() as conn:
        profiles = [row._asdict() for part in sql.profiles_all(conn) for row in part]
        completions = [row._asdict() for row in sql.completions_all(conn)]
        videos = [
            {"video_id": v, "creator_id": c, "category": k} for v, c, k in sql.videos_all(conn)
        ]
        accounts = [row._asdict() for part in sql.accounts_all(conn) for row in part]
        devices = _device_rows(sql.device_agents(conn), hasher)
    snapshots = (
        (PROFILES, profiles),
        (COMPLETIONS, completions),
        (VIDEOS, videos),
        (ACCOUNTS, accounts),
        (DEVICES, devices),
    )
    for schema, rows in snapshots:
        path = f"{schema.name}/export={snapshot_id}/part-0.parquet"
        _write_parquet(location, path, schema, _rows_table(schema, rows, dated=False))
        manifest.tables[schema.name] = [PartFile(path, len(rows))]
    return len(profiles), len(completions)


def _device_rows(chunks: Iterator[list[tuple[int, str]]], hasher: _Hasher) -> list[dict[str, Any]]:
    """Devices by the hash the interactions carry, with only the class persona needs: the
    user agent (a fingerprinting aid) and the device key stay in the database."""
    classes: dict[str, str] = {}  # one classification per distinct agent
    return [
        {
            "device": hasher("device", device_id),
            "device_class": classes.get(agent) or classes.setdefault(agent, device_class(agent)),
        }
        for chunk in chunks
        for device_id, agent in chunk
    ]


def _write_parquet(location: Location, path: str, schema: TableSchema, data: pa.Table) -> None:
    sink = pa.BufferOutputStream()
    pq.write_table(data.select(schema.names).cast(schema.arrow), sink, compression="zstd")
    location.write_bytes(path, sink.getvalue().to_pybytes())
