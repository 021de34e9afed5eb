"""Reading the lake: only the files its manifest names (never a half-written export)."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.dataset as pads

from plaudit.errors import InvalidInput
from plaudit.lake.location import Location
from plaudit.lake.manifest import Manifest
from plaudit.lake.schema import SCHEMAS

__all__ = ["open_lake", "read_table", "table_dataset"]


def open_lake(url: str) -> tuple[Location, Manifest]:
    """The lake at `url` and its manifest; InvalidInput naming the fix when none is there."""
    location = Location.of(url)
    manifest = Manifest.load(location)
    if manifest.exports == 0:
        raise InvalidInput(
            f"{url}: no lake here (no manifest.json); run `plaudit lake export {url}` first",
            field="lake",
        )
    return location, manifest


def read_table(url: str, table: str, columns: Sequence[str] | None = None) -> pa.Table:
    """One table of the lake at `url` as Arrow (all of it, or the named columns)."""
    return table_dataset(url, table).to_table(columns=list(columns) if columns else None)


def table_dataset(url: str, table: str) -> pads.Dataset:
    """One table of the lake at `url` as a lazy Arrow dataset of exactly the manifest's files
    (DuckDB scans it in streaming, reading only the columns a query names)."""
    schema = SCHEMAS.get(table)
    if schema is None:
        raise InvalidInput(f"no lake table {table!r}; tables: {', '.join(SCHEMAS)}", field="table")
    location, manifest = open_lake(url)
    paths = [location.path(part.path) for part in manifest.files(table)]
    if not paths:
        return pads.dataset(schema.arrow.empty_table())
    return pads.dataset(paths, schema=schema.arrow, format="parquet", filesystem=location.fs)
