"""Receipts: c2sp.org/tlog-proof files whose `extra` carries the entry and its openings."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.ledger.receipts import (
    HEADER,
    Openings,
    ReceiptFormatError,
    format_receipt,
    parse_receipt,
)

CHECKPOINT = (
    "example.com/log\n7\n" + base64.b64encode(bytes(32)).decode() + "\n\n— example.com/log AAAA\n"
)
DEVICE = Openings(12, b"a" * 32, b"d" * 32, "phone-1", "Mozilla/5.0", "203.0.113.0/24")
NO_DEVICE = Openings(12, b"a" * 32, None, "", "", "")

texts = st.text(max_size=40)


@st.composite
def openings(draw: st.DrawFn) -> Openings:
    account = draw(st.binary(min_size=32, max_size=32))
    if draw(st.booleans()):
        return Openings(draw(st.integers(1, 2**62)), account, None, "", "", "")
    return Openings(
        draw(st.integers(1, 2**62)),
        account,
        draw(st.binary(min_size=32, max_size=32)),
        draw(texts),
        draw(texts),
        draw(texts),
    )


@given(
    st.integers(0, 2**63),
    st.lists(st.binary(min_size=32, max_size=32), max_size=64),
    st.binary(min_size=1, max_size=200),
    openings(),
)
def test_round_trip(index: int, proof: list[bytes], entry: bytes, opened: Openings) -> None:
    text = format_receipt(index, proof, CHECKPOINT, entry, opened)
    receipt = parse_receipt(text)
    assert receipt.index == index
    assert receipt.proof == proof
    assert receipt.entry == entry
    assert receipt.openings == opened
    assert receipt.checkpoint == CHECKPOINT


def test_the_file_is_a_tlog_proof() -> None:
    text = format_receipt(3, [b"\x01" * 32, b"\x02" * 32], CHECKPOINT, b"entry", DEVICE)
    lines = text.split("\n")
    assert lines[0] == HEADER == "c2sp.org/tlog-proof@v1"
    assert lines[1].startswith("extra ")
    assert lines[2] == "index 3"
    assert lines[3:5] == [
        base64.b64encode(b"\x01" * 32).decode(),
        base64.b64encode(b"\x02" * 32).decode(),
    ]
    assert lines[5] == ""
    assert text.endswith("\n\n" + CHECKPOINT)
    extra = json.loads(base64.b64decode(lines[1][6:]))
    assert extra["format"] == "plaudit-receipt/v1"
    assert extra["openings"]["device"]["device_id"] == "phone-1"


def _replace_line(text: str, number: int, line: str) -> str:
    lines = text.split("\n")
    lines[number] = line
    return "\n".join(lines)


def _extra(payload: object) -> str:
    return "extra " + base64.b64encode(json.dumps(payload).encode()).decode()


GOOD = format_receipt(3, [b"\x01" * 32], CHECKPOINT, b"entry", DEVICE)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.split("\n\n")[0] + "\n", "no empty line"),
        (_replace_line(GOOD, 0, "c2sp.org/tlog-proof@v2"), "first line"),
        (_replace_line(GOOD, 1, "index 3"), "lines 2 and 3"),
        (_replace_line(GOOD, 2, "index three"), "index a decimal"),
        (_replace_line(GOOD, 1, "extra !!!"), "extra is not valid base64"),
        (_replace_line(GOOD, 1, _extra({"format": "other/v1"})), "not a plaudit-receipt/v1"),
        (_replace_line(GOOD, 1, _extra([1, 2])), "not a plaudit-receipt/v1"),
        (_replace_line(GOOD, 3, "not*base64"), "proof hash 0 is not valid base64"),
        (
            _replace_line(GOOD, 1, _extra({"format": "plaudit-receipt/v1", "entry": 5})),
            "entry must be a base64 string",
        ),
        (
            _replace_line(
                GOOD,
                1,
                _extra({"format": "plaudit-receipt/v1", "entry": "AA==", "openings": {}}),
            ),
            "integer account_id",
        ),
        (
            _replace_line(
                GOOD,
                1,
                _extra(
                    {
                        "format": "plaudit-receipt/v1",
                        "entry": "AA==",
                        "openings": {
                            "account_id": 1,
                            "account": "AA==",
                            "device": {"opening": "AA=="},
                        },
                    }
                ),
            ),
            "must be strings",
        ),
    ],
)
def test_malformed_receipts_are_rejected(text: str, message: str) -> None:
    with pytest.raises(ReceiptFormatError, match=message):
        parse_receipt(text)


def test_tampering_with_a_field_changes_what_is_parsed() -> None:
    """Parsing authenticates nothing (tlog-proof: extra is not authenticated): verification
    must catch these, and test_ledger_verify does."""
    receipt = parse_receipt(GOOD)
    forged = _replace_line(GOOD, 2, "index 4")
    assert parse_receipt(forged).index == 4 != receipt.index
