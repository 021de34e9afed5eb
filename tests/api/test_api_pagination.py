"""Opaque cursors: what encode gives, decode takes back; anything else is a clean 422."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.api.pagination import decode_cursor, encode_cursor
from plaudit.errors import InvalidInput


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_cursors_round_trip(last_id: int) -> None:
    cursor = encode_cursor(last_id)
    assert decode_cursor(cursor) == last_id


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_cursors_are_url_safe_and_unpadded(last_id: int) -> None:
    cursor = encode_cursor(last_id)
    assert cursor
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6))
def test_distinct_ids_give_distinct_cursors(a: int, b: int) -> None:
    assert (encode_cursor(a) == encode_cursor(b)) == (a == b)


def test_no_cursor_means_the_first_page() -> None:
    assert decode_cursor(None) is None


@given(st.text(max_size=60))
def test_any_text_decodes_to_an_id_or_is_invalid_input(text: str) -> None:
    error: InvalidInput | None = None
    try:
        decoded = decode_cursor(text)
    except InvalidInput as exc:
        error = exc
    if error is None:
        assert isinstance(decoded, int)
    else:
        assert error.extensions == {"field": "cursor"}
        assert "cursor" in error.detail


@given(st.binary(max_size=40))
def test_any_base64_payload_decodes_to_an_id_or_is_invalid_input(payload: bytes) -> None:
    cursor = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    try:
        decoded = decode_cursor(cursor)
    except InvalidInput:
        return
    assert isinstance(decoded, int)
    assert payload.startswith(b"c1:")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor",
        "!!!!",
        "a",
        base64.urlsafe_b64encode(b"c2:5").decode(),
        base64.urlsafe_b64encode(b"c1:five").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        base64.urlsafe_b64encode(b"c1:" + b"9" * 5000).decode(),
        "é" * 8,
    ],
)
def test_garbage_cursors_are_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidInput, match="next_cursor"):
        decode_cursor(cursor)
