"""The lake's manifest: the files that make up each table, and the export watermark.

The manifest is written last and in one piece (location.write_bytes), so it always names
files that were completely written; a file under the lake that the manifest does not name is
the leftover of an interrupted export, ignored by readers and removed by the next export.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from plaudit.errors import InvalidInput
from plaudit.lake.location import Location

__all__ = ["FORMAT", "MANIFEST", "Manifest", "PartFile"]

FORMAT = "plaudit-lake/1"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class PartFile:
    """One Parquet file of a table."""

    path: str
    rows: int

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "rows": self.rows}


@dataclass
class Manifest:
    """`through_seq`: every event with a smaller seq is in the lake, none at or after it."""

    through_seq: int = 0
    exports: int = 0
    exported_at: str | None = None
    tables: dict[str, list[PartFile]] = field(default_factory=dict)

    def files(self, table: str) -> list[PartFile]:
        return self.tables.get(table, [])

    def all_paths(self) -> set[str]:
        return {part.path for parts in self.tables.values() for part in parts}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "through_seq": self.through_seq,
            "exports": self.exports,
            "exported_at": self.exported_at,
            "tables": {
                name: [part.to_json() for part in parts]
                for name, parts in sorted(self.tables.items())
            },
        }

    @classmethod
    def load(cls, location: Location) -> Manifest:
        """The lake's manifest, or an empty one for a new lake."""
        raw = location.read_bytes(MANIFEST)
        if raw is None:
            return cls()
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {FORMAT!r}")
            tables = {
                name: [PartFile(str(p["path"]), int(p["rows"])) for p in parts]
                for name, parts in data["tables"].items()
            }
            return cls(int(data["through_seq"]), int(data["exports"]), data["exported_at"], tables)
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(
                f"{location.path(MANIFEST)} is not a Plaudit lake manifest ({exc}); point at "
                "another location or move this one away",
                field="lake",
            ) from None

    def save(self, location: Location) -> None:
        location.write_bytes(MANIFEST, json.dumps(self.to_json(), indent=1).encode())
