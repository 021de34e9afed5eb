"""Persona (星图): the tag taxonomy, the tag index in Roaring bitmaps, the segment language
and private audience insights. See docs/segments.md."""

from plaudit.persona.audience import Audience, Privacy, SavedSegments
from plaudit.persona.compute import compute_index
from plaudit.persona.export import tag_table, write_bitmap, write_parquet
from plaudit.persona.index import TagIndex
from plaudit.persona.language import evaluate, parse
from plaudit.persona.taxonomy import FAMILIES, TAGS, TAGS_BY_ID, Family, Tag

__all__ = [
    "FAMILIES",
    "TAGS",
    "TAGS_BY_ID",
    "Audience",
    "Family",
    "Privacy",
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
