"""Validation of handles, account kinds and profiles, and the bearer tokens."""

from __future__ import annotations

import base64
import hashlib
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.accounts.model import (
    ACCOUNT_KINDS,
    CITY_TIERS,
    GENDERS,
    SPENDING_BANDS,
    validate_handle,
    validate_kind,
    validate_profile,
)
from plaudit.accounts.tokens import TOKEN_PREFIX, hash_token, new_token
from plaudit.errors import InvalidInput

FIRST = string.ascii_letters + string.digits
REST = FIRST + "_.-"
THIS_YEAR = 2025

valid_handles = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(FIRST),
    st.text(alphabet=REST, min_size=2, max_size=63),
)


@given(valid_handles)
def test_valid_handles_are_accepted_unchanged(handle: str) -> None:
    assert validate_handle(handle) == handle


@given(valid_handles, st.integers(min_value=0, max_value=64), st.sampled_from(" \t\n\r"))
def test_handles_with_whitespace_anywhere_are_rejected(handle: str, at: int, space: str) -> None:
    at = min(at, len(handle))
    with pytest.raises(InvalidInput) as caught:
        validate_handle(handle[:at] + space + handle[at:])
    assert caught.value.extensions == {"field": "handle"}


def test_a_trailing_newline_does_not_make_a_second_alice() -> None:
    with pytest.raises(InvalidInput):
        validate_handle("alice\n")


@given(st.text(alphabet=REST, min_size=65, max_size=100))
def test_handles_longer_than_64_are_rejected(handle: str) -> None:
    with pytest.raises(InvalidInput):
        validate_handle(handle)


@pytest.mark.parametrize(
    "handle", ["", "a", "ab", "_abc", ".abc", "-abc", "al ice", "ali$e", "ä" * 5]
)
def test_short_badly_started_or_odd_handles_are_rejected(handle: str) -> None:
    with pytest.raises(InvalidInput, match="handle"):
        validate_handle(handle)


@given(st.text(max_size=80))
def test_handle_validation_accepts_exactly_the_documented_shape(text: str) -> None:
    documented = 3 <= len(text) <= 64 and text[0] in FIRST and all(ch in REST for ch in text[1:])
    if documented:
        assert validate_handle(text) == text
    else:
        with pytest.raises(InvalidInput):
            validate_handle(text)


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
def test_known_kinds_are_accepted(kind: str) -> None:
    assert validate_kind(kind) == kind


@pytest.mark.parametrize("kind", ["", "Fan", "admin", "creator ", "bot"])
def test_other_kinds_are_rejected_naming_the_field(kind: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_kind(kind)
    assert caught.value.extensions == {"field": "kind"}


@given(st.integers(min_value=THIS_YEAR - 120, max_value=THIS_YEAR - 13))
def test_birth_years_for_ages_13_to_120_are_accepted(year: int) -> None:
    assert validate_profile({"birth_year": year}, THIS_YEAR) == {"birth_year": year}


@given(
    st.one_of(
        st.integers(max_value=THIS_YEAR - 121),
        st.integers(min_value=THIS_YEAR - 12),
    )
)
def test_birth_years_outside_13_to_120_are_rejected(year: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_profile({"birth_year": year}, THIS_YEAR)
    assert caught.value.extensions == {"field": "birth_year"}


@pytest.mark.parametrize(
    ("name", "choices"),
    [("gender", GENDERS), ("city_tier", CITY_TIERS), ("spending_band", SPENDING_BANDS)],
)
def test_profile_choices(name: str, choices: tuple[str, ...]) -> None:
    for choice in choices:
        assert validate_profile({name: choice}, THIS_YEAR) == {name: choice}
    assert validate_profile({name: None}, THIS_YEAR) == {name: None}
    for bad in ["", "unknown", choices[0].upper() + "x", 1]:
        with pytest.raises(InvalidInput) as caught:
            validate_profile({name: bad}, THIS_YEAR)
        assert caught.value.extensions == {"field": name}


def test_an_empty_update_is_valid() -> None:
    assert validate_profile({}, THIS_YEAR) == {}


def test_tokens_carry_the_prefix_and_256_bits_of_randomness() -> None:
    token = new_token()
    assert token.startswith(TOKEN_PREFIX)
    assert TOKEN_PREFIX == "pl_"
    random_part = token[len(TOKEN_PREFIX) :]
    assert len(base64.urlsafe_b64decode(random_part + "=")) == 32
    assert len(token) <= 128


def test_tokens_do_not_repeat() -> None:
    tokens = {new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    # 256 random bits are 42 full base64 characters (and 4 bits in the 43rd): each of the
    # 42 positions takes nearly all 64 values over 2000 tokens; a fixed or low-entropy part
    # would not.
    for position in range(len(TOKEN_PREFIX), len(TOKEN_PREFIX) + 42):
        assert len({t[position] for t in tokens}) > 50


@given(st.text())
def test_hash_is_the_sha256_of_the_token(token: str) -> None:
    digest = hash_token(token)
    assert digest == hashlib.sha256(token.encode("utf-8")).digest()
    assert len(digest) == 32
