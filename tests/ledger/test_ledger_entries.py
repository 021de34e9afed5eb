"""Entry encoding v1: canonical round trips, strict rejection, commitments that hide."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.ledger.entries import (
    ENTRY_VERSION,
    Entry,
    EntryFormatError,
    Kind,
    account_commitment,
    account_opening,
    body_commitment,
    body_opening,
    decode_entry,
    device_commitment,
    device_opening,
    encode_entry,
)

u64 = st.integers(0, (1 << 64) - 1)
hash32 = st.binary(min_size=32, max_size=32)
short_text = st.text(max_size=60).filter(lambda t: len(t.encode()) <= 255)


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    kind = draw(st.sampled_from(Kind))
    device = None if kind in (Kind.FOLLOW, Kind.UNFOLLOW) else draw(st.none() | hash32)
    return Entry(
        kind=kind,
        time_us=draw(u64),
        target_id=draw(u64),
        source=draw(short_text),
        account=draw(hash32),
        device=device,
        body=draw(hash32) if kind == Kind.COMMENT else None,
        channel=draw(short_text) if kind == Kind.SHARE else None,
    )


LIKE = Entry(Kind.LIKE, 1_700_000_000_000_000, 42, "campaign:7", bytes(range(32)), b"\x07" * 32)


@given(entries())
def test_round_trip(entry: Entry) -> None:
    data = encode_entry(entry)
    assert decode_entry(data) == entry
    assert encode_entry(decode_entry(data)) == data


def test_the_layout_is_the_documented_one() -> None:
    data = encode_entry(LIKE)
    assert data[0] == ENTRY_VERSION
    assert data[1] == Kind.LIKE
    assert int.from_bytes(data[2:10], "big") == LIKE.time_us
    assert int.from_bytes(data[10:18], "big") == 42
    assert data[18] == len("campaign:7")
    assert data[19:29] == b"campaign:7"
    assert data[29:61] == LIKE.account
    assert data[61:62] == b"\x01"
    assert data[62:94] == LIKE.device
    assert len(data) == 94


def test_comment_and_share_carry_their_fields() -> None:
    comment = Entry(Kind.COMMENT, 1, 2, "app", bytes(32), None, body=b"\x05" * 32)
    assert encode_entry(comment)[-33:] == b"\x00" + b"\x05" * 32
    share = Entry(Kind.SHARE, 1, 2, "app", bytes(32), None, channel="wechat")
    assert encode_entry(share).endswith(b"\x06wechat")


@given(entries(), st.data())
def test_every_truncation_is_rejected(entry: Entry, data: st.DataObject) -> None:
    encoded = encode_entry(entry)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    with pytest.raises(EntryFormatError):
        decode_entry(encoded[:cut])


@given(entries(), st.binary(min_size=1, max_size=8))
def test_trailing_bytes_are_rejected(entry: Entry, extra: bytes) -> None:
    with pytest.raises(EntryFormatError, match="after its end"):
        decode_entry(encode_entry(entry) + extra)


@pytest.mark.parametrize(
    ("offset", "value", "message"),
    [
        (0, 2, "version 2 is not supported"),
        (0, 0, "version 0 is not supported"),
        (1, 0, "kind 0 is unknown"),
        (1, 99, "kind 99 is unknown"),
        (61, 2, "device flag is 2"),
    ],
)
def test_bad_header_fields_are_rejected(offset: int, value: int, message: str) -> None:
    data = bytearray(encode_entry(LIKE))
    data[offset] = value
    with pytest.raises(EntryFormatError, match=message):
        decode_entry(bytes(data))


def test_a_source_that_is_not_utf8_is_rejected() -> None:
    data = bytearray(encode_entry(LIKE))
    data[19] = 0xFF
    with pytest.raises(EntryFormatError, match="source is not UTF-8"):
        decode_entry(bytes(data))


def test_a_comment_needs_its_body_commitment() -> None:
    with pytest.raises(EntryFormatError, match="body commitment"):
        encode_entry(Entry(Kind.COMMENT, 1, 2, "app", bytes(32)))


def test_texts_longer_than_255_bytes_cannot_be_encoded() -> None:
    with pytest.raises(EntryFormatError, match="source is 256 bytes"):
        encode_entry(Entry(Kind.LIKE, 1, 2, "x" * 256, bytes(32)))


SECRET = b"s" * 32


def test_account_commitments_link_one_video_and_not_two() -> None:
    def commit(account: int, kind: Kind, target: int) -> bytes:
        return account_commitment(account, kind, target, account_opening(SECRET, kind, target))

    assert commit(5, Kind.LIKE, 10) == commit(5, Kind.UNLIKE, 10)  # unlikes pair with likes
    assert commit(5, Kind.LIKE, 10) == commit(5, Kind.COMMENT, 10)
    assert commit(5, Kind.LIKE, 10) != commit(5, Kind.LIKE, 11)
    assert commit(5, Kind.LIKE, 10) != commit(6, Kind.LIKE, 10)
    # A follow of creator 10 is not a like of video 10.
    assert commit(5, Kind.FOLLOW, 10) != commit(5, Kind.LIKE, 10)
    assert commit(5, Kind.FOLLOW, 10) == commit(5, Kind.UNFOLLOW, 10)


def test_a_wrong_opening_does_not_open_the_commitment() -> None:
    right = account_opening(SECRET, Kind.LIKE, 10)
    wrong = account_opening(b"t" * 32, Kind.LIKE, 10)
    assert account_commitment(5, Kind.LIKE, 10, right) != account_commitment(
        5, Kind.LIKE, 10, wrong
    )


def test_device_and_body_commitments_are_salted_per_entry() -> None:
    first = device_commitment(device_opening(SECRET, 1), "dev", "agent", "10.0.0.0/24")
    second = device_commitment(device_opening(SECRET, 2), "dev", "agent", "10.0.0.0/24")
    assert first != second
    assert body_commitment(body_opening(SECRET, 1), "hi") != body_commitment(
        body_opening(SECRET, 2), "hi"
    )
    # Length-prefixed fields: moving a character from one field to the next changes it.
    opening = device_opening(SECRET, 1)
    assert device_commitment(opening, "ab", "c", "") != device_commitment(opening, "a", "bc", "")
