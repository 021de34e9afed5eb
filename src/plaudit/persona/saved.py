"""Saved segments: named expressions, and lookalike audiences kept as bitmaps.

Stored in `DATA_DIR/persona-segments.json` (kept apart from the index, which a refresh
replaces); a lookalike audience's members are in `DATA_DIR/persona-segments/<key>.roaring`,
never shown to its owner, who uses it only by name (`segment:name`). Names are per
namespace: `org:<id>` for a brand's organisation, `account:<id>` for a creator (or a brand
in no organisation); None is the operators' namespace (saved with the CLI), visible to all.
A caller sees and resolves only its own namespace's names and the operators' ones: another
organisation's name answers exactly as a name that does not exist, and may be reused.
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
    owner: str | None  # the namespace: org:<id>, account:<id>, None for operators
    kind: str  # expression | lookalike
    created_at: str

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expression": self.expression,
            "kind": self.kind,
            "created_at": self.created_at,
        }


def _entry(key: str, raw: str | dict[str, Any]) -> SavedSegment:
    name = key.rsplit("/", 1)[-1]
    if isinstance(raw, str):  # the first format: name -> expression, saved with the CLI
        return SavedSegment(name, raw, None, "expression", "")
    owner = raw.get("owner")
    if isinstance(owner, int):  # before namespaces: the account that saved it
        owner = f"account:{owner}"
    return SavedSegment(
        name, raw["expression"], owner, raw.get("kind", "expression"),
        raw.get("created_at", ""),
    )  # fmt: skip


def _key(owner: str | None, name: str) -> str:
    return name if owner is None else f"{owner}/{name}"


class SavedSegments:
    """The saved segments of one data directory, as seen by `owner` (None: every entry)."""

    def __init__(self, data_path: Path, owner: str | None = None) -> None:
        self.data_path = data_path
        self.path = data_path / "persona-segments.json"
        self.owner = owner

    def for_owner(self, owner: str | None) -> SavedSegments:
        return SavedSegments(self.data_path, owner)

    def _raw(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        data: dict[str, Any] = json.loads(self.path.read_text())
        return data

    def _visible(self, entry: SavedSegment) -> bool:
        return self.owner is None or entry.owner in (None, self.owner)

    def entries(self) -> list[SavedSegment]:
        """Visible entries (operators: every namespace's)."""
        found = (_entry(key, raw) for key, raw in sorted(self._raw().items()))
        return [e for e in found if self._visible(e)]

    def _find(
        self, raw: dict[str, Any], name: str, *, anywhere: bool = True
    ) -> tuple[str, SavedSegment] | None:
        """The entry `segment:name` means here: the namespace's own, else the operators'
        (an entry saved before namespaces, keyed by its bare name, counts for its owner)."""
        for key in dict.fromkeys((_key(self.owner, name), name)):
            if key in raw:
                entry = _entry(key, raw[key])
                if entry.owner in (None, self.owner):
                    return key, entry
        if self.owner is None and anywhere:  # operators: a name only one namespace has
            found = [(k, _entry(k, v)) for k, v in raw.items() if k.endswith("/" + name)]
            if len(found) > 1:
                owners = ", ".join(sorted(str(e.owner) for _k, e in found))
                raise InvalidInput(
                    f"several namespaces have a saved segment named {name!r} ({owners}); "
                    "ask as a member of the one you mean",
                    field="expression",
                )
            return found[0] if found else None
        return None

    def all(self) -> dict[str, str]:
        """Name -> expression of every visible entry."""
        return {e.name: e.expression for e in self.entries()}

    def entry(self, name: str) -> SavedSegment:
        found = self._find(self._raw(), name)
        if found is None:
            raise NotFound(f"no saved segment named {name!r}", name=name)
        return found[1]

    def get(self, name: str) -> str | BitMap:
        """What `segment:name` stands for: an expression, or a lookalike's accounts."""
        found = self._find(self._raw(), name)
        if found is None:
            raise NotFound(
                f"segment:{name}: no saved segment named {name!r}; list yours with "
                "GET /v1/segments/saved",
                name=name,
            )
        key, entry = found
        if entry.kind == "lookalike":
            return BitMap.deserialize(self._bitmap_path(key).read_bytes())
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
            found = self._find(raw, name, anywhere=False)
            if found is not None and (not replace or found[1].owner != self.owner):
                raise Conflict(
                    f"a saved segment named {name!r} exists; choose another name",
                    field="name",
                )
            key = found[0] if found is not None else _key(self.owner, name)
            if members is not None:
                target = self._bitmap_path(key)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(members.serialize())
            raw[key] = {k: v for k, v in vars(entry).items() if k != "name"}
            _write_atomically(self.path, json.dumps(raw, ensure_ascii=False, indent=1) + "\n")
        return entry

    def _bitmap_path(self, key: str) -> Path:
        safe = key.replace(":", "-").replace("/", ".")
        return self.data_path / "persona-segments" / f"{safe}.roaring"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp")
    staging.write_text(text)
    os.replace(staging, path)
