"""Differentially private answers: the noise's distribution, its determinism, rounding and
suppression at exactly k and k - 1 (on the noisy value), and the bounds on saved references."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaudit.errors import InvalidInput
from plaudit.persona import Audience, Privacy, SavedSegments, parse
from plaudit.persona.audience import PROFILE_SENSITIVITY
from plaudit.persona.engine import ReferenceLimits
from plaudit.persona.privacy import Mechanism, canonical, load_or_create_key
from tests.persona.conftest import Community, within_noise

KEY = b"k" * 32
ATOMS = ["gender = female", "age in 25..35", "interest.food", "city_tier in (1, new1)",
         "not device.ios", "(spend >= 5000 or role.creator)"]  # fmt: skip


# ---- the noise -----------------------------------------------------------------------------


@settings(max_examples=12, deadline=None)
@given(
    epsilon=st.floats(min_value=0.05, max_value=3.0),
    sensitivity=st.integers(min_value=1, max_value=40),
    question=st.text(min_size=1, max_size=20),
)
def test_the_noise_has_mean_zero_and_the_variance_of_its_scale(
    epsilon: float, sensitivity: int, question: str
) -> None:
    mechanism = Mechanism(KEY, k=1)
    n = 4000
    draws = [mechanism.noise(question, f"cell{i}", epsilon, sensitivity) for i in range(n)]
    sd = Mechanism.scale(epsilon, sensitivity)
    mean = sum(draws) / n
    variance = sum((d - mean) ** 2 for d in draws) / (n - 1)
    assert abs(mean) < 5 * sd / math.sqrt(n)  # the standard error of the mean, 5 times
    # the sample variance of a two-sided geometric: within 25% at n = 4000 (heavy tails)
    assert variance == pytest.approx(sd**2, rel=0.25) or sd < 0.5
    assert all(isinstance(d, int) for d in draws)


def test_the_scale_is_that_of_the_laplace_mechanism_for_small_epsilon() -> None:
    # two-sided geometric -> Laplace(sensitivity/epsilon): standard deviation sqrt(2) b
    for epsilon, sensitivity in ((0.1, 1), (0.25, 1), (1.0, 218)):
        laplace = math.sqrt(2) * sensitivity / epsilon
        assert Mechanism.scale(epsilon, sensitivity) == pytest.approx(laplace, rel=0.02)


def test_the_same_question_gets_the_same_noise_and_another_key_other_noise() -> None:
    one, other = Mechanism(KEY, k=1), Mechanism(b"x" * 32, k=1)
    first = [one.noise("q", str(i), 0.25, 1) for i in range(50)]
    assert first == [one.noise("q", str(i), 0.25, 1) for i in range(50)]
    assert first != [other.noise("q", str(i), 0.25, 1) for i in range(50)]
    assert first != [one.noise("q2", str(i), 0.25, 1) for i in range(50)]
    assert one.noise("q", "0", 0.0, 1) == 0  # epsilon 0: no noise


def test_suppression_is_decided_on_the_noisy_value_exactly_at_k() -> None:
    mechanism = Mechanism(KEY, k=100, rounding=10)
    assert mechanism.shown(100) == 100
    assert mechanism.shown(99) == "<100"
    assert mechanism.shown(104) == 100
    assert mechanism.shown(105) == 100 or mechanism.shown(105) == 110
    assert mechanism.shown(1234) == 1230
    # rounding never shows a figure below k for a value at or above it
    assert Mechanism(KEY, k=101, rounding=10).shown(101) == 101


def test_the_noise_key_is_made_once_and_private(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "data")
    assert len(key) == 32
    path = tmp_path / "data" / "persona-noise.key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_key(tmp_path / "data") == key


# ---- canonical questions -------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.permutations(ATOMS), st.integers(min_value=2, max_value=len(ATOMS)))
def test_reordered_and_regrouped_questions_share_one_canonical_form(
    atoms: list[str], n: int
) -> None:
    chosen = atoms[:n]
    for op in ("or", "and"):
        flat = f" {op} ".join(chosen)
        base = canonical(parse(f" {op} ".join(sorted(chosen))))
        assert canonical(parse(flat)) == base
        nested = f"({chosen[0]} {op} ({f' {op} '.join(chosen[1:])}))"
        assert canonical(parse(nested)) == base
        assert canonical(parse(f"not not ({flat})")) == base
        assert canonical(parse(f"{flat} {op} {chosen[0]}")) == base  # a repeated operand


def test_different_questions_have_different_canonical_forms() -> None:
    assert canonical(parse("gender = male")) != canonical(parse("gender = male or interest.food"))
    assert canonical(parse("segment:x"), "org:1") != canonical(parse("segment:x"), "org:2")


# ---- answers at the edges of k -------------------------------------------------------------


def test_counts_at_exactly_k_and_k_minus_1(community: Community) -> None:
    women = len(community.index.tag("gender.female"))
    at_k = Audience(community.index, Privacy(k=women)).count("gender = female")
    assert at_k == {"expression": "gender = female", "count": women}
    above = Audience(community.index, Privacy(k=women + 1)).count("gender = female")
    assert above == {"expression": "gender = female", "count": f"<{women + 1}",
                     "suppressed": True}  # fmt: skip


def test_insight_cells_at_exactly_k_and_k_minus_1(community: Community) -> None:
    index = community.index
    segment = Audience(index, Privacy(k=1)).select("role.fan")
    cell = len(segment & index.tag("gender.male"))
    assert 0 < cell < len(segment)

    def male(k: int) -> dict[str, object]:
        result = Audience(index, Privacy(k=k)).insights("role.fan")
        rows = {row["tag"]: row for row in result["families"]["gender"]}
        return rows["gender.male"]

    assert male(cell)["count"] == cell
    assert "share" in male(cell)
    assert male(cell + 1)["count"] == f"<{cell + 1}"
    assert male(cell + 1)["suppressed"] is True


def test_profiles_at_exactly_k_and_k_minus_1(community: Community) -> None:
    index = community.index
    size = len(index.tag("role.fan"))
    shown = Audience(index, Privacy(k=size)).insights("role.fan")
    assert shown["count"] == size
    assert shown["families"]
    hidden = Audience(index, Privacy(k=size + 1)).insights("role.fan")
    assert hidden == {"expression": "role.fan", "count": f"<{size + 1}", "suppressed": True,
                      "families": {}}  # fmt: skip


def test_noisy_answers_stay_within_the_bounds_of_their_noise(community: Community) -> None:
    index = community.index
    privacy = Privacy(k=1, epsilon=0.25, epsilon_insights=2.0, epsilon_overlap=1.0,
                      rounding=10, key=KEY)  # fmt: skip
    audience = Audience(index, privacy)
    women = len(index.tag("gender.female"))
    assert within_noise(audience.count("gender = female")["count"], women, 0.25)
    result = audience.insights("role.fan")
    assert within_noise(result["count"], len(index.tag("role.fan")), 2.0, PROFILE_SENSITIVITY)
    fans = audience.select("role.fan")
    for row in result["families"]["age"]:
        if not row.get("suppressed"):
            exact = len(fans & index.tag(row["tag"]))
            assert within_noise(row["count"], exact, 2.0, PROFILE_SENSITIVITY)
    overlap = audience.overlap(["gender = female", "role.fan"])
    both = len(index.tag("gender.female") & fans)
    assert within_noise(overlap["pairs"][0]["count"], both, 1.0, 2 + 1 + 2)


def test_equivalent_rewrites_get_the_same_noisy_answer(community: Community) -> None:
    audience = Audience(community.index, Privacy(k=1, epsilon=0.25, rounding=1, key=KEY))
    a = audience.count("gender = male or interest.food")["count"]
    b = audience.count("interest.food or (gender = male)")["count"]
    c = audience.count("not not (interest.food or gender = male or interest.food)")["count"]
    assert a == b == c


# ---- saved references: bounded and evaluated once ------------------------------------------


def _nested(tmp_path: Path, fan_out: int, levels: int) -> SavedSegments:
    """Level 0 is a plain tag; each level i refers `fan_out` times to level i - 1 (the shape
    of the reported blow-up: 50/50/100 references over three levels)."""
    saved = SavedSegments(tmp_path)
    saved.save("l0", "interest.food")
    for level in range(1, levels + 1):
        refs = " or ".join([f"segment:l{level - 1}"] * fan_out)
        saved.save(f"l{level}", refs)
    return saved


def test_each_referenced_segment_is_evaluated_once(community: Community, tmp_path: Path) -> None:
    saved = _nested(tmp_path, fan_out=50, levels=3)  # 125,000 conditions written out
    calls: list[str] = []
    original = saved.get

    def counting(name: str) -> object:
        calls.append(name)
        return original(name)

    saved.get = counting  # type: ignore[method-assign]
    audience = Audience(community.index, Privacy(k=1), saved,
                        limits=ReferenceLimits(expansion=10**6, depth=8))  # fmt: skip
    started = time.perf_counter()
    members = audience.select("segment:l3")
    assert time.perf_counter() - started < 5  # was 9.3 s for this shape, exponential in depth
    assert members == community.index.tag("interest.food")
    assert sorted(calls) == ["l0", "l1", "l2", "l3"]  # each resolved once per question


def test_expansion_and_depth_over_the_bounds_are_precise_422s(
    community: Community, tmp_path: Path
) -> None:
    saved = _nested(tmp_path, fan_out=50, levels=3)
    audience = Audience(community.index, Privacy(k=1), saved)  # default: 10,000 conditions
    with pytest.raises(InvalidInput, match="more than 10000 conditions") as raised:
        audience.count("segment:l3")
    assert raised.value.extensions["limit"] == 10_000
    assert audience.count("segment:l2")["count"]  # 2,551 conditions: within the bound
    deep = SavedSegments(tmp_path / "deep")
    deep.save("d0", "interest.food")
    for level in range(1, 11):
        deep.save(f"d{level}", f"segment:d{level - 1} and role.fan")
    shallow = Audience(community.index, Privacy(k=1), deep)
    assert shallow.count("segment:d7")["count"]
    with pytest.raises(InvalidInput, match="deeper than 8 levels: d9 -> d8") as raised:
        shallow.count("segment:d9")
    assert raised.value.extensions == {"field": "expression", "limit": 8}
