"""The ledger's entries: a versioned, canonical binary encoding with no personal data in it.

Every accepted interaction becomes one entry, and so does every revocation of a like by an
authenticity verdict and every reinstatement after an appeal (kinds REVOKE and REINSTATE:
target = the video, account = the SAME commitment as the like's, source = `verdict:<id>`,
no device). What is in clear: the kind, the time (UTC microseconds), the target (a video id,
or a creator's account id for follows), the source (`campaign:<id>` discloses an
incentivised like) and, for shares, the channel. What is only committed to:

* the account, as a commitment per (account, target): the same account liking the same video
  twice shows up as the same commitment (an auditor sees duplicates and pairs unlikes with
  likes) but the commitments of one account on two videos are unrelated;
* the device (device id, user agent, IP prefix), salted per entry, so devices cannot be
  followed across entries;
* a comment's text, salted per entry.

Openings are derived from a per-account secret with HMAC-SHA256; the account owner fetches
them in a receipt. Deleting the secret (crypto-shredding) makes every entry of the account
unlinkable to it while the log stays append-only. The format is documented in
docs/ledger-format.md; version 1 layout, all integers big-endian:

    u8 version (=1) | u8 kind | u64 time_us | u64 target_id | u8 len | source (UTF-8)
    | 32 account commitment | u8 has_device | [32 device commitment]
    | comment: 32 body commitment | share: u8 len | channel (UTF-8)
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NamedTuple

from plaudit.ledger.errors import LedgerError

__all__ = [
    "ENTRY_VERSION",
    "QUARANTINE_SOURCE_PREFIX",
    "ROW_HASHING",
    "TIME_US_MAX",
    "TIME_US_MIN",
    "Entry",
    "EntryFormatError",
    "Kind",
    "RowHashing",
    "account_commitment",
    "account_opening",
    "body_commitment",
    "body_opening",
    "decode_entry",
    "device_commitment",
    "device_field",
    "device_opening",
    "encode_entry",
    "hmac_pads",
    "hmac_with_pads",
    "quarantine_entry",
]

ENTRY_VERSION = 1
_HEAD = struct.Struct(">BBQQ")
TIME_US_MIN = 0
"""The earliest time an entry can hold: 1970-01-01T00:00:00Z (the field is unsigned)."""
TIME_US_MAX = 2**64 - 1
"""The latest: the largest `uint64` (far beyond year 9999, the last a datetime can name)."""
_U64_MAX = 2**64 - 1
QUARANTINE_SOURCE_PREFIX = "quarantined:"


class EntryFormatError(LedgerError):
    """Bytes that are not a valid entry of a known version: the log or the file is corrupt."""

    status = 500
    type = "entry-format"
    title = "Malformed ledger entry"


class Kind(IntEnum):
    LIKE = 1
    UNLIKE = 2
    COMMENT = 3
    FOLLOW = 4
    UNFOLLOW = 5
    SHARE = 6
    REVOKE = 7  # a verdict took an active like out of the authentic count (an authenticity scan)
    REINSTATE = 8  # an appeal gave a revoked like back
    QUARANTINED = 9  # an event the integrator could not encode holds its place (issue 17)


_FOLLOW_KINDS = (Kind.FOLLOW, Kind.UNFOLLOW)


def target_type(kind: Kind) -> int:
    """0 for a video, 1 for a creator: commitments of follows never equal those of likes."""
    return 1 if kind in _FOLLOW_KINDS else 0


@dataclass(frozen=True)
class Entry:
    """A decoded entry; `device` and the kind-specific fields are None when absent."""

    kind: Kind
    time_us: int
    target_id: int
    source: str
    account: bytes
    device: bytes | None = None
    body: bytes | None = None
    channel: str | None = None


def _u64(value: int) -> bytes:
    return value.to_bytes(8, "big")


def account_opening(secret: bytes, kind: Kind, target_id: int) -> bytes:
    """The per-(account, target) opening: HMAC(secret, domain | target type | target id)."""
    message = b"plaudit/ledger/v1/account-opening" + bytes([target_type(kind)]) + _u64(target_id)
    return hmac.digest(secret, message, "sha256")


def account_commitment(account_id: int, kind: Kind, target_id: int, opening: bytes) -> bytes:
    head = b"plaudit/ledger/v1/account" + _u64(account_id) + bytes([target_type(kind)])
    return hashlib.sha256(head + _u64(target_id) + opening).digest()


def device_opening(secret: bytes, seq: int) -> bytes:
    return hmac.digest(secret, b"plaudit/ledger/v1/device-opening" + _u64(seq), "sha256")


def device_field(text: str) -> bytes:
    """One field of a device commitment: its UTF-8 length (uint16) and bytes."""
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


def device_commitment(opening: bytes, device_key: str, user_agent: str, ip_prefix: str) -> bytes:
    fields = device_field(device_key) + device_field(user_agent) + device_field(ip_prefix)
    return hashlib.sha256(b"plaudit/ledger/v1/device" + opening + fields).digest()


def body_opening(secret: bytes, seq: int) -> bytes:
    return hmac.digest(secret, b"plaudit/ledger/v1/body-opening" + _u64(seq), "sha256")


def body_commitment(opening: bytes, body: str) -> bytes:
    return hashlib.sha256(b"plaudit/ledger/v1/body" + opening + body.encode()).digest()


def _short_text(text: str, what: str) -> bytes:
    data = text.encode()
    if len(data) > 255:
        raise EntryFormatError(f"{what} is {len(data)} bytes; an entry holds at most 255")
    return bytes([len(data)]) + data


def _check_range(entry: Entry) -> None:
    """The header's explicit ranges: an entry outside them is refused, never wrapped."""
    if not TIME_US_MIN <= entry.time_us <= TIME_US_MAX:
        raise EntryFormatError(
            f"time {entry.time_us} us is outside the entry's range {TIME_US_MIN}..{TIME_US_MAX} "
            "(UTC microseconds since 1970-01-01, unsigned)"
        )
    if not 0 <= entry.target_id <= _U64_MAX:
        raise EntryFormatError(f"target {entry.target_id} is outside 0..{_U64_MAX}")
    if len(entry.account) != 32 or (entry.device is not None and len(entry.device) != 32):
        raise EntryFormatError("account and device commitments are 32 bytes each")


def quarantine_entry(time_us: int, kind_name: str) -> Entry:
    """The placeholder that keeps a quarantined event's index (docs/ledger-format.md).

    It names only the kind of the event it replaces, never who or what: target 0, an
    all-zero account commitment, no device. Counting ignores it; the audit lists it.
    """
    return Entry(Kind.QUARANTINED, time_us, 0, QUARANTINE_SOURCE_PREFIX + kind_name, bytes(32))


def encode_entry(entry: Entry) -> bytes:
    """The canonical bytes of an entry (what the leaf hash commits to).

    Raises EntryFormatError for a time, target or text outside the format's ranges.
    """
    _check_range(entry)
    parts = [
        _HEAD.pack(ENTRY_VERSION, entry.kind, entry.time_us, entry.target_id),
        _short_text(entry.source, "source"),
        entry.account,
        b"\x00" if entry.device is None else b"\x01" + entry.device,
    ]
    if entry.kind == Kind.COMMENT:
        if entry.body is None:
            raise EntryFormatError("a comment entry needs its body commitment")
        parts.append(entry.body)
    elif entry.kind == Kind.SHARE:
        parts.append(_short_text(entry.channel or "", "channel"))
    return b"".join(parts)


_SHA256 = hashlib.sha256
_BLOCK = 64  # SHA-256's block size, the HMAC key size (RFC 2104)
_INNER = bytes(byte ^ 0x36 for byte in range(256))  # ipad, as a bytes.translate table
_OUTER = bytes(byte ^ 0x5C for byte in range(256))  # opad


def hmac_pads(secret: bytes) -> tuple[bytes, bytes]:
    """The two padded keys of HMAC-SHA256 with `secret` (RFC 2104): (K xor ipad, K xor opad).

    With them an HMAC is two plain SHA-256 calls, ``H(opad_key || H(ipad_key || m))``,
    which is what ``hmac.digest`` computes too, at a third of its cost per call on OpenSSL
    3 (no key schedule, no digest fetch); an entry's two or three openings share one pair.
    """
    key = secret if len(secret) <= _BLOCK else _SHA256(secret).digest()
    key = key.ljust(_BLOCK, b"\x00")
    return key.translate(_INNER), key.translate(_OUTER)


def hmac_with_pads(pads: tuple[bytes, bytes], message: bytes) -> bytes:
    """HMAC-SHA256 of `message` under the key whose `hmac_pads` these are."""
    return _SHA256(pads[1] + _SHA256(pads[0] + message).digest()).digest()


class RowHashing(NamedTuple):
    """The compiled batch functions (`_batchhash.c`) an integrator builds a round with: each
    takes a row count and columns (bytes for every row, or one bytes per row) and returns
    one result per row, the SHA-256 / HMAC-SHA256 of the row's columns joined, or the joined
    bytes themselves. A whole round's openings, commitments and entries then cost a few
    calls instead of several per entry. `epoch_us` turns a column of stored times (SQLite's
    naive UTC text) into microseconds since the epoch, leaving any other value as it is.
    `entries` builds a round's whole entries from the store's rows in one call (the
    integrator's `build_entries`), leaving the rows it does not take to the others."""

    sha256_rows: Callable[..., list[bytes]]
    hmac_rows: Callable[..., list[bytes]]
    join_rows: Callable[..., list[bytes]]
    epoch_us: Callable[[Sequence[Any]], list[Any]]
    entries: Callable[..., tuple[list[bytes], list[tuple[Any, ...]]]]


ROW_HASHING: RowHashing | None
"""The batch functions when the optional C extension is built, else None (hashlib then)."""
try:
    from plaudit.ledger import _batchhash

    ROW_HASHING = RowHashing(
        _batchhash.sha256_rows,
        _batchhash.hmac_rows,
        _batchhash.join_rows,
        _batchhash.epoch_us,
        _batchhash.entries,
    )
except ImportError:  # pragma: no cover - an install without a C compiler or libssl-dev
    ROW_HASHING = None


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, count: int, what: str) -> bytes:
        if self.at + count > len(self.data):
            raise EntryFormatError(f"entry ends inside its {what} (at byte {self.at})")
        chunk = self.data[self.at : self.at + count]
        self.at += count
        return chunk

    def text(self, what: str) -> str:
        length = self.take(1, what)[0]
        try:
            return self.take(length, what).decode()
        except UnicodeDecodeError:
            raise EntryFormatError(f"entry {what} is not UTF-8") from None


def decode_entry(data: bytes) -> Entry:
    """Parse entry bytes strictly: unknown versions or kinds and trailing bytes are errors."""
    reader = _Reader(data)
    version, kind_code, time_us, target_id = _HEAD.unpack(reader.take(_HEAD.size, "header"))
    if version != ENTRY_VERSION:
        raise EntryFormatError(f"entry version {version} is not supported (expected 1)")
    try:
        kind = Kind(kind_code)
    except ValueError:
        raise EntryFormatError(f"entry kind {kind_code} is unknown") from None
    source = reader.text("source")
    account = reader.take(32, "account commitment")
    has_device = reader.take(1, "device flag")[0]
    if has_device not in (0, 1):
        raise EntryFormatError(f"entry device flag is {has_device}; expected 0 or 1")
    device = reader.take(32, "device commitment") if has_device else None
    body = reader.take(32, "body commitment") if kind == Kind.COMMENT else None
    channel = reader.text("channel") if kind == Kind.SHARE else None
    if reader.at != len(data):
        raise EntryFormatError(f"entry has {len(data) - reader.at} bytes after its end")
    return Entry(kind, time_us, target_id, source, account, device, body, channel)
