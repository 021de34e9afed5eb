"""The public surface of `plaudit.persona` is pinned (see tests/test_public_surface.py)."""

from __future__ import annotations

import plaudit.persona

PUBLIC = [
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


def test_public_surface_is_pinned() -> None:
    assert sorted(plaudit.persona.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(plaudit.persona, name) is not None
