"""The tag index: one Roaring bitmap per tag, stored as files under `DATA_DIR/persona/`.

Layout (written by `plaudit persona refresh`, read by every segment query):

    persona/manifest.json          version, reference time, counts per tag
    persona/all.roaring            every account with targeting consent (the universe)
    persona/tags/<tag id>.roaring  one bitmap per tag of the taxonomy
    persona/age/<years>.roaring    accounts of each exact age, for `age in 25..35`

Bitmaps use the portable Roaring serialization (the format ClickHouse, Doris, Java, Go and
CRoaring read). Only accounts with targeting consent are in any bitmap. A refresh writes a
new directory and swaps it in with renames, so readers never see half an index.
"""

from __future__ import annotations

import array
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyroaring import BitMap

from plaudit.errors import NotFound
from plaudit.persona.taxonomy import TAGS

__all__ = ["FORMAT_VERSION", "TagIndex", "bitmap_of", "index_dir"]

FORMAT_VERSION = 1


def index_dir(data_path: Path) -> Path:
    return data_path / "persona"


def bitmap_of(ids: NDArray[Any]) -> BitMap:
    """A bitmap of account ids, built from a NumPy array without Python objects per id."""
    return BitMap(array.array("I", np.asarray(ids, dtype=np.uint32).tobytes()))


@dataclass
class TagIndex:
    """The universe of consenting accounts, one bitmap per tag and one per exact age."""

    universe: BitMap
    tags: dict[str, BitMap]
    ages: dict[int, BitMap]
    meta: dict[str, Any] = field(default_factory=dict)

    def tag(self, tag_id: str) -> BitMap:
        return self.tags.get(tag_id) or BitMap()

    def memory_bytes(self) -> int:
        """Serialized size of every bitmap: close to what the index holds in memory."""
        bitmaps = [self.universe, *self.tags.values(), *self.ages.values()]
        return sum(len(b.serialize()) for b in bitmaps)

    def save(self, data_path: Path) -> Path:
        final = index_dir(data_path)
        staging = final.with_name("persona.new")
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "tags").mkdir(parents=True)
        (staging / "age").mkdir()
        (staging / "all.roaring").write_bytes(self.universe.serialize())
        for tag in TAGS:
            (staging / "tags" / f"{tag.id}.roaring").write_bytes(self.tag(tag.id).serialize())
        for years, bitmap in self.ages.items():
            (staging / "age" / f"{years}.roaring").write_bytes(bitmap.serialize())
        manifest = {
            **self.meta,
            "version": FORMAT_VERSION,
            "accounts": len(self.universe),
            "tags": {tag.id: len(self.tag(tag.id)) for tag in TAGS},
            "ages": sorted(self.ages),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        _swap(staging, final)
        return final

    @classmethod
    def load(cls, data_path: Path) -> TagIndex:
        root = index_dir(data_path)
        try:
            manifest = json.loads((root / "manifest.json").read_text())
        except FileNotFoundError:
            raise NotFound(
                f"no persona index in {root}; run `plaudit persona refresh` first"
            ) from None
        if manifest.get("version") != FORMAT_VERSION:
            raise NotFound(
                f"the persona index in {root} has format {manifest.get('version')}, this "
                f"version reads {FORMAT_VERSION}; run `plaudit persona refresh`"
            )
        universe = BitMap.deserialize((root / "all.roaring").read_bytes())
        tags = {
            tag_id: BitMap.deserialize((root / "tags" / f"{tag_id}.roaring").read_bytes())
            for tag_id in manifest["tags"]
        }
        ages = {
            int(y): BitMap.deserialize((root / "age" / f"{y}.roaring").read_bytes())
            for y in manifest["ages"]
        }
        meta = {k: v for k, v in manifest.items() if k not in {"tags", "ages"}}
        return cls(universe, tags, ages, meta)


def _swap(staging: Path, final: Path) -> None:
    old = final.with_name("persona.old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)
