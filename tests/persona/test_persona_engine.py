"""The hybrid evaluator: packed words and Roaring bitmaps give the same sets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyroaring import BitMap

from plaudit.persona import TagIndex, parse
from plaudit.persona.bits import bitmap_of, gather, gather_count, popcount, words_of
from plaudit.persona.engine import count, dense_count, evaluate
from tests.persona.conftest import Community

EXPRESSIONS = [
    "age in 25..35 and gender = female",
    "age = 35",
    "age in 18..24",
    "age in 19..23 or interest.food",
    "age >= 58 and not gender = male",
    "age in 61..63",
    "not age.25_29 and city_tier in (1, new1)",
    "role.fan and not interest.gaming and not province.gd",
    "spend >= 5000 and (activity.high or engage.commenter) and not age < 30",
    "not (gender = female or gender = male)",
]


@pytest.fixture(scope="module")
def all_sparse(community: Community) -> TagIndex:
    """The same index with every tag kept as a bitmap."""
    index = community.index
    return TagIndex(index.universe, index.tags, index.ages, index.meta, dense_share=0)


def test_the_test_index_mixes_dense_and_sparse_tags(community: Community) -> None:
    assert len(community.index.dense) >= 20
    assert len(community.index.sparse) >= 20


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_words_and_bitmaps_agree(
    community: Community, all_sparse: TagIndex, expression: str
) -> None:
    tree = parse(expression)
    expected = evaluate(tree, all_sparse)
    assert not all_sparse.dense
    assert evaluate(tree, community.index) == expected
    assert count(tree, community.index) == len(expected)
    fast = dense_count(tree, community.index)
    assert fast is None or fast == len(expected)


def test_the_block_counter_takes_the_brand_example(community: Community) -> None:
    """The 4-clause example only has dense tags and closed age bands: no bitmap is built."""
    tree = parse("city_tier in (1, new1) and age in 25..35 and spend >= 5000 and gender = female")
    index = TagIndex(*_parts(community.index), dense_share=10**9)  # every tag as words
    assert not any(index.sparse.values())
    expected = len(evaluate(tree, community.index))
    assert dense_count(tree, index) == expected
    for expression in EXPRESSIONS:
        tree = parse(expression)
        fast = dense_count(tree, index)
        assert fast is None or fast == len(evaluate(tree, community.index)), expression


def _parts(index: TagIndex) -> tuple[BitMap, dict[str, BitMap], dict[int, BitMap]]:
    return index.universe, index.tags, index.ages


@settings(max_examples=150, deadline=None)
@given(st.integers(13, 90), st.integers(0, 40))
def test_age_ranges_are_the_union_of_exact_ages(community: Community, lo: int, width: int) -> None:
    ages = community.index.ages
    expected = BitMap.union(BitMap(), *(b for y, b in ages.items() if lo <= y <= lo + width))
    assert evaluate(parse(f"age in {lo}..{lo + width}"), community.index) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 5000), max_size=400), st.lists(st.integers(0, 6000), max_size=400))
def test_bit_helpers(a: list[int], b: list[int]) -> None:
    left, right = BitMap(a), BitMap(b)
    words = words_of(left, 80)  # 5120 bits: ids above are dropped
    assert popcount(words) == len(left)
    assert gather_count(words, right) == len(left & right)
    assert gather(words, right) == left & right
    assert gather(words, right, keep=False) == right - left
    assert bitmap_of(np.array(sorted(set(a)), dtype=np.uint32)) == left
