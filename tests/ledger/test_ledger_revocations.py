"""REVOKE and REINSTATE entries: their encoding, and how the audit's tally pairs them with
the like they concern (by video and account commitment)."""

from __future__ import annotations

import pytest

from plaudit.ledger.entries import (
    Entry,
    EntryFormatError,
    Kind,
    account_commitment,
    account_opening,
    decode_entry,
    encode_entry,
)
from plaudit.ledgerstore.audit import Tally, VideoCounts

A, B = b"a" * 32, b"b" * 32


def _entry(kind: Kind, video: int, account: bytes, source: str = "app") -> bytes:
    return encode_entry(Entry(kind, 1_700_000_000_000_000, video, source, account))


def test_a_revoke_entry_round_trips_with_the_likes_own_commitment() -> None:
    secret = bytes(range(32))
    like_commitment = account_commitment(7, Kind.LIKE, 42, account_opening(secret, Kind.LIKE, 42))
    revoke_commitment = account_commitment(
        7, Kind.REVOKE, 42, account_opening(secret, Kind.REVOKE, 42)
    )
    assert revoke_commitment == like_commitment  # a verifier pairs them without the account
    data = _entry(Kind.REVOKE, 42, revoke_commitment, "verdict:3")
    assert data[1] == 7
    entry = decode_entry(data)
    assert (entry.kind, entry.target_id, entry.source, entry.device) == (
        Kind.REVOKE,
        42,
        "verdict:3",
        None,
    )
    assert decode_entry(_entry(Kind.REINSTATE, 42, A, "verdict:3")).kind == Kind.REINSTATE
    with pytest.raises(EntryFormatError, match="kind 10 is unknown"):  # 9: quarantined
        decode_entry(bytes([1, 10]) + data[2:])


def test_the_tally_counts_revoked_likes_until_reinstated_or_unliked() -> None:
    tally = Tally()
    tally.add(
        0,
        [
            _entry(Kind.LIKE, 1, A, "campaign:4"),
            _entry(Kind.LIKE, 1, B),
            _entry(Kind.REVOKE, 1, A, "verdict:1"),
            _entry(Kind.REVOKE, 1, B, "verdict:1"),
            _entry(Kind.REINSTATE, 1, B, "verdict:1"),
            _entry(Kind.LIKE, 2, A),
            _entry(Kind.REVOKE, 2, A, "verdict:2"),
            _entry(Kind.UNLIKE, 2, A),  # ends the like and its revocation
            _entry(Kind.LIKE, 2, A),  # a new like, not revoked
        ],
    )
    assert tally.anomalies == []
    videos = tally.videos()
    assert videos == {
        1: VideoCounts(likes=2, incentivised=1, revoked=1),
        2: VideoCounts(likes=1),
    }
    assert videos[1].authentic == 1


def test_the_tally_reports_impossible_revocations() -> None:
    tally = Tally()
    tally.add(
        10,
        [
            _entry(Kind.REVOKE, 1, A, "verdict:1"),  # no active like
            _entry(Kind.LIKE, 1, A),
            _entry(Kind.REVOKE, 1, A, "verdict:1"),
            _entry(Kind.REVOKE, 1, A, "verdict:2"),  # revoked already
            _entry(Kind.REINSTATE, 1, B, "verdict:1"),  # not revoked
        ],
    )
    assert [line.split(":")[0] for line in tally.anomalies] == ["entry 10", "entry 13", "entry 14"]
    assert "verdict:1" in tally.anomalies[0]
    assert "not active" in tally.anomalies[0]
    assert "(revoked at entry 12)" in tally.anomalies[1]
    assert "not revoked" in tally.anomalies[2]
    assert tally.videos() == {1: VideoCounts(likes=1, revoked=1)}
