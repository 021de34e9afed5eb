"""Evaluate parsed segment expressions on the tag index: packed words where sets are dense,
Roaring bitmaps where they are sparse.

Every intermediate result is a `Leaf`: packed words or a bitmap. Rules, chosen so that work
is proportional to the smaller side:

- a conjunction with any sparse operand starts from the smallest sparse one and filters
  it (bitmap AND bitmap, or a gather of the words at its members); with dense operands only,
  the words are ANDed (NumPy, whole arrays) and negated operands are ANDed as complements;
- a union is a bitmap union of sparse parts, or the words ORed (sparse parts set in them);
- `not x` is the universe's words with x's bits cleared;
- `age in a..b` is the band tags it covers plus, at a band partly covered, the band AND a
  comparison on the bit slices of the offset within the band;
- counting never converts words to a bitmap: it popcounts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pyroaring import BitMap

from plaudit.errors import InvalidInput
from plaudit.persona.bits import (
    Words,
    bitmap_of_words,
    gather,
    gather_count,
    members,
    popcount,
    set_bits,
)
from plaudit.persona.index import OPEN_BAND_START, Leaf, TagIndex
from plaudit.persona.language import (
    Ages,
    And,
    Expr,
    Not,
    Or,
    Resolver,
    SegmentRef,
    Tags,
    parse,
)
from plaudit.persona.taxonomy import AGE_BANDS

__all__ = [
    "Engine",
    "ReferenceLimits",
    "References",
    "as_bitmap",
    "count",
    "dense_count",
    "evaluate",
    "intersect",
    "intersection_count",
    "size",
]


def evaluate(expr: Expr, index: TagIndex, resolve: Resolver | None = None) -> BitMap:
    """The accounts (all with targeting consent) the expression selects."""
    return as_bitmap(Engine(index, resolve).run(expr))


def count(expr: Expr, index: TagIndex, resolve: Resolver | None = None) -> int:
    """How many accounts the expression selects, without building a bitmap of them."""
    fast = dense_count(expr, index)
    return fast if fast is not None else size(Engine(index, resolve).run(expr))


def size(leaf: Leaf) -> int:
    return popcount(leaf) if isinstance(leaf, np.ndarray) else len(leaf)


def as_bitmap(leaf: Leaf) -> BitMap:
    return bitmap_of_words(leaf) if isinstance(leaf, np.ndarray) else leaf


def intersection_count(a: Leaf, b: Leaf) -> int:
    """|a AND b| for any mix of words and bitmaps."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return popcount(np.bitwise_and(a, b))
    if isinstance(a, np.ndarray):
        assert isinstance(b, BitMap)
        return gather_count(a, b)
    if isinstance(b, np.ndarray):
        return gather_count(b, a)
    return a.intersection_cardinality(b)


@dataclass(frozen=True)
class ReferenceLimits:
    """Bounds on saved-segment references (`segment_max_expansion`,
    `segment_max_reference_depth`): references nest at most `depth` deep, and the question
    written out with every reference replaced by its expression has at most `expansion`
    conditions. Each referenced segment is evaluated once per question either way."""

    expansion: int = 10_000
    depth: int = 8


class References:
    """The saved segments one question refers to: each resolved and parsed once, and the
    question checked against the limits before anything is evaluated (no index needed)."""

    def __init__(self, resolve: Resolver | None, limits: ReferenceLimits | None = None) -> None:
        self.resolve = resolve
        self.limits = limits or ReferenceLimits()
        self._trees: dict[str, Expr | BitMap] = {}

    def check(self, expr: Expr) -> int:
        """The expanded size of the question (conditions, references written out); a
        precise InvalidInput when a reference is cyclic, too deep or too large, NotFound
        when it names no saved segment of the caller's."""
        total = self._expanded(expr, {}, [])
        if total > self.limits.expansion:
            raise InvalidInput(
                f"the expression expands to more than {self.limits.expansion} conditions "
                "through its saved segments (the limit); refer to fewer or smaller saved "
                "segments, or save the combination you need as one expression",
                field="expression",
                limit=self.limits.expansion,
            )
        return total

    def _expanded(self, expr: Expr, sizes: dict[str, int], chain: list[str]) -> int:
        if isinstance(expr, Tags | Ages):
            return 1
        if isinstance(expr, Not):
            return 1 + self._expanded(expr.operand, sizes, chain)
        if isinstance(expr, And | Or):
            total = 1
            for operand in expr.operands:
                total = min(total + self._expanded(operand, sizes, chain), _SATURATED)
            return total
        name = expr.name
        if name in chain:
            raise InvalidInput(
                f"segments refer to each other in a cycle: {' -> '.join([*chain, name])}",
                field="expression",
            )
        if name in sizes:
            return sizes[name]
        if len(chain) >= self.limits.depth:
            raise InvalidInput(
                f"saved segments nest deeper than {self.limits.depth} levels: "
                f"{' -> '.join([*chain, name])}; refer to an inner segment's expression "
                "directly",
                field="expression",
                limit=self.limits.depth,
            )
        tree = self.tree(name)
        chain.append(name)
        try:
            n = 1 if isinstance(tree, BitMap) else self._expanded(tree, sizes, chain)
        finally:
            chain.pop()
        sizes[name] = n
        return n

    def tree(self, name: str) -> Expr | BitMap:
        """The saved segment's parsed expression (or a lookalike's accounts)."""
        if name not in self._trees:
            if self.resolve is None:
                raise InvalidInput(f"segment:{name}: no saved segments here", field="expression")
            resolved = self.resolve(name)
            self._trees[name] = resolved if isinstance(resolved, BitMap) else parse(resolved)
        return self._trees[name]


_SATURATED = 2**62  # expanded sizes stop growing here: only "over the limit" matters


class Engine:
    """Evaluates expressions over one index; `resolve` gives saved segments (None: none)."""

    def __init__(
        self,
        index: TagIndex,
        resolve: Resolver | None = None,
        limits: ReferenceLimits | None = None,
    ) -> None:
        self.index = index
        self.references = References(resolve, limits)
        self.active: list[str] = []
        self.memo: dict[str, Leaf] = {}  # each saved segment evaluated once per question

    def check(self, expr: Expr) -> int:
        return self.references.check(expr)

    def run(self, expr: Expr) -> Leaf:
        if isinstance(expr, Tags):
            known = self.index.unions.get(frozenset(expr.ids))
            if known is not None:
                return known
            return self.union([self.index.leaf(i) for i in expr.ids])
        if isinstance(expr, Ages):
            return self.union(self.age_parts(expr.lo, expr.hi))
        if isinstance(expr, Not):
            return self.complement(self.run(expr.operand))
        if isinstance(expr, Or):
            return self.union([self.run(e) for e in expr.operands])
        if isinstance(expr, And):
            return self.conjunction(expr)
        return self.segment(expr)

    # ---- set operations ------------------------------------------------------------------

    def union(self, parts: Sequence[Leaf]) -> Leaf:
        dense = [p for p in parts if isinstance(p, np.ndarray)]
        sparse = [p for p in parts if isinstance(p, BitMap) and p]
        if not dense:
            if not sparse:
                return BitMap()
            return sparse[0] if len(sparse) == 1 else BitMap.union(*sparse)
        if len(dense) == 1 and not sparse:
            return dense[0]
        words = np.bitwise_or(dense[0], dense[1]) if len(dense) > 1 else dense[0].copy()
        for more in dense[2:]:
            np.bitwise_or(words, more, out=words)
        for bitmap in sparse:
            set_bits(words, members(bitmap))
        return words

    def complement(self, leaf: Leaf) -> Words:
        if isinstance(leaf, np.ndarray):
            return np.bitwise_and(self.index.universe_words, np.invert(leaf))
        words = self.index.universe_words.copy()
        ids = members(leaf)
        ids = ids[ids < len(words) * 64]
        clear = np.ones(len(words) * 64, dtype=bool)
        clear[ids] = False
        np.bitwise_and(words, np.packbits(clear, bitorder="little").view(np.uint64), out=words)
        return words

    def conjunction(self, expr: And) -> Leaf:
        positive = [self.run(e) for e in expr.operands if not isinstance(e, Not)]
        negative = [self.run(e.operand) for e in expr.operands if isinstance(e, Not)]
        sparse = sorted((p for p in positive if isinstance(p, BitMap)), key=len)
        dense = [p for p in positive if isinstance(p, np.ndarray)]
        if not sparse:
            return self.dense_conjunction(dense, negative)
        acc = sparse[0]
        for bitmap in sparse[1:]:
            acc = acc & bitmap
        for words in dense:
            acc = gather(words, acc) if acc else acc
        for other in negative:
            acc = acc - other if isinstance(other, BitMap) else gather(other, acc, keep=False)
        return acc

    def dense_conjunction(self, positive: list[Words], negative: list[Leaf]) -> Words:
        if not positive:
            positive = [self.index.universe_words]
        acc = np.bitwise_and(positive[0], positive[1]) if len(positive) > 1 else positive[0].copy()
        for words in positive[2:]:
            np.bitwise_and(acc, words, out=acc)
        scratch = np.empty_like(acc) if negative else acc
        for other in negative:
            words = other if isinstance(other, np.ndarray) else self._words(other, acc)
            np.invert(words, out=scratch)
            np.bitwise_and(acc, scratch, out=acc)
        return acc

    @staticmethod
    def _words(bitmap: BitMap, like: Words) -> Words:
        words = np.zeros_like(like)
        set_bits(words, members(bitmap))
        return words

    # ---- ages ----------------------------------------------------------------------------

    def age_parts(self, lo: int, hi: int) -> list[Leaf]:
        """Disjoint parts covering ages lo..hi: whole band tags, and at a band the range
        covers only partly, that band restricted by the at-most masks (closed bands) or the
        years' own bitmaps (the open band)."""
        parts: list[Leaf] = []
        for suffix, band_lo, band_hi in AGE_BANDS:
            a, b = max(lo, band_lo), min(hi, band_hi)
            if a > b:
                continue
            leaf = self.index.leaf(f"age.{suffix}")
            if a == band_lo and b == band_hi:
                parts.append(leaf)
            elif band_lo >= OPEN_BAND_START:
                old = self.index.old_ages
                parts.append(self.union([old[y] for y in range(a, b + 1) if y in old]))
            else:
                parts.append(self.within_band(leaf, a - band_lo, b - band_lo))
        return parts

    def within_band(self, band: Leaf, first: int, last: int) -> Leaf:
        """Members of a closed band whose age is first..last years above its start."""
        at_most = self.index.age_at_most
        if not at_most:
            return BitMap()
        if last >= len(at_most):  # up to the band's end
            mask = np.invert(at_most[first - 1])
        elif first == 0:
            mask = at_most[last]  # the index's own: not modified below
        else:
            mask = np.bitwise_and(at_most[last], np.invert(at_most[first - 1]))
        if isinstance(band, BitMap):
            return gather(mask, band)
        return np.bitwise_and(mask, band)

    # ---- saved segments ------------------------------------------------------------------

    def segment(self, ref: SegmentRef) -> Leaf:
        known = self.memo.get(ref.name)
        if known is not None:
            return known
        if ref.name in self.active:
            chain = " -> ".join([*self.active, ref.name])
            raise InvalidInput(f"segments refer to each other in a cycle: {chain}",
                               field="expression")  # fmt: skip
        self.active.append(ref.name)
        try:
            tree = self.references.tree(ref.name)
            if isinstance(tree, BitMap):  # consent withdrawn since: out of the audience
                leaf: Leaf = tree & self.index.universe
            else:
                leaf = self.run(tree)
        finally:
            self.active.pop()
        self.memo[ref.name] = leaf
        return leaf


def intersect(a: Leaf, b: Leaf) -> Leaf:
    """a AND b for any mix of words and bitmaps (a bitmap when either is one)."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return np.bitwise_and(a, b)
    if isinstance(a, np.ndarray):
        assert isinstance(b, BitMap)
        return gather(a, b)
    if isinstance(b, np.ndarray):
        return gather(b, a)
    return a & b


# ---- the fast path: a conjunction of dense sums of products, counted block by block -------

Item = tuple[Words, bool]  # words, negated
Term = list[Item]  # AND of items
Operand = list[Term]  # OR of terms
BLOCK = 32768  # words (256 KB) per block: the few arrays of a block stay in L2 cache


class _NotPlannable(Exception):
    """The expression needs a sparse bitmap or a shape the block counter does not handle."""


def dense_count(expr: Expr, index: TagIndex) -> int | None:
    """Count a conjunction whose operands are unions of dense tags (and age ranges over
    closed bands) without building any full-size intermediate: the words are processed in
    blocks small enough to stay in cache, which reads each source array once. None when the
    expression has another shape (the general evaluator counts it)."""
    operands = expr.operands if isinstance(expr, And) else (expr,)
    try:
        plan = [_operand(e, index) for e in operands]
    except _NotPlannable:
        return None
    if any(not operand for operand in plan):
        return 0
    if all(item[1] for operand in plan if len(operand) == 1 for item in operand[0]):
        plan.append([[(index.universe_words, False)]])  # negations only: within the universe
    plan.sort(key=lambda operand: (len(operand) > 1, len(operand)))  # plain ANDs first
    return _count_blocks(plan, index.n_words)


def _operand(expr: Expr, index: TagIndex) -> Operand:
    if isinstance(expr, Tags):
        known = index.unions.get(frozenset(expr.ids))
        if known is not None:
            return [[(known, False)]]
        leaves = [index.leaf(i) for i in expr.ids]
        return [[(_dense_leaf(leaf), False)] for leaf in leaves if _nonempty(leaf)]
    if isinstance(expr, Ages):
        return _age_terms(expr, index)
    if isinstance(expr, Or):
        return [term for e in expr.operands for term in _operand(e, index)]
    if isinstance(expr, Not) and isinstance(expr.operand, Tags) and len(expr.operand.ids) == 1:
        leaf = index.leaf(expr.operand.ids[0])
        if isinstance(leaf, np.ndarray):
            return [[(leaf, True)]]
    raise _NotPlannable


def _nonempty(leaf: Leaf) -> bool:
    return isinstance(leaf, np.ndarray) or bool(leaf)


def _dense_leaf(leaf: Leaf) -> Words:
    if not isinstance(leaf, np.ndarray):
        raise _NotPlannable
    return leaf


def _age_terms(expr: Ages, index: TagIndex) -> Operand:
    terms: Operand = []
    at_most = index.age_at_most
    for suffix, band_lo, band_hi in AGE_BANDS:
        a, b = max(expr.lo, band_lo), min(expr.hi, band_hi)
        if a > b:
            continue
        band = _dense_leaf(index.leaf(f"age.{suffix}"))
        if a == band_lo and b == band_hi:
            terms.append([(band, False)])
        elif band_lo >= OPEN_BAND_START or not at_most:
            raise _NotPlannable
        else:
            first, last = a - band_lo, b - band_lo
            term: Term = [(band, False)]
            if last < len(at_most):
                term.append((at_most[last], False))
            if first > 0:
                term.append((at_most[first - 1], True))
            terms.append(term)
    return terms


def _count_blocks(plan: list[Operand], n_words: int) -> int:
    acc, value, part, scratch = (np.empty(BLOCK, dtype=np.uint64) for _ in range(4))
    total = 0
    for start in range(0, n_words, BLOCK):
        stop = min(start + BLOCK, n_words)
        m = stop - start
        a, v, p, s = acc[:m], value[:m], part[:m], scratch[:m]
        for i, operand in enumerate(plan):
            if i > 0 and len(operand) == 1 and len(operand[0]) == 1 and not operand[0][0][1]:
                np.bitwise_and(a, operand[0][0][0][start:stop], out=a)  # the common case
                continue
            target = a if i == 0 else v
            for j, term in enumerate(operand):
                _term(term, start, stop, target if j == 0 else p, s)
                if j > 0:
                    np.bitwise_or(target, p, out=target)
            if i > 0:
                np.bitwise_and(a, v, out=a)
        total += popcount(a)
    return total


def _term(term: Term, start: int, stop: int, out: Words, scratch: Words) -> None:
    """out = the AND of the term's items over words start:stop."""
    (words, negated), rest = term[0], term[1:]
    if negated:
        np.invert(words[start:stop], out=out)
    else:
        np.copyto(out, words[start:stop])
    for words, negated in rest:
        if negated:
            np.invert(words[start:stop], out=scratch)
            np.bitwise_and(out, scratch, out=out)
        else:
            np.bitwise_and(out, words[start:stop], out=out)
