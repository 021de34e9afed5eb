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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from plaudit.errors import StorageError
from plaudit.lake.location import Location
from plaudit.lake.manifest import Manifest, PartFile
from plaudit.lake.schema import (
    CAMPAIGN_LIKES,
    COMPLETIONS,
    INTERACTIONS,
    PROFILES,
    SCHEMAS,
    SNAPSHOT_TABLES,
)
from plaudit.store import Database
from plaudit.store import lake as sql
from plaudit.store.ledger import LedgerSQL

__all__ = ["ExportReport", "export_lake"]

DAY_US = 86_400 * 1_000_000
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
    profiles, completions = _snapshots(db, location, snapshot_id, manifest)
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
    rows = [
        {
            **event._asdict(),
            "device": hasher("device", event.device_id),
            "network": hasher("network", event.ip_prefix),
        }
        for event in events
    ]
    written = _write_days(location, INTERACTIONS.name, rows, lo, hi)
    likes = [row._asdict() for row in incentivised]
    written += _write_days(location, CAMPAIGN_LIKES.name, likes, lo, hi)
    return written


def _write_days(
    location: Location, table: str, rows: Sequence[dict[str, Any]], lo: int, hi: int
) -> list[tuple[str, PartFile]]:
    """One file per UTC day of the rows: `TABLE/day=YYYY-MM-DD/seq-LO-HI.parquet`."""
    by_day: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        day = datetime.fromtimestamp(row["at_us"] // DAY_US * 86_400, UTC).date().isoformat()
        by_day.setdefault(day, []).append(row)
    written = []
    for day, day_rows in sorted(by_day.items()):
        path = f"{table}/day={day}/seq-{lo:012d}-{hi - 1:012d}.parquet"
        _write_parquet(location, path, table, [{**r, "day": day} for r in day_rows])
        written.append((table, PartFile(path, len(day_rows))))
    return written


def _snapshots(
    db: Database, location: Location, snapshot_id: str, manifest: Manifest
) -> tuple[int, int]:
    with db.read() as conn:
        profiles = [row._asdict() for part in sql.profiles_all(conn) for row in part]
        completions = [row._asdict() for row in sql.completions_all(conn)]
    for table, rows in ((PROFILES.name, profiles), (COMPLETIONS.name, completions)):
        path = f"{table}/export={snapshot_id}/part-0.parquet"
        _write_parquet(location, path, table, rows)
        manifest.tables[table] = [PartFile(path, len(rows))]
    return len(profiles), len(completions)


def _write_parquet(
    location: Location, path: str, table: str, rows: Sequence[dict[str, Any]]
) -> None:
    schema = SCHEMAS[table]
    data = pa.table(schema.to_arrays(schema.rows_to_columns(rows)), schema=schema.arrow)
    sink = pa.BufferOutputStream()
    pq.write_table(data, sink, compression="zstd")
    location.write_bytes(path, sink.getvalue().to_pybytes())
