"""Audience questions answered with aggregates only: counts, insights, overlap, fan bases.

Privacy by construction: no function here returns an account id. Every count below k
(`privacy_k`, default 100) is suppressed and shown as "<k"; with `dp_epsilon` > 0, insight
cells get Laplace noise of scale 1/epsilon (each cell is a count of sensitivity 1) before
suppression. TGI = 100 x (share of the segment with the tag) / (share of the platform with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pyroaring import BitMap
from sqlalchemy.engine import Connection

from plaudit.errors import AccountNotFound, InvalidInput
from plaudit.persona.engine import Engine, as_bitmap, count, intersect, intersection_count
from plaudit.persona.engine import size as leaf_size
from plaudit.persona.index import Leaf, TagIndex, bitmap_of
from plaudit.persona.language import Ages, And, Resolver, parse
from plaudit.persona.lookalike import expand
from plaudit.persona.saved import SavedSegments
from plaudit.persona.taxonomy import FAMILIES, family_tags
from plaudit.store import Database
from plaudit.store import catalog as catalog_sql
from plaudit.store import interactions as interactions_sql

__all__ = ["Audience", "Privacy", "SavedSegments"]

MAX_OVERLAP = 5


@dataclass(frozen=True)
class Privacy:
    k: int = 100
    epsilon: float = 0.0

    def cell(self, count: int) -> int | str:
        return count if count >= self.k else f"<{self.k}"

    def noisy(self, count: int, rng: np.random.Generator) -> int:
        if self.epsilon <= 0:
            return count
        return max(0, round(count + rng.laplace(0.0, 1.0 / self.epsilon)))


class Audience:
    """Segment counts and insights over one loaded tag index."""

    def __init__(
        self,
        index: TagIndex,
        privacy: Privacy,
        saved: SavedSegments | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.index = index
        self.privacy = privacy
        self.saved = saved
        self.rng = rng or np.random.default_rng()

    def _engine(self) -> Engine:
        resolve: Resolver | None = self.saved.get if self.saved else None
        return Engine(self.index, resolve)

    def select(self, expression: str) -> BitMap:
        """The accounts of a segment: for exports and internal use, never shown to brands."""
        return as_bitmap(self._engine().run(parse(expression)))

    def contains(self, expression: str, account_id: int) -> bool:
        """Whether one account is in the segment, without building the segment as a bitmap."""
        leaf = self._engine().run(parse(expression))
        if isinstance(leaf, BitMap):
            return 0 <= account_id < 2**32 and account_id in leaf
        word = account_id >> 6
        return 0 <= word < len(leaf) and bool((int(leaf[word]) >> (account_id & 63)) & 1)

    def size(self, expression: str) -> int:
        """The exact size of a segment (for operators and internal use)."""
        resolve: Resolver | None = self.saved.get if self.saved else None
        return count(parse(expression), self.index, resolve)

    def count(self, expression: str) -> dict[str, Any]:
        n = self.size(expression)
        if n >= self.privacy.k:
            return {"expression": expression, "count": n}
        return {"expression": expression, "count": f"<{self.privacy.k}", "suppressed": True}

    def insights(self, expression: str) -> dict[str, Any]:
        segment = self._engine().run(parse(expression))
        return {"expression": expression, **self._profile(segment)}

    def _profile(self, segment: Leaf) -> dict[str, Any]:
        size = self.privacy.noisy(leaf_size(segment), self.rng)
        if size < self.privacy.k:
            return {"count": self.privacy.cell(size), "suppressed": True, "families": {}}
        total = len(self.index.universe)
        families: dict[str, list[dict[str, Any]]] = {}
        for family in FAMILIES:
            rows = []
            for tag in family_tags(family.id):
                leaf = self.index.leaf(tag.id)
                inside = self.privacy.noisy(intersection_count(segment, leaf), self.rng)
                base = leaf_size(leaf)
                row: dict[str, Any] = {"tag": tag.id, "en": tag.en, "zh": tag.zh}
                if inside < self.privacy.k:
                    row.update(count=self.privacy.cell(inside), suppressed=True)
                else:
                    share = inside / size
                    row.update(count=inside, share=round(share, 4))
                    if base:
                        row["tgi"] = round(100 * share / (base / total), 1)
                rows.append(row)
            families[family.id] = rows
        return {"count": size, "families": families}

    def overlap(self, expressions: list[str]) -> dict[str, Any]:
        if not 2 <= len(expressions) <= MAX_OVERLAP:
            raise InvalidInput(f"overlap compares 2 to {MAX_OVERLAP} segments", field="expressions")
        engine = self._engine()
        trees = [parse(e) for e in expressions]
        sets = [engine.run(tree) for tree in trees]
        pairs = []
        for i in range(len(sets)):
            for j in range(i + 1, len(sets)):
                both = intersection_count(sets[i], sets[j])
                pairs.append({"a": i, "b": j, "count": self.privacy.cell(both)})
        every = engine.run(And(tuple(trees)))
        return {
            "segments": [
                {"expression": e, "count": self.privacy.cell(leaf_size(s))}
                for e, s in zip(expressions, sets, strict=True)
            ],
            "pairs": pairs,
            "all": self.privacy.cell(leaf_size(every)),
            "any": self.privacy.cell(leaf_size(engine.union(sets))),
        }

    def fans(self, db: Database, creator_id: int) -> BitMap:
        """A creator's current followers who allow targeting (internal use only); a missing
        account or one that is not a creator is a precise error, not an empty fan base."""
        with db.read() as conn:
            _require_creator(conn, creator_id)
            ids = np.array(interactions_sql.active_follower_ids(conn, creator_id), dtype=np.int64)
        return bitmap_of(ids) & self.index.universe

    def lookalike(self, seed: BitMap, size: int, label: str) -> tuple[BitMap, dict[str, Any]]:
        """Expand a seed to `size` similar accounts; the dict is what a brand may see."""
        audience, about = expand(self.index, seed, size, self.privacy.k)
        about["seed"] = self.privacy.cell(about["seed"])
        return audience, {"seed_expression": label, **about}

    def fan_base(self, db: Database, creator_id: int) -> dict[str, Any]:
        """Composition of a creator's followers who allow targeting, with one sentence."""
        fans = self.fans(db, creator_id)
        profile = self._profile(fans)
        result: dict[str, Any] = {"creator_id": creator_id, **profile}
        if profile.get("suppressed"):
            result["sentence"] = {
                "en": f"Fewer than {self.privacy.k} of your fans can be described.",
                "zh": f"可描述的粉丝少于{self.privacy.k}人。",
            }
        else:
            result["sentence"] = self._sentence(fans)
        return result

    def _sentence(self, fans: BitMap) -> dict[str, str]:
        """The largest (gender, age window) group among the fans, as one sentence."""
        best = (0, "female", 18, 35)
        engine = self._engine()
        for gender in ("female", "male"):
            group = intersect(fans, self.index.leaf(f"gender.{gender}"))
            for lo, hi in _WINDOWS:
                n = intersection_count(group, engine.run(Ages(lo, hi)))
                best = max(best, (n, gender, lo, hi))
        n, gender, lo, hi = best
        n = self.privacy.noisy(n, self.rng)
        if n < self.privacy.k:
            return {"en": "No group of your fans is large enough to describe.",
                    "zh": "你的粉丝中没有足够大的群体可以描述。"}  # fmt: skip
        pct = round(100 * n / len(fans))
        who_en, who_zh = ("women", "女性") if gender == "female" else ("men", "男性")
        return {
            "en": f"{pct}% of your fans are {who_en} aged {lo}-{hi}",
            "zh": f"你的粉丝中{pct}%是{lo}-{hi}岁的{who_zh}",
        }


def _require_creator(conn: Connection, creator_id: int) -> None:
    account = catalog_sql.get_account(conn, creator_id)
    if account is None:
        raise AccountNotFound(f"account {creator_id} does not exist", account_id=creator_id)
    if account.kind != "creator":
        raise InvalidInput(
            f"account {creator_id} is a {account.kind}; a fan base is a creator account's "
            "followers",
            field="creator_id",
        )


# Age windows of about 15 years a creator would recognise: the sentence names the one with
# the most fans, so window widths are kept alike to compare them fairly.
_WINDOWS = ((13, 24), (18, 35), (25, 40), (30, 45), (40, 55), (50, 65), (60, 79))
