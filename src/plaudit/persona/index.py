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

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyroaring import BitMap

from plaudit.errors import PersonaIndexMissing
from plaudit.persona.bits import (
    WORD_ALIGN,
    Words,
    bitmap_of,
    bitmap_of_words,
    ids_of,
    members,
    popcount,
    set_bits,
    words_of,
)
from plaudit.persona.taxonomy import AGE_BANDS, SPEND_BANDS, TAGS

__all__ = [
    "CLOSED_WIDTH",
    "DENSE_SHARE",
    "FORMAT_VERSION",
    "OPEN_BAND_START",
    "Leaf",
    "TagIndex",
    "band_of",
    "bitmap_of",
    "index_dir",
]

FORMAT_VERSION = 1
OPEN_BAND_START = AGE_BANDS[-1][1]  # 60: the 60_plus band has no upper end
CLOSED_WIDTH = max(hi - lo + 1 for _s, lo, hi in AGE_BANDS[:-1])  # 7 (18_24)
DENSE_SHARE = 24  # a tag on more than 1 account in 24 is kept as packed words (see bits.py)

Leaf = Words | BitMap
"""A stored set of accounts: packed words (dense) or a Roaring bitmap (sparse). Read-only."""


def index_dir(data_path: Path) -> Path:
    return data_path / "persona"


class TagIndex:
    """The universe of consenting accounts, one set per tag, and every account's exact age.

    Built from Roaring bitmaps (one per tag and one per exact age, as stored). In memory,
    dense tags become packed words, and exact ages become, for the closed bands (13_17 to
    55_59), `age_at_most[k]`: the accounts whose age is at most k years above the start of
    their band, so `age in 25..35` is two band tags and the 35_39 band AND `age_at_most[0]`;
    ages in the open band (60_plus) stay bitmaps per year (`old_ages`). The band tags must
    agree with the ages, which `compute_index` guarantees.
    """

    def __init__(
        self,
        universe: BitMap,
        tags: Mapping[str, BitMap],
        ages: Mapping[int, BitMap],
        meta: Mapping[str, Any] | None = None,
        *,
        dense_share: int = DENSE_SHARE,
    ) -> None:
        self.universe = universe
        self.meta: dict[str, Any] = dict(meta or {})
        top = universe.max() + 1 if universe else 0
        self.n_words = -(-top // (64 * WORD_ALIGN)) * WORD_ALIGN
        self.universe_words = words_of(universe, self.n_words)
        self.dense_share = dense_share
        self.dense: dict[str, Words] = {}
        self.sparse: dict[str, BitMap] = {}
        for tag_id, bitmap in tags.items():
            if len(bitmap) * dense_share > self.n_words * 64:
                self.dense[tag_id] = words_of(bitmap, self.n_words)
            else:
                self.sparse[tag_id] = bitmap
        self.unions = self._ordinal_unions()
        self.old_ages = {y: b for y, b in ages.items() if y >= OPEN_BAND_START and b}
        self.age_at_most = self._at_most(ages)

    def _ordinal_unions(self) -> dict[frozenset[str], Words]:
        """`spend >= 1000`, `>= 3000` and `>= 5000` as one array each (when dense), so the
        common spend conditions read one array, even when a top band alone is sparse."""
        unions: dict[frozenset[str], Words] = {}
        bands = [f"spend.{suffix}" for suffix, *_rest in SPEND_BANDS]
        for start in range(1, len(bands) - 1):
            ids = bands[start:]
            words = np.zeros(self.n_words, dtype=np.uint64)
            for tag_id in ids:
                if tag_id in self.dense:
                    np.bitwise_or(words, self.dense[tag_id], out=words)
                elif tag_id in self.sparse:
                    set_bits(words, members(self.sparse[tag_id]))
            if popcount(words) * self.dense_share > self.n_words * 64:
                unions[frozenset(ids)] = words
        return unions

    def _at_most(self, ages: Mapping[int, BitMap]) -> list[Words]:
        offsets = np.full(self.n_words * 64, CLOSED_WIDTH, dtype=np.uint8)
        for years, bitmap in ages.items():
            band = band_of(years)
            if band is not None and years < OPEN_BAND_START:
                offsets[members(bitmap)] = years - AGE_BANDS[band][1]
        return [
            np.packbits(offsets <= k, bitorder="little").view(np.uint64)
            for k in range(CLOSED_WIDTH - 1)
        ]

    def leaf(self, tag_id: str) -> Leaf:
        """The tag's accounts as stored (words or bitmap): read it, never modify it."""
        words = self.dense.get(tag_id)
        if words is not None:
            return words
        return self.sparse.get(tag_id) or BitMap()

    def tag(self, tag_id: str) -> BitMap:
        """The tag's accounts as a bitmap (a conversion for dense tags: not for hot paths)."""
        words = self.dense.get(tag_id)
        return bitmap_of_words(words) if words is not None else self.sparse.get(tag_id, BitMap())

    def tag_size(self, tag_id: str) -> int:
        words = self.dense.get(tag_id)
        return popcount(words) if words is not None else len(self.sparse.get(tag_id, ()))

    @property
    def tags(self) -> dict[str, BitMap]:
        """Every tag as a bitmap (conversions: for saving, exports and tests)."""
        return {tag_id: self.tag(tag_id) for tag_id in [*self.dense, *self.sparse]}

    def age_array(self) -> NDArray[np.int16]:
        """Each account's age (by position = id; -1 when unknown)."""
        age = np.full(self.n_words * 64, -1, dtype=np.int16)
        offset = np.zeros(len(age), dtype=np.int16)
        for words in self.age_at_most:  # offset = how many at-most masks miss the account
            offset += np.unpackbits(words.view(np.uint8), bitorder="little") == 0
        for suffix, lo, hi in AGE_BANDS[:-1]:
            leaf = self.leaf(f"age.{suffix}")
            ids = ids_of(leaf) if isinstance(leaf, np.ndarray) else members(leaf)
            age[ids] = np.minimum(lo + offset[ids], hi)
        for years, bitmap in self.old_ages.items():
            age[members(bitmap)] = years
        return age

    @property
    def ages(self) -> dict[int, BitMap]:
        """Accounts of each exact age (a conversion: for saving, exports and tests)."""
        age = self.age_array()
        order = np.argsort(age, kind="stable")
        sorted_ages = age[order]
        years, starts = np.unique(sorted_ages, return_index=True)
        ends = [*starts[1:], len(order)] if len(starts) else []
        return {
            int(y): bitmap_of(np.sort(order[a:b]))
            for y, a, b in zip(years, starts, ends, strict=True)
            if y >= 0
        }

    def memory_bytes(self) -> int:
        """What the index holds in memory: words, slices and sparse bitmaps (serialized size,
        close to their in-memory size)."""
        arrays = [self.universe_words, *self.dense.values(), *self.unions.values()]
        arrays += self.age_at_most
        sparse = [self.universe, *self.sparse.values(), *self.old_ages.values()]
        return sum(a.nbytes for a in arrays) + sum(len(b.serialize()) for b in sparse)

    def save(self, data_path: Path) -> Path:
        final = index_dir(data_path)
        staging = final.with_name("persona.new")
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "tags").mkdir(parents=True)
        (staging / "age").mkdir()
        (staging / "all.roaring").write_bytes(self.universe.serialize())
        counts = {}
        for tag in TAGS:
            bitmap = self.tag(tag.id)
            counts[tag.id] = len(bitmap)
            (staging / "tags" / f"{tag.id}.roaring").write_bytes(bitmap.serialize())
        ages = self.ages
        for years, bitmap in ages.items():
            (staging / "age" / f"{years}.roaring").write_bytes(bitmap.serialize())
        manifest = {
            **self.meta,
            "version": FORMAT_VERSION,
            "accounts": len(self.universe),
            "tags": counts,
            "ages": sorted(ages),
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
            raise PersonaIndexMissing(
                f"no persona index in {root}; run `plaudit persona refresh` first"
            ) from None
        if manifest.get("version") != FORMAT_VERSION:
            raise PersonaIndexMissing(
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


def band_of(years: int) -> int | None:
    """The index in AGE_BANDS of the band holding this age."""
    for i, (_suffix, lo, hi) in enumerate(AGE_BANDS):
        if lo <= years <= hi:
            return i
    return None


def _swap(staging: Path, final: Path) -> None:
    old = final.with_name("persona.old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)
