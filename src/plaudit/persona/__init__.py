"""Persona (星图): the tag taxonomy, the tag index in Roaring bitmaps, the segment language
and private audience insights. See docs/segments.md."""

from plaudit.persona.audience import Audience, Privacy, SavedSegments
from plaudit.persona.compute import compute_index
from plaudit.persona.engine import evaluate
from plaudit.persona.export import tag_table, write_bitmap, write_parquet
from plaudit.persona.index import TagIndex
from plaudit.persona.language import parse
from plaudit.persona.saved import SavedSegment
from plaudit.persona.service import PersonaService
from plaudit.persona.taxonomy import FAMILIES, TAGS, TAGS_BY_ID, Family, Tag

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
