"""Audience questions answered with aggregates only: counts, insights, overlap, fan bases.

Privacy by construction: no function here returns an account id, and every figure is
released through the differentially private mechanism of `plaudit.persona.privacy`:
deterministic geometric noise with the epsilon of the answer's kind, rounding, and
suppression as "<k" when the noisy value is below k. The epsilon of one answer is spread
over its cells by their joint sensitivity (how many cells one account can move: 1 for a
count, every cell for an insight profile), so each answer as a whole is epsilon-DP. Before a
figure leaves, `pay(question, epsilon)` charges the asker's privacy budget (the service
passes it; it raises `PrivacyBudgetExhausted`). TGI = 100 x (share of the segment with the
tag) / (share of the platform with it), from the noisy counts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pyroaring import BitMap

from plaudit.accounts.service import require_creator
from plaudit.errors import InvalidInput
from plaudit.persona.engine import (
    Engine,
    ReferenceLimits,
    References,
    as_bitmap,
    dense_count,
    intersect,
    intersection_count,
)
from plaudit.persona.engine import size as leaf_size
from plaudit.persona.index import Leaf, TagIndex, bitmap_of
from plaudit.persona.language import Ages, And, Expr, Resolver, parse
from plaudit.persona.lookalike import expand
from plaudit.persona.privacy import Mechanism, canonical, index_version
from plaudit.persona.saved import SavedSegments
from plaudit.persona.taxonomy import FAMILIES, family_tags, most_tags_per_account
from plaudit.store import Database
from plaudit.store import interactions as interactions_sql

__all__ = ["Audience", "Pay", "Privacy", "SavedSegments"]

MAX_OVERLAP = 5
# The L1 sensitivity of an insight profile: one account moves the profile's size and, in each
# family, at most the tags it can carry at once (one of an exclusive family such as gender,
# at most 10 interests): 45 cells of the 218, a bound that needs no data.
PROFILE_SENSITIVITY = sum(most_tags_per_account(family.id) for family in FAMILIES) + 1
# A fan-base sentence compares gender x age windows; one account is in at most 3 windows.
SENTENCE_SENSITIVITY = 3

Pay = Callable[[str, float], None]


@dataclass(frozen=True)
class Privacy:
    """The privacy settings of answers: k, the epsilon of each kind of answer (0: no
    noise), the rounding of what is shown, and the noise key."""

    k: int = 100
    epsilon: float = 0.0  # a count (and a campaign's eligible audience)
    epsilon_insights: float = 0.0  # an insight profile or a fan base
    epsilon_overlap: float = 0.0  # an overlap of 2 to 5 segments
    rounding: int = 1
    key: bytes = field(default=b"plaudit-unkeyed", repr=False)

    @property
    def mechanism(self) -> Mechanism:
        return Mechanism(self.key, self.k, self.rounding)

    def cell(self, count: int) -> int | str:
        """An exact count with the floor only (operators' and internal views)."""
        return count if count >= self.k else f"<{self.k}"


def _free(_question: str, _epsilon: float) -> None:
    """No budget: internal and operator answers."""


class Audience:
    """Segment counts and insights over one loaded tag index."""

    def __init__(
        self,
        index: TagIndex,
        privacy: Privacy,
        saved: SavedSegments | None = None,
        rng: np.random.Generator | None = None,
        *,
        pay: Pay | None = None,
        limits: ReferenceLimits | None = None,
    ) -> None:
        self.index = index
        self.privacy = privacy
        self.saved = saved
        self.rng = rng  # kept for callers of the first API; the noise is keyed, not random
        self.pay = pay or _free
        self.limits = limits or ReferenceLimits()
        self.references = References(self._resolver(), self.limits)
        self.version = index_version(index.meta)
        self.mechanism = privacy.mechanism

    # ---- evaluation -----------------------------------------------------------------------

    def _resolver(self) -> Resolver | None:
        return self.saved.get if self.saved else None

    def _engine(self) -> Engine:
        """An engine sharing this audience's resolved references: each saved segment is
        resolved and parsed once per question (an Audience answers one question, or a few
        from one command)."""
        engine = Engine(self.index, self._resolver(), self.limits)
        engine.references = self.references
        return engine

    def tree(self, expression: str) -> Expr:
        """The parsed expression, its saved references checked against the limits."""
        expr = parse(expression)
        self.references.check(expr)
        return expr

    def _question(self, kind: str, *parts: str) -> str:
        namespace = self.saved.owner if self.saved else None
        return "|".join((kind, self.version, namespace or "*", *parts))

    def _canonical(self, expr: Expr) -> str:
        return canonical(expr, self.saved.owner if self.saved else None)

    def select(self, expression: str) -> BitMap:
        """The accounts of a segment: for exports and internal use, never shown to brands."""
        return as_bitmap(self._engine().run(self.tree(expression)))

    def contains(self, expression: str, account_id: int) -> bool:
        """Whether one account is in the segment, without building the segment as a bitmap."""
        leaf = self._engine().run(self.tree(expression))
        if isinstance(leaf, BitMap):
            return 0 <= account_id < 2**32 and account_id in leaf
        word = account_id >> 6
        return 0 <= word < len(leaf) and bool((int(leaf[word]) >> (account_id & 63)) & 1)

    def size(self, expression: str) -> int:
        """The exact size of a segment (for operators and internal use)."""
        return self._size(self.tree(expression))

    def _size(self, expr: Expr) -> int:
        fast = dense_count(expr, self.index)  # the block counter, when the shape allows
        return fast if fast is not None else leaf_size(self._engine().run(expr))

    # ---- private answers -----------------------------------------------------------------

    def count(self, expression: str) -> dict[str, Any]:
        """The segment's size with noise of `epsilon`, rounded, "<k" below k."""
        expr = self.tree(expression)
        n = self._size(expr)
        question = self._question("count", self._canonical(expr))
        self.pay(question, self.privacy.epsilon)
        shown = self.mechanism.release(n, question, "count", self.privacy.epsilon)
        if isinstance(shown, str):
            return {"expression": expression, "count": shown, "suppressed": True}
        return {"expression": expression, "count": shown}

    def insights(self, expression: str) -> dict[str, Any]:
        expr = self.tree(expression)
        segment = self._engine().run(expr)
        question = self._question("insights", self._canonical(expr))
        self.pay(question, self.privacy.epsilon_insights)
        return {"expression": expression, **self._profile(segment, question)}

    def _noisy(self, n: int, question: str, cell: str, epsilon: float, sens: int) -> int:
        return self.mechanism.noisy(n, question, cell, epsilon, sens)

    def _profile(
        self, segment: Leaf, question: str, sensitivity: int = PROFILE_SENSITIVITY
    ) -> dict[str, Any]:
        eps, k = self.privacy.epsilon_insights, self.privacy.k
        size = self._noisy(leaf_size(segment), question, "size", eps, sensitivity)
        if size < k:
            return {"count": self.mechanism.shown(size), "suppressed": True, "families": {}}
        total = len(self.index.universe)
        families: dict[str, list[dict[str, Any]]] = {}
        for family in FAMILIES:
            rows = []
            for tag in family_tags(family.id):
                leaf = self.index.leaf(tag.id)
                inside = self._noisy(
                    intersection_count(segment, leaf), question, tag.id, eps, sensitivity
                )
                base = leaf_size(leaf)
                row: dict[str, Any] = {"tag": tag.id, "en": tag.en, "zh": tag.zh}
                if inside < k:
                    row.update(count=self.mechanism.shown(inside), suppressed=True)
                else:
                    share = min(1.0, inside / size)
                    row.update(count=self.mechanism.shown(inside), share=round(share, 4))
                    if base:
                        row["tgi"] = round(100 * share / (base / total), 1)
                rows.append(row)
            families[family.id] = rows
        return {"count": self.mechanism.shown(size), "families": families}

    def overlap(self, expressions: list[str]) -> dict[str, Any]:
        if not 2 <= len(expressions) <= MAX_OVERLAP:
            raise InvalidInput(f"overlap compares 2 to {MAX_OVERLAP} segments", field="expressions")
        engine = self._engine()
        trees = [self.tree(e) for e in expressions]
        sets = [engine.run(tree) for tree in trees]
        n = len(sets)
        cells = n + n * (n - 1) // 2 + 2  # one account can be in every cell
        question = self._question("overlap", *(self._canonical(t) for t in trees))
        eps = self.privacy.epsilon_overlap
        self.pay(question, eps)

        def show(count: int, cell: str) -> int | str:
            return self.mechanism.release(count, question, cell, eps, cells)

        pairs = []
        for i in range(n):
            for j in range(i + 1, n):
                both = intersection_count(sets[i], sets[j])
                pairs.append({"a": i, "b": j, "count": show(both, f"pair:{i}:{j}")})
        every = engine.run(And(tuple(trees)))
        return {
            "segments": [
                {"expression": e, "count": show(leaf_size(s), f"segment:{i}")}
                for i, (e, s) in enumerate(zip(expressions, sets, strict=True))
            ],
            "pairs": pairs,
            "all": show(leaf_size(every), "all"),
            "any": show(leaf_size(engine.union(sets)), "any"),
        }

    def fans(self, db: Database, creator_id: int) -> BitMap:
        """A creator's current followers who allow targeting (internal use only); a missing
        account or one that is not a creator is a precise error, not an empty fan base."""
        with db.read() as conn:
            require_creator(conn, creator_id, "a fan base is a creator account's followers")
            ids = np.array(interactions_sql.active_follower_ids(conn, creator_id), dtype=np.int64)
        return bitmap_of(ids) & self.index.universe

    def seed_question(self, kind: str, seed: BitMap, label: str) -> str:
        """The question about a set that changes without the index (a creator's fans): its
        content is part of the question, so a follow or unfollow gets fresh noise (and is
        paid for) instead of showing the exact difference under the same noise."""
        digest = hashlib.sha256(seed.serialize()).hexdigest()[:16]
        return self._question(kind, label, digest)

    def lookalike(self, seed: BitMap, size: int, label: str) -> tuple[BitMap, dict[str, Any]]:
        """Expand a seed to `size` similar accounts; the dict is what a brand may see: the
        seed's size and the driving tags from noisy counts, and a size bound that is noisy."""
        question = self.seed_question("lookalike", seed, label)
        eps_count, eps_tags = self.privacy.epsilon, self.privacy.epsilon_insights
        self.pay(question, eps_count + eps_tags)
        outside = len(self.index.universe) - len(seed)
        bound = self._noisy(outside, question, "outside", eps_count, 2)
        seed_n = self._noisy(len(seed), question, "seed", eps_count, 2)
        k = self.privacy.k
        if seed_n < k:
            raise InvalidInput(
                f"the seed has fewer than {k} accounts (counted with privacy noise)",
                field="seed",
            )
        top = self.privacy.rounding * (bound // self.privacy.rounding)
        if not k <= size <= top:
            raise InvalidInput(
                f"size must be between {k} and about {top} (the accounts outside the seed, "
                "with privacy noise)",
                field="size",
            )

        def noisy_inside(tag_id: str, exact: int) -> int:
            return self._noisy(exact, question, tag_id, eps_tags, PROFILE_SENSITIVITY)

        audience, about = expand(self.index, seed, size, 1, shown_count=noisy_inside)
        about["seed"] = self.mechanism.shown(seed_n)
        about["size"] = self.mechanism.shown(min(size, leaf_size(audience)))
        return audience, {"seed_expression": label, **about}

    def fan_base(self, db: Database, creator_id: int) -> dict[str, Any]:
        """Composition of a creator's followers who allow targeting, with one sentence."""
        fans = self.fans(db, creator_id)
        question = self.seed_question("fan-base", fans, str(creator_id))
        self.pay(question, self.privacy.epsilon_insights)
        sensitivity = PROFILE_SENSITIVITY + SENTENCE_SENSITIVITY
        profile = self._profile(fans, question, sensitivity)
        result: dict[str, Any] = {"creator_id": creator_id, **profile}
        if profile.get("suppressed"):
            result["sentence"] = {
                "en": f"Fewer than {self.privacy.k} of your fans can be described.",
                "zh": f"可描述的粉丝少于{self.privacy.k}人。",
            }
        else:
            size = self._noisy(len(fans), question, "size", self.privacy.epsilon_insights,
                               sensitivity)  # fmt: skip
            result["sentence"] = self._sentence(fans, size, question, sensitivity)
        return result

    def _sentence(self, fans: BitMap, size: int, question: str, sensitivity: int) -> dict[str, str]:
        """The largest (gender, age window) group among the fans by noisy count."""
        best = (0, "female", 18, 35)
        engine = self._engine()
        eps = self.privacy.epsilon_insights
        for gender in ("female", "male"):
            group = intersect(fans, self.index.leaf(f"gender.{gender}"))
            for lo, hi in _WINDOWS:
                exact = intersection_count(group, engine.run(Ages(lo, hi)))
                n = self._noisy(exact, question, f"{gender}:{lo}-{hi}", eps, sensitivity)
                best = max(best, (n, gender, lo, hi))
        n, gender, lo, hi = best
        if n < self.privacy.k:
            return {"en": "No group of your fans is large enough to describe.",
                    "zh": "你的粉丝中没有足够大的群体可以描述。"}  # fmt: skip
        pct = min(100, round(100 * n / max(size, 1)))
        who_en, who_zh = ("women", "女性") if gender == "female" else ("men", "男性")
        return {
            "en": f"{pct}% of your fans are {who_en} aged {lo}-{hi}",
            "zh": f"你的粉丝中{pct}%是{lo}-{hi}岁的{who_zh}",
        }


# Age windows of about 15 years a creator would recognise: the sentence names the one with
# the most fans, so window widths are kept alike to compare them fairly.
_WINDOWS = ((13, 24), (18, 35), (25, 40), (30, 45), (40, 55), (50, 65), (60, 79))
