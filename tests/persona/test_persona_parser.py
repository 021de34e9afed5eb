"""The segment language parser: the documented examples, precise errors, and fuzzing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaudit.errors import InvalidInput
from plaudit.persona.language import Ages, And, Not, Or, SegmentRef, Tags, parse
from plaudit.persona.taxonomy import FAMILIES, TAGS

EXAMPLE = (
    "city_tier in (1, new1) and age in 25..35 and spend >= 5000 and gender = female "
    "and not interest.gaming"
)


def test_the_brand_example_parses() -> None:
    assert parse(EXAMPLE) == And(
        (
            Tags(("city_tier.1", "city_tier.new1")),
            Ages(25, 35),
            Tags(("spend.5000_10000", "spend.10000_plus")),
            Tags(("gender.female",)),
            Not(Tags(("interest.gaming",))),
        )
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("interest.food", Tags(("interest.food",))),
        ("INTEREST.FOOD", Tags(("interest.food",))),
        ("age > 30", Ages(31, 150)),
        ("age <= 17", Ages(0, 17)),
        ("age = 40", Ages(40, 40)),
        ("age = 25_29", Tags(("age.25_29",))),
        ("spend < 3000", Tags(("spend.0_1000", "spend.1000_3000"))),
        ("spend in 1000..5000", Tags(("spend.1000_3000", "spend.3000_5000"))),
        ("gender != male", Not(Tags(("gender.male",)))),
        ("province not in (gd, SH)", Not(Tags(("province.gd", "province.sh")))),
        ("segment:my_fans or role.creator", Or((SegmentRef("my_fans"), Tags(("role.creator",))))),
        (
            "gender = female and (age < 18 or not life.student)",
            And((Tags(("gender.female",)), Or((Ages(0, 17), Not(Tags(("life.student",))))))),
        ),
        ("not not role.fan", Not(Not(Tags(("role.fan",))))),
    ],
)
def test_forms(text: str, expected: object) -> None:
    assert parse(text) == expected


def test_and_binds_tighter_than_or() -> None:
    assert parse("role.fan or role.creator and gender = male") == Or(
        (Tags(("role.fan",)), And((Tags(("role.creator",)), Tags(("gender.male",)))))
    )


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        (
            "citytier in (1, new1)",
            "unknown tag 'citytier' at column 1; did you mean 'city_tier'?",
            1,
        ),
        ("gender = femal", "unknown gender 'femal' at column 10; did you mean 'female'?", 10),
        ("role.fan and interest.gamng", "did you mean 'interest.gaming'?", 14),
        ("spend >= 4000", "spend 4000 falls inside a band at column 10; use a band boundary", 10),
        ("age in 35..25", "empty range 35..25", 8),
        ("(role.fan", "expected ')', found the end at column 10", 10),
        ("gender", "expected =, !=, in", 7),
        ("role.fan role.creator", "expected 'and', 'or' or the end, found 'role.creator'", 10),
        ("gender = female & role.fan", "unexpected character '&'", 17),
        ("", "empty expression", 1),
        ("city_tier >= 2", "'city_tier' is not ordered", 14),
        ("spend = 5000", "spend is known as bands", 9),
    ],
)
def test_errors_point_at_the_column(text: str, message: str, column: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(text)
    assert message in caught.value.detail
    assert caught.value.extensions["column"] == column
    assert caught.value.extensions["field"] == "expression"


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(InvalidInput, match="nested"):
        parse("(" * 500 + "role.fan" + ")" * 500)
    with pytest.raises(InvalidInput, match="nested"):
        parse("not " * 500 + "role.fan")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_random_text_never_crashes(text: str) -> None:
    try:
        parse(text)
    except InvalidInput as exc:
        error = exc
    else:
        return
    assert "column" in error.extensions


VOCAB = [
    "and", "or", "not", "in", "(", ")", ",", "..", "=", "!=", "<", ">=", "age", "spend",
    "gender", "city_tier", "female", "1", "new1", "25", "5000", "segment:x", "segment:",
    "interest.food", "citytier", "!", "..35", "province", "gd",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(VOCAB + [t.id for t in TAGS[:20]]), max_size=12))
def test_random_token_soup_never_crashes(words: list[str]) -> None:
    try:
        parse(" ".join(words))
    except InvalidInput as exc:
        error = exc
    else:
        return
    assert error.extensions["column"] >= 1


DOCS = Path(__file__).resolve().parents[2] / "docs" / "segments.md"


def test_the_documented_errors_are_the_real_ones() -> None:
    text = DOCS.read_text()
    assert " ".join(EXAMPLE.split()) in " ".join(text.split())
    for bad, message in [
        ("citytier in (1, new1)", "unknown tag 'citytier' at column 1; did you mean 'city_tier'?"),
        ("gender = femal", "unknown gender 'femal' at column 10; did you mean 'female'?"),
        ("(gender = female", "expected ')', found the end at column 17"),
    ]:
        assert message in text
        with pytest.raises(InvalidInput) as caught:
            parse(bad)
        assert caught.value.detail == message


def test_every_family_is_in_the_documented_grammar() -> None:
    text = DOCS.read_text()
    for family in FAMILIES:
        assert f'"{family.id}"' in text, family.id
        assert f"| `{family.id}` |" in text, family.id
