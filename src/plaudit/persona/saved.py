"""Saved segments: named expressions, and lookalike audiences kept as bitmaps.

Stored in `DATA_DIR/persona-segments.json` (kept apart from the index, which a refresh
replaces); a lookalike audience's members are in `DATA_DIR/persona-segments/<name>.roaring`,
never shown to its owner, who uses it only by name (`segment:name`). Each entry records its
owner (None: saved by an operator with the CLI, visible to everyone); a brand sees and uses
only its own entries and the operators' ones.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyroaring import BitMap

from plaudit.errors import Conflict, InvalidInput, NotFound
from plaudit.persona.language import parse

__all__ = ["SavedSegment", "SavedSegments"]

_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_LOCK = threading.Lock()


@dataclass(frozen=True)
class SavedSegment:
    name: str
    expression: str  # for a lookalike: how it was made (its seed), for the owner to read
    owner: int | None
    kind: str  # expression | lookalike
    created_at: str

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expression": self.expression,
            "kind": self.kind,
            "created_at": self.created_at,
        }


def _entry(name: str, raw: str | dict[str, Any]) -> SavedSegment:
    if isinstance(raw, str):  # the first format: name -> expression, saved with the CLI
        return SavedSegment(name, raw, None, "expression", "")
    return SavedSegment(
        name, raw["expression"], raw.get("owner"), raw.get("kind", "expression"),
        raw.get("created_at", ""),
    )  # fmt: skip


class SavedSegments:
    """The saved segments of one data directory, as seen by `owner` (None: every entry)."""

    def __init__(self, data_path: Path, owner: int | None = None) -> None:
        self.data_path = data_path
        self.path = data_path / "persona-segments.json"
        self.owner = owner

    def for_owner(self, owner: int | None) -> SavedSegments:
        return SavedSegments(self.data_path, owner)

    def _raw(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        data: dict[str, Any] = json.loads(self.path.read_text())
        return data

    def _visible(self, entry: SavedSegment) -> bool:
        return self.owner is None or entry.owner in (None, self.owner)

    def entries(self) -> list[SavedSegment]:
        found = (_entry(name, raw) for name, raw in sorted(self._raw().items()))
        return [e for e in found if self._visible(e)]

    def all(self) -> dict[str, str]:
        """Name -> expression of every visible entry."""
        return {e.name: e.expression for e in self.entries()}

    def entry(self, name: str) -> SavedSegment:
        raw = self._raw().get(name)
        entry = None if raw is None else _entry(name, raw)
        if entry is None or not self._visible(entry):
            raise NotFound(f"no saved segment named {name!r}", name=name)
        return entry

    def get(self, name: str) -> str | BitMap:
        """What `segment:name` stands for: an expression, or a lookalike's accounts."""
        entry = self.entry(name)
        if entry.kind == "lookalike":
            return BitMap.deserialize(self._bitmap_path(name).read_bytes())
        return entry.expression

    def save(self, name: str, expression: str, *, replace: bool = True) -> SavedSegment:
        """Save an expression (checked by parsing it) under `name`."""
        parse(expression)
        return self._store(name, expression, "expression", None, replace)

    def save_audience(self, name: str, members: BitMap, description: str) -> SavedSegment:
        """Save a lookalike audience's members under `name` (a new name only)."""
        return self._store(name, description, "lookalike", members, False)

    def _store(
        self, name: str, expression: str, kind: str, members: BitMap | None, replace: bool
    ) -> SavedSegment:
        if not _NAME.match(name):
            raise InvalidInput("a segment name has 1-64 letters, digits or _", field="name")
        created = datetime.now(UTC).isoformat()
        entry = SavedSegment(name, expression, self.owner, kind, created)
        with _LOCK:
            raw = self._raw()
            if name in raw:
                existing = _entry(name, raw[name])
                if not replace or existing.owner != self.owner:
                    raise Conflict(
                        f"a saved segment named {name!r} exists; choose another name",
                        field="name",
                    )
            if members is not None:
                target = self._bitmap_path(name)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(members.serialize())
            raw[name] = {k: v for k, v in vars(entry).items() if k != "name"}
            _write_atomically(self.path, json.dumps(raw, ensure_ascii=False, indent=1) + "\n")
        return entry

    def _bitmap_path(self, name: str) -> Path:
        return self.data_path / "persona-segments" / f"{name}.roaring"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp")
    staging.write_text(text)
    os.replace(staging, path)
