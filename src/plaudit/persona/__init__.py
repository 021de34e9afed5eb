"""Persona (星图): the tag taxonomy, the tag index in Roaring bitmaps, the segment language
and private audience insights. See docs/segments.md.

NumPy and pyarrow load on first use of these names, so the server starts without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plaudit.persona.audience import Audience, Privacy, SavedSegments
    from plaudit.persona.compute import compute_index
    from plaudit.persona.engine import evaluate
    from plaudit.persona.export import tag_table, write_bitmap, write_parquet
    from plaudit.persona.index import TagIndex
    from plaudit.persona.language import parse
    from plaudit.persona.saved import SavedSegment
    from plaudit.persona.service import PersonaService
    from plaudit.persona.taxonomy import FAMILIES, TAGS, TAGS_BY_ID, Family, Tag

_HOME = {
    "Audience": "plaudit.persona.audience",
    "Privacy": "plaudit.persona.audience",
    "SavedSegments": "plaudit.persona.audience",
    "compute_index": "plaudit.persona.compute",
    "evaluate": "plaudit.persona.engine",
    "tag_table": "plaudit.persona.export",
    "write_bitmap": "plaudit.persona.export",
    "write_parquet": "plaudit.persona.export",
    "TagIndex": "plaudit.persona.index",
    "parse": "plaudit.persona.language",
    "SavedSegment": "plaudit.persona.saved",
    "PersonaService": "plaudit.persona.service",
    "FAMILIES": "plaudit.persona.taxonomy",
    "TAGS": "plaudit.persona.taxonomy",
    "TAGS_BY_ID": "plaudit.persona.taxonomy",
    "Family": "plaudit.persona.taxonomy",
    "Tag": "plaudit.persona.taxonomy",
}

__all__ = [
    "FAMILIES",
    "TAGS",
    "TAGS_BY_ID",
    "Audience",
    "Family",
    "PersonaService",
    "Privacy",
    "SavedSegment",
    "SavedSegments",
    "Tag",
    "TagIndex",
    "compute_index",
    "evaluate",
    "parse",
    "tag_table",
    "write_bitmap",
    "write_parquet",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'plaudit.persona' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
