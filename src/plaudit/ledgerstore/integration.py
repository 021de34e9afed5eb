"""The integrator: turns sequenced interactions into entries, extends the tree, signs.

One integrator per log. Each round reads the events after the integrated size, builds their
entries (entries.py), appends the leaf hashes, and in ONE write transaction stores the new
hash tiles, entry bundles, the signed checkpoint and the new size. A crash at any point
leaves either the old state or the new one: acknowledged interactions are already durable as
events, so integration simply resumes from the stored size, and every checkpoint extends the
previous tree (its tiles are never rewritten, only extended).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import multiprocessing
import os
import struct
import threading
from array import array
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from plaudit.config import Settings
from plaudit.errors import Conflict
from plaudit.ledger.checkpoint import Checkpoint, sign_checkpoint
from plaudit.ledger.entries import (
    ENTRY_VERSION,
    ROW_HASHING,
    Entry,
    EntryFormatError,
    Kind,
    RowHashing,
    account_commitment,
    account_opening,
    body_commitment,
    body_opening,
    device_commitment,
    device_field,
    device_opening,
    encode_entry,
    hmac_pads,
    quarantine_entry,
)
from plaudit.ledger.keys import Ed25519Signer
from plaudit.ledger.merkle import HASH_SIZE, NodeRun, TreeBuilder, leaf_hashes
from plaudit.ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    TileRef,
    decode_entry_bundle,
    extend_groups,
    tile_node_reader,
)
from plaudit.store import Database, utcnow
from plaudit.store.leader import Leadership
from plaudit.store.ledger import EventSource, LedgerSQL, Quarantined, time_us

__all__ = ["DeviceCache", "Integrator", "Sources", "build_entries"]

log = logging.getLogger(__name__)
_KIND = {kind.name.lower(): kind for kind in Kind}
# the kinds whose entry is dated by the row's removal (revocations: its reinstatement)
_AT_REMOVAL = frozenset({"unlike", "unfollow", "reinstate"})
_US = timedelta(microseconds=1)
_DEVICE_ID = EventSource._fields.index("device_id")
_CREATED_AT = EventSource._fields.index("created_at")
_REMOVED_AT = EventSource._fields.index("removed_at")
_NAIVE_EPOCH = datetime(1970, 1, 1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Sources:
    """The events of one round, each joined with its row, device and secret (typed rows).

    `pending` holds the secrets made by rounds not yet committed (this one included): a
    round read before the previous round's write committed must use the same secrets.
    """

    start: int
    rows: Sequence[tuple[Any, ...]]  # in `EventSource` field order (`LedgerSQL.event_sources`)
    pending: dict[int, bytes] = field(default_factory=dict)
    # device id -> (device key, user agent); rows from the store leave those two NULL
    devices: dict[int, tuple[str, str]] = field(default_factory=dict)
    new_secrets: list[tuple[int, bytes]] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        sql: LedgerSQL,
        start: int,
        count: int,
        pending: dict[int, bytes],
        known: DeviceCache | None = None,
    ) -> Sources:
        """The round's rows and devices; `known` keeps the devices read by earlier rounds of
        a catch-up (else this round's devices are read alone)."""
        rows = sql.event_sources(start, start + count)
        if len(rows) != count:
            found = {row[0] for row in rows}
            missing = [seq for seq in range(start, start + count) if seq not in found][:10]
            raise Conflict(f"events {missing} point at rows that are not in the store")
        device_ids = {row[_DEVICE_ID] for row in rows}
        device_ids.discard(None)
        devices = (known or DeviceCache()).covering(sql, device_ids)
        return cls(start, rows, pending, devices)

    def named(self, row: tuple[Any, ...]) -> EventSource:
        """The row as an `EventSource`, its device's key and user agent filled in."""
        source = EventSource._make(row)
        if source.device_key is None and source.device_id in self.devices:
            key, agent = self.devices[source.device_id]
            source = source._replace(device_key=key, user_agent=agent)
        return source

    def secret(self, row: EventSource) -> bytes:
        """The account's secret; made now when missing, random when shredded (unlinkable)."""
        return self.secret_for(row.account_id, row.has_secret, row.secret)

    def secret_for(self, account_id: int, has_secret: bool, stored: bytes | None) -> bytes:
        """`secret` from the row's three fields (the batch path unpacks rows, never names)."""
        if has_secret:
            return bytes(stored) if stored is not None else _random32()
        made = self.pending.get(account_id)
        if made is None:
            made = _random32()
            self.pending[account_id] = made
            self.new_secrets.append((account_id, made))
        return made


class DeviceCache:
    """The devices (key, user agent) read by the rounds of one catch-up, by id.

    A device row is never changed once written, and the medium demo's 1M devices come up
    again and again: a round of 262,144 events names about 160,000 of them, which cost
    about 1.1-1.6 us of CPU per event to read by id every round (docs/operations.md). Kept
    across rounds, each device is read about once per catch-up. Bounded by `limit` (about
    130 bytes a device, user agents shared): past it the cache starts again from the round's
    own devices (a new dict, so a round being built from the old one is undisturbed).
    """

    def __init__(self, limit: int = 2_000_000) -> None:
        self.limit = limit
        self._known: dict[int, tuple[str, str]] = {}
        self._agents: dict[str, str] = {}  # a user agent's one string (a few dozen distinct)
        self.read = 0  # devices read from the store so far

    def covering(self, sql: LedgerSQL, ids: set[int]) -> dict[int, tuple[str, str]]:
        """A dict holding at least the devices `ids` (read from `sql` when not known yet)."""
        known = self._known
        missing = [device for device in ids if device not in known]
        if len(known) + len(missing) > self.limit:
            known = self._known = {device: known[device] for device in ids if device in known}
        if missing:
            agents = self._agents
            for device, (key, agent) in sql.devices(missing).items():
                known[device] = (key, agents.setdefault(agent, agent))
            self.read += len(missing)
        return known


_RANDOM = threading.local()


def _random32() -> bytes:
    """32 bytes from os.urandom, drawn 4 KiB at a time (one system call per 128 secrets)."""
    pool: list[bytes] | None = getattr(_RANDOM, "pool", None)
    if not pool:
        block = os.urandom(4096)
        pool = _RANDOM.pool = [block[i : i + 32] for i in range(0, 4096, 32)]
    return pool.pop()


def _device(row: EventSource, secret: bytes) -> bytes | None:
    if row.device_id is None and row.ip_prefix is None:
        return None
    return device_commitment(
        device_opening(secret, row.seq),
        row.device_key or "",
        row.user_agent or "",
        row.ip_prefix or "",
    )


def _entry(sources: Sources, row: EventSource) -> Entry:
    """The entry of one event, built field by field (the reference for `build_entries`)."""
    kind = _KIND[row.kind]
    target_id, at = row.target_id, row.removed_at if row.kind in _AT_REMOVAL else row.created_at
    secret = sources.secret(row)
    account = account_commitment(
        row.account_id, kind, target_id, account_opening(secret, kind, target_id)
    )
    if kind in (Kind.FOLLOW, Kind.UNFOLLOW):
        return Entry(kind, time_us(at), target_id, row.source, account)
    if kind in (Kind.REVOKE, Kind.REINSTATE):
        # the like's own per-(account, video) commitment, so a verifier pairs them
        return Entry(kind, time_us(at), target_id, f"verdict:{row.detail}", account)
    if kind == Kind.UNLIKE:
        return Entry(kind, time_us(at), target_id, row.detail or row.source, account)
    device = _device(row, secret)
    if kind == Kind.COMMENT:
        body = body_commitment(body_opening(secret, row.seq), row.detail)
        return Entry(kind, time_us(at), target_id, row.source, account, device, body=body)
    if kind == Kind.SHARE:
        return Entry(kind, time_us(at), target_id, row.source, account, device, channel=row.detail)
    return Entry(kind, time_us(at), target_id, row.source, account, device)


# What a stored row can do to the encoder: a time before 1970 or past the format's range
# (EntryFormatError), a text too long, a stored time that does not parse. These are properties
# of the data, so retrying cannot help; anything else (the database) is retried.
_UNENCODABLE = (EntryFormatError, ValueError, OverflowError, struct.error)


def _encoded(sources: Sources, row: EventSource) -> bytes:
    """The entry of one event, or its quarantine placeholder when it cannot be encoded.

    The placeholder keeps the dense index (leaf i is event i), so every later event is still
    integrated and every proof and verifier keeps working; the event is recorded for the
    operator and logged as an error (docs/ledger-format.md, "Quarantined events").
    """
    try:
        return encode_entry(_entry(sources, row))
    except _UNENCODABLE as exc:
        reason = f"{type(exc).__name__}: {exc}"
        log.error(
            "LEDGER QUARANTINE: event %d (%s %d) cannot be encoded (%s); a placeholder holds "
            "its place; see `plaudit ledger quarantine`",
            row.seq,
            row.kind,
            row.ref_id,
            reason,
        )
        now = utcnow()
        sources.quarantined.append(Quarantined(row.seq, row.kind, row.ref_id, reason[:500], now))
        return encode_entry(quarantine_entry(time_us(now), row.kind))


# The constants of `build_entries`, each the same bytes as in plaudit.ledger.entries
# (docs/ledger-format.md); test_build_entries_gives_the_field_by_field_bytes holds them to it.
_HEADS = {name: bytes([ENTRY_VERSION, kind]) for name, kind in _KIND.items()}
_TIME_AND_TARGET = struct.Struct(">QQ").pack
_INNER = bytes(byte ^ 0x36 for byte in range(256))  # K xor ipad, as a bytes.translate table
_OUTER = bytes(byte ^ 0x5C for byte in range(256))  # K xor opad
_IPAD_TAIL, _OPAD_TAIL = b"\x36" * 32, b"\x5c" * 32  # a 32-byte key's zero padding, xored
_ACCOUNT_OPENING = (
    b"plaudit/ledger/v1/account-opening\x00",
    b"plaudit/ledger/v1/account-opening\x01",
)
_ACCOUNT = (b"\x00", b"\x01")  # the account commitment's target type, after the account id
_DEVICE_OPENING = b"plaudit/ledger/v1/device-opening"
_BODY_OPENING = b"plaudit/ledger/v1/body-opening"


def _as_recorded(
    name: str, at: Any, source: str, removed_at: Any, detail: Any, has_device: bool
) -> tuple[int, str, int, bool]:
    """An event row's time (microseconds since the epoch), source, follow flag (0 or 1: an
    account commitment to a follow target) and whether it carries a device, as the entry
    records them for its kind: a removal at its removal time, a verdict's source named
    after it. The times are the driver's (SQLite text, PostgreSQL datetimes) or already
    microseconds (an int: the batched builder converts a round's times in one call).
    KeyError for an unknown kind; the two entry builders share it."""
    follow, with_device = 0, False
    if name == "like" or name == "comment" or name == "share":
        with_device = has_device
    elif name == "unlike":
        at, source = removed_at, detail or source
    elif name == "follow":
        follow = 1
    elif name == "unfollow":
        at, follow = removed_at, 1
    elif name == "revoke":
        source = f"verdict:{detail}"
    elif name == "reinstate":
        at, source = removed_at, f"verdict:{detail}"
    else:
        raise KeyError(name)
    if type(at) is int:  # converted already (`RowHashing.epoch_us`)
        return at, source, follow, with_device
    if type(at) is str:
        return (datetime.fromisoformat(at) - _NAIVE_EPOCH) // _US, source, follow, with_device
    return (at - _EPOCH) // _US, source, follow, with_device


def _build_entries_inline(sources: Sources) -> list[bytes]:
    """`build_entries` with hashlib, when the compiled batch functions are not built.

    One loop over the driver's rows, each unpacked once, with every step of the encoding
    written out in it (no `Entry`, no call per entry but the hashes): this is the
    integrator's hottest Python, so what a helper would do is done inline, at about half
    the operations per entry of the encoder it replaced. The account's HMAC keys are its 32-byte
    secret translated through the ipad and opad tables plus their padding (RFC 2104; the
    bytes of `hmac_pads`), SHA-256 is called on whole concatenated messages, and repeated
    texts (sources, channels, device fields) are encoded once per round. An event it cannot
    encode (a value outside the format, a time in an unusual shape, an unknown kind) is
    built again by `_encoded`, the field-by-field reference, which quarantines it when it
    truly cannot be encoded (or raises as the reference does).
    """
    rows = sources.rows
    out: list[bytes] = [b""] * len(rows)
    base, devices, secret_of = sources.start, sources.devices, sources.secret_for
    sha, as_recorded = hashlib.sha256, _as_recorded
    heads, pack, acc_open, target_type = _HEADS, _TIME_AND_TARGET, _ACCOUNT_OPENING, _ACCOUNT
    inner_table, outer_table, inner_tail, outer_tail = _INNER, _OUTER, _IPAD_TAIL, _OPAD_TAIL
    texts: dict[str, bytes] = {}  # a source or channel: u8 length and UTF-8
    fields: dict[str | None, bytes] = {None: b"\x00\x00"}  # a device field: u16 length, UTF-8
    device_fields: dict[int | None, bytes] = {None: b"\x00\x00\x00\x00"}  # key and agent
    text_of, field_of, known_device = texts.get, fields.get, device_fields.get
    for row in sources.rows:
        (
            seq,
            name,
            _ref_id,
            account_id,
            target_id,
            source,
            device_id,
            ip_prefix,
            at,
            removed_at,
            detail,
            device_key,
            user_agent,
            has_secret,
            secret,
        ) = row
        try:
            if not has_secret or secret is None:
                secret = secret_of(account_id, has_secret, secret)
            if len(secret) == 32:
                inner = secret.translate(inner_table) + inner_tail
                outer = secret.translate(outer_table) + outer_tail
            else:
                inner, outer = hmac_pads(secret)
            at, source, follow, with_device = as_recorded(
                name, at, source, removed_at, detail, device_id is not None or ip_prefix is not None
            )
            text = text_of(source)
            if text is None:
                data = source.encode()
                text = texts[source] = bytes([len(data)]) + data  # ValueError past 255
            target = target_id.to_bytes(8, "big")
            opening = sha(outer + sha(inner + acc_open[follow] + target).digest()).digest()
            entry = (
                heads[name]
                + pack(at, target_id)
                + text
                + sha(
                    b"plaudit/ledger/v1/account"
                    + account_id.to_bytes(8, "big")
                    + target_type[follow]
                    + target
                    + opening
                ).digest()
            )
            if with_device:
                device = known_device(device_id)
                if device is None:  # the device's key and user agent, encoded once per round
                    key, agent = devices.get(device_id) or (device_key, user_agent)
                    device = device_field(key or "") + device_field(agent or "")
                    device_fields[device_id] = device
                prefix = field_of(ip_prefix)
                if prefix is None:
                    prefix = fields[ip_prefix] = device_field(ip_prefix)  # OverflowError: 64 KiB
                salt = seq.to_bytes(8, "big")
                opening = sha(outer + sha(inner + _DEVICE_OPENING + salt).digest()).digest()
                entry += (
                    b"\x01" + sha(b"plaudit/ledger/v1/device" + opening + device + prefix).digest()
                )
            else:
                entry += b"\x00"
            if name == "comment":
                salt = seq.to_bytes(8, "big")
                opening = sha(outer + sha(inner + _BODY_OPENING + salt).digest()).digest()
                entry += sha(b"plaudit/ledger/v1/body" + opening + detail.encode()).digest()
            elif name == "share":
                channel = detail or ""
                text = text_of(channel)
                if text is None:
                    data = channel.encode()
                    text = texts[channel] = bytes([len(data)]) + data
                entry += text
            out[seq - base] = entry
        except Exception:  # the reference path decides: quarantine, or raise as before
            out[seq - base] = _encoded(sources, sources.named(row))
    return out


def build_entries(sources: Sources) -> list[bytes]:
    """The encoded entries of the loaded events, in sequence order (quarantining any event
    that cannot be encoded: `sources.quarantined` lists them).

    With the compiled extension (`ROW_HASHING`), the round is one call over the driver's
    rows (`_build_entries_compiled`: no Python per entry, the hashing with the GIL
    released); without it, one hashlib loop (`_build_entries_inline`). Both give the bytes
    of the field-by-field reference (`_encoded`), which a Hypothesis test checks on rows of
    every kind. Automatic garbage collection is paused meanwhile (as the integrator does
    around a whole round): with it, the collector walked the round's hundreds of thousands
    of gathered tuples again and again, 40% more time.
    """
    with _without_collection():  # the columns are a tuple per row: no collector passes
        if ROW_HASHING is None:
            return _build_entries_inline(sources)
        return _build_entries_compiled(sources, ROW_HASHING)


def _build_entries_compiled(sources: Sources, batch: RowHashing) -> list[bytes]:
    """`build_entries` in one compiled call (`_batchhash.entries`): it reads each row's
    fields, settles its secret as `Sources.secret_for` does (new ones recorded in
    `sources.pending` and `sources.new_secrets`), and computes every opening, commitment
    and entry of the round without the GIL, so the writer thread runs meanwhile.

    The rows it does not take as they are (a value outside the format, a time in another
    shape, an unknown kind: see `_batchhash.c`) come back untouched and go through
    `_build_entries_batched`, which encodes or quarantines them as before.
    """
    out, left = batch.entries(
        sources.rows,
        sources.start,
        sources.devices,
        sources.pending,
        sources.new_secrets,
        os.urandom,  # new secrets: 32 bytes each, cut from one 4 KiB draw per 128
    )
    if left:
        _build_entries_batched(sources, batch, left, out)
    return out


def _build_entries_batched(
    sources: Sources,
    batch: RowHashing,
    rows: Sequence[tuple[Any, ...]] | None = None,
    out: list[bytes] | None = None,
) -> list[bytes]:
    """`build_entries` in two passes: Python reads each row once and gathers what its entry
    needs as columns (the secret, the encoded header, the message parts of its openings and
    commitments), then `batch` computes every HMAC opening, commitment and entry of the
    round column by column, with no Python call per entry. `rows` (default: the round's)
    are built into `out` at their `seq - sources.start` (default: a new list of the round's).

    Rows that cannot be encoded fail in the first pass, before anything of theirs is
    gathered, and are built by `_encoded` (quarantined when they truly cannot be encoded).
    """
    rows = sources.rows if rows is None else rows
    out = [b""] * len(sources.rows) if out is None else out
    base, devices, secret_of = sources.start, sources.devices, sources.secret_for
    as_recorded = _as_recorded
    heads, pack, acc_open, target_type = _HEADS, _TIME_AND_TARGET, _ACCOUNT_OPENING, _ACCOUNT
    texts: dict[str, bytes] = {}  # a source or channel: u8 length and UTF-8
    fields: dict[str | None, bytes] = {None: b"\x00\x00"}  # a device field: u16 length, UTF-8
    device_fields: dict[int | None, bytes] = {None: b"\x00\x00\x00\x00"}  # key and agent
    text_of, field_of, known_device = texts.get, fields.get, device_fields.get
    # one tuple per entry: (slot, head, time and target, source, secret, opening prefix,
    # target, account id, target type, device flag)
    common: list[tuple[Any, ...]] = []
    with_devices: list[tuple[int, bytes, bytes, bytes, bytes]] = []  # (entry, secret, salt, ..)
    comments: list[tuple[int, bytes, bytes, bytes]] = []  # (entry, secret, salt, body)
    shares: list[tuple[int, bytes]] = []  # (entry, channel)
    keep, keep_device = common.append, with_devices.append
    # the stored times of the round as microseconds in two calls (0.5 us an entry parsed
    # one by one); a time in any other shape stays as it is and is parsed by `_as_recorded`
    created = batch.epoch_us([row[_CREATED_AT] for row in rows])
    removed = batch.epoch_us([row[_REMOVED_AT] for row in rows])
    for row, at, removed_at in zip(rows, created, removed, strict=True):
        (
            seq,
            name,
            _ref_id,
            account_id,
            target_id,
            source,
            device_id,
            ip_prefix,
            _created_at,
            _removed_at,
            detail,
            device_key,
            user_agent,
            has_secret,
            secret,
        ) = row
        try:
            if not has_secret or secret is None:
                secret = secret_of(account_id, has_secret, secret)
            at, source, follow, with_device = as_recorded(
                name, at, source, removed_at, detail, device_id is not None or ip_prefix is not None
            )
            text = text_of(source)
            if text is None:
                data = source.encode()
                text = texts[source] = bytes([len(data)]) + data  # ValueError past 255
            when_and_target = pack(at, target_id)  # struct.error outside uint64
            account = account_id.to_bytes(8, "big")  # OverflowError outside int64
            if type(secret) is not bytes:
                secret = bytes(secret)  # a driver's memoryview
            if with_device:
                device = known_device(device_id)
                if device is None:  # the device's key and user agent, encoded once per round
                    key, agent = devices.get(device_id) or (device_key, user_agent)
                    device = device_field(key or "") + device_field(agent or "")
                    device_fields[device_id] = device
                prefix = field_of(ip_prefix)
                if prefix is None:
                    prefix = fields[ip_prefix] = device_field(ip_prefix)  # OverflowError: 64 KiB
                keep_device((len(common), secret, seq.to_bytes(8, "big"), device, prefix))
            if name == "comment":
                comments.append((len(common), secret, seq.to_bytes(8, "big"), detail.encode()))
            elif name == "share":
                channel = detail or ""
                channel_text = text_of(channel)
                if channel_text is None:
                    data = channel.encode()
                    channel_text = texts[channel] = bytes([len(data)]) + data
                shares.append((len(common), channel_text))
        except Exception:  # the reference path decides: quarantine, or raise as before
            out[seq - base] = _encoded(sources, sources.named(row))
            continue
        keep(
            (
                seq - base,
                heads[name],
                when_and_target,
                text,
                secret,
                acc_open[follow],
                when_and_target[8:],
                account,
                target_type[follow],
                b"\x01" if with_device else b"\x00",
            )
        )
    if not common:
        return out
    count = len(common)
    slots, kinds, when, source_texts, secrets, prefixes, targets, accounts, types, flags = zip(
        *common, strict=True
    )
    hmac_rows, sha256_rows = batch.hmac_rows, batch.sha256_rows
    openings = hmac_rows(count, secrets, prefixes, targets)
    commitments = sha256_rows(
        count, b"plaudit/ledger/v1/account", accounts, types, targets, openings
    )
    devices_made: list[bytes] = [b""] * count
    if with_devices:
        at_entry, keys, salts, known, prefixes = zip(*with_devices, strict=True)
        opened = hmac_rows(len(at_entry), keys, _DEVICE_OPENING, salts)
        made = sha256_rows(len(at_entry), b"plaudit/ledger/v1/device", opened, known, prefixes)
        for index, commitment in zip(at_entry, made, strict=True):
            devices_made[index] = commitment
    tails: list[bytes] = [b""] * count  # a comment's body commitment, a share's channel
    if comments:
        at_entry, keys, salts, bodies = zip(*comments, strict=True)
        opened = hmac_rows(len(at_entry), keys, _BODY_OPENING, salts)
        made = sha256_rows(len(at_entry), b"plaudit/ledger/v1/body", opened, bodies)
        for index, commitment in zip(at_entry, made, strict=True):
            tails[index] = commitment
    for index, channel_text in shares:
        tails[index] = channel_text
    entries = batch.join_rows(
        count, kinds, when, source_texts, commitments, flags, devices_made, tails
    )
    for slot, entry in zip(slots, entries, strict=True):
        out[slot] = entry
    return out


class _Frontier:
    """The rightmost (partial) hash tile of each tile level and the rightmost entry bundle,
    each as ``(index, items held, bytes as stored)``: a round's first tile or bundle of a
    level continues those bytes (`extend_groups`), with no list of hashes or entries kept."""

    def __init__(self) -> None:
        self.tiles: dict[int, tuple[int, int, bytes]] = {}
        self.bundle: tuple[int, int, bytes] = (0, 0, b"")

    def tile_updates(self, runs: Sequence[NodeRun], sql: LedgerSQL) -> dict[tuple[int, int], bytes]:
        touched: dict[tuple[int, int], bytes] = {}
        for run in runs:
            if run.level % TILE_HEIGHT or not run.hashes:
                continue
            tile_level = run.level // TILE_HEIGHT
            index, position = divmod(run.start, TILE_WIDTH)
            head = self._tile(tile_level, index, position, sql)
            groups = extend_groups(head, position, run.hashes, framed=False)
            for offset, data in enumerate(groups):
                touched[(tile_level, index + offset)] = data
            self.tiles[tile_level] = _rightmost(index, position, len(run.hashes), groups[-1])
        return touched

    def _tile(self, level: int, index: int, position: int, sql: LedgerSQL) -> bytes:
        known = self.tiles.get(level)
        if known is None or known[0] != index:
            stored = (sql.tile(level, index) or b"") if position else b""
            known = (index, len(stored) // HASH_SIZE, stored)
        if known[1] != position or len(known[2]) != position * HASH_SIZE:
            raise Conflict(f"tile {level}/{index} holds {known[1]} hashes, expected {position}")
        return known[2]

    def bundle_updates(
        self, start: int, entries: Sequence[bytes], sql: LedgerSQL
    ) -> dict[int, tuple[int, bytes]]:
        if not entries:
            return {}
        index, position = divmod(start, TILE_WIDTH)
        if self.bundle[0] != index or self.bundle[1] != position:
            self.bundle = (index, position, self._stored_bundle(index, position, sql))
        groups = extend_groups(self.bundle[2], position, entries, framed=True)
        touched: dict[int, tuple[int, bytes]] = {}
        held = position + len(entries)
        for offset, data in enumerate(groups):
            touched[index + offset] = (min(held, TILE_WIDTH), data)
            held -= TILE_WIDTH
        self.bundle = _rightmost(index, position, len(entries), groups[-1])
        return touched

    @staticmethod
    def _stored_bundle(index: int, position: int, sql: LedgerSQL) -> bytes:
        if position == 0:
            return b""
        stored = sql.bundle(index)
        if stored is None or stored[0] != position:
            raise Conflict(f"entry bundle {index} does not hold the {position} expected entries")
        decode_entry_bundle(stored[1], stored[0])  # its framing checked before it is extended
        return stored[1]


def _rightmost(index: int, position: int, added: int, last: bytes) -> tuple[int, int, bytes]:
    """The frontier's (index, items held, bytes) after `added` items were appended from
    `position` of group `index`, the last group made being `last`: a full last group
    leaves an empty next one."""
    groups, held = divmod(position + added, TILE_WIDTH)
    if held == 0:
        return (index + groups, 0, b"")
    return (index + groups, held, last)


def _done(value: Any) -> Future[Any]:
    """A value as a finished future (a round read in this thread, like one read by the
    reader)."""
    future: Future[Any] = Future()
    future.set_result(value)
    return future


def _abandon(reading: Future[Sources | _Pending | None]) -> None:
    """After a failure: wait for the next round's read (it only reads) and for the worker
    processes still building it."""
    if reading.cancel() or reading.exception() is not None:
        return
    read = reading.result()
    if isinstance(read, _Pending):
        read.cancel()


@contextmanager
def _without_collection() -> Iterator[None]:
    """Automatic garbage collection paused while a round builds its rows and entries.

    A round makes hundreds of thousands of tuples and bytes that all survive it, which
    triggers full collections over everything the process holds, again and again (a third
    of a round's time in the profile); nothing a round makes is a reference cycle. The
    collector runs as usual again when the round is built.
    """
    global _PAUSES, _WAS_ENABLED  # one count for the process: the collector is global
    with _PAUSE_LOCK:  # the reader thread and the builder may pause it at the same time
        if _PAUSES == 0:
            _WAS_ENABLED = gc.isenabled()
            gc.disable()
        _PAUSES += 1
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _PAUSES -= 1
            if _PAUSES == 0 and _WAS_ENABLED:
                gc.enable()


_PAUSE_LOCK = threading.Lock()
_PAUSES = 0
_WAS_ENABLED = False


def default_workers(cpus: int | None = None) -> int:
    """Worker processes for large rounds: none on two CPUs or fewer, else one per CPU up to 4.

    On 2 CPUs the workers cost a third more CPU per entry (their start-up, the query for
    accounts without a secret, the entries' round trip) and gave no faster catch-up
    (benchmarks/ledger_e2e.py on a 20M-event store: 14.9 us of CPU per entry with two
    workers, 11.2 in process; docs/operations.md); the writer thread already uses the
    second core while a round is written.
    """
    cpus = (os.cpu_count() or 1) if cpus is None else cpus
    return 0 if cpus <= 2 else min(cpus, 4)


PARALLEL_MIN = 32_768
"""Rounds of at least this many events are built by the worker processes (smaller ones, the
steady state of a live server, in the integrator's thread: a process round trip costs more
than building a few thousand entries)."""

CATCH_UP_BATCH = 1 << 18
"""The largest round while catching up a backlog: rounds double from `batch` up to this,
so a few large write transactions replace hundreds of small ones."""


@dataclass
class _Built:
    """A round's entries, built, with what its write must store besides them."""

    size: int
    entries: list[bytes]
    new_secrets: list[tuple[int, bytes]]
    quarantined: list[Quarantined]


@dataclass
class _Round:
    """One round hashed and signed, waiting to be written in one transaction."""

    built: _Built
    tiles: dict[tuple[int, int], bytes]
    bundles: dict[int, tuple[int, bytes]]
    new_size: int
    new_root: bytes
    note: str

    @property
    def count(self) -> int:
        return self.new_size - self.built.size


# -- worker processes ------------------------------------------------------------------------

_WORKER_DB: Database | None = None


def _worker_start(settings: Settings) -> None:
    global _WORKER_DB  # one store connection pool per worker process, for its lifetime
    _WORKER_DB = Database(settings)


def _worker_build(
    start: int, count: int, accounts: bytes, secrets: bytes
) -> tuple[bytes, bytes, list[Quarantined]]:
    """In a worker: read and build the entries of events [start, start + count).

    `accounts`/`secrets` are the secrets the integrator made for this round's accounts that
    have none stored (int64 ids and 32-byte secrets, packed: cheap to send). Returns the
    entries concatenated, their lengths (uint16) and the quarantined events.
    """
    assert _WORKER_DB is not None
    ids = array("q", accounts)
    made = {account: secrets[32 * i : 32 * i + 32] for i, account in enumerate(ids)}
    with _WORKER_DB.read() as conn, _without_collection():
        sql = LedgerSQL(conn)
        try:
            sources = Sources.load(sql, start, count, made)
        finally:
            sql.close()
        entries = build_entries(sources)
    if sources.new_secrets:  # the integrator makes every missing secret before a round
        raise Conflict(f"accounts {sources.new_secrets[0][0]}... had no secret; retrying")
    return b"".join(entries), array("H", map(len, entries)).tobytes(), sources.quarantined


class _Pending:
    """A round dispatched: built already (in this process) or being built by workers.

    Either way its accounts' secrets were settled when it was dispatched, so a round
    dispatched while an earlier one is still being written uses the same secrets.
    """

    def __init__(
        self,
        size: int,
        count: int,
        new_secrets: list[tuple[int, bytes]],
        parts: list[Future[tuple[bytes, bytes, list[Quarantined]]]] | None = None,
        built: _Built | None = None,
    ) -> None:
        self.size, self.count, self.new_secrets = size, count, new_secrets
        self.start = size  # the first event of the round (as `Sources.start`)
        self._parts, self._built = parts, built

    def result(self) -> _Built:
        if self._built is not None:
            return self._built
        entries: list[bytes] = []
        quarantined: list[Quarantined] = []
        for part in self._parts or []:
            blob, lengths, stopped = part.result()
            at = 0
            for length in array("H", lengths):
                entries.append(blob[at : at + length])
                at += length
            quarantined += stopped
        return _Built(self.size, entries, self.new_secrets, quarantined)

    def cancel(self) -> None:
        """Wait for the parts still running (after a failure nothing of them is kept)."""
        for part in self._parts or []:
            part.cancel() or part.exception()


class Integrator:
    """Extends the log from the event sequence; `run` loops until `stop` is called.

    While catching up, three things overlap: a reader thread reads round k+1 (or, with
    more than two CPUs, worker processes read and build it), this thread builds, hashes
    and signs round k, and a writer thread writes round k-1 (SQLite and PostgreSQL release
    the GIL while they search, read and write; the compiled hashing releases it too).
    Rounds grow from `batch` to `catch_up_batch` entries. Each round still commits
    alone and checks that the stored size is the one it extends, so a crash or a failed
    write leaves the old state or the new one, exactly as with one round at a time.
    """

    def __init__(
        self,
        db: Database,
        signer: Ed25519Signer,
        origin: str,
        batch: int = 8192,
        interval_s: float = 1.0,
        leader: Leadership | None = None,
        catch_up_batch: int = CATCH_UP_BATCH,
        workers: int | None = None,
    ) -> None:
        self._db = db
        self._signer = signer
        self._origin = origin
        self._batch = batch
        self._catch_up_batch = max(batch, catch_up_batch)
        # 0: build every round in this process; None: `default_workers()`
        self._workers = default_workers() if workers is None else workers
        self._pool: ProcessPoolExecutor | None = None
        self._interval_s = interval_s
        # None: this is the only process (tests, CLI); else only the lock's holder integrates
        self._leader = leader
        self._builder: TreeBuilder | None = None
        self._frontier = _Frontier()
        # secrets made by rounds built but not yet committed (account id -> secret)
        self._pending: dict[int, bytes] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _resume(self, sql: LedgerSQL, size: int) -> TreeBuilder:
        def fetch(ref: TileRef) -> bytes:
            data = sql.tile(ref.level, ref.index)
            if data is None:
                raise Conflict(f"tile {ref.path} is missing; the ledger store is incomplete")
            return data

        self._frontier = _Frontier()
        self._pending = {}
        return TreeBuilder.resume(size, tile_node_reader(fetch, size))

    def _forget(self) -> None:
        """After a failure: re-read the stored state next round."""
        self._builder = None
        self._pending = {}

    def integrate_once(self) -> int:
        """Integrate up to one batch of pending events; returns how many were integrated."""
        try:
            pending = self._dispatch(self._batch, None)
            if pending is None:
                return 0
            prepared = self._hash(pending.result())
            self._write(prepared)
        except BaseException:
            self._forget()
            raise
        return prepared.count

    def _dispatch(
        self, limit: int, start: int | None, known: DeviceCache | None = None
    ) -> _Pending | None:
        """Start the next round of up to `limit` events: read and built here, or sent to
        the worker processes (`_read`, then `_built`)."""
        read = self._read(limit, start, known)
        return None if read is None else self._built(read)

    def _read(
        self, limit: int, start: int | None, known: DeviceCache | None = None
    ) -> Sources | _Pending | None:
        """Read the next round of up to `limit` events: its rows (`Sources`, built in this
        process), or the round sent to the worker processes; None when nothing is pending.

        `start` is None when nothing is in flight: the tree is then checked against the
        stored state (resumed from it when another integrator moved it). Otherwise rounds
        before it are still being built or written and the round starts where they end.
        Only SQL runs here when the round is built in this process, so `catch_up` reads
        the next round in its reader thread while this one is built and hashed.
        """
        with self._db.read() as conn:
            sql = LedgerSQL(conn)
            try:
                if start is None:
                    size, _root = sql.state()
                    if self._builder is None or self._builder.size != size:
                        self._builder = self._resume(sql, size)
                    start = size
                count = sql.dense_events(start, limit)
                if not count:
                    return None
                if count < PARALLEL_MIN or self._workers <= 0:
                    with _without_collection():
                        return Sources.load(sql, start, count, self._pending, known)
                without = sql.accounts_without_secret(start, start + count)
            finally:
                sql.close()
        return self._to_workers(start, count, without)

    def _built(self, read: Sources | _Pending) -> _Pending:
        """A round read by `_read`, its entries built (in this thread) or being built."""
        if isinstance(read, _Pending):
            return read
        with _without_collection():
            entries = build_entries(read)
            # the round's row tuples freed while the collector is off: its next pass
            # would otherwise walk them all once (py-spy, issue 18)
            read.rows = ()
        built = _Built(read.start, entries, read.new_secrets, read.quarantined)
        return _Pending(read.start, len(entries), read.new_secrets, built=built)

    def _to_workers(self, start: int, count: int, without: set[int]) -> _Pending:
        new_secrets: list[tuple[int, bytes]] = []
        ids, secrets = array("q"), []
        for account in sorted(without):
            secret = self._pending.get(account)
            if secret is None:
                secret = self._pending[account] = _random32()
                new_secrets.append((account, secret))
            ids.append(account)
            secrets.append(secret)
        packed_ids, packed = ids.tobytes(), b"".join(secrets)
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self._workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_start,
                initargs=(self._db.settings,),
            )
        step = -(-count // self._workers)
        parts = [
            self._pool.submit(_worker_build, at, min(step, start + count - at), packed_ids, packed)
            for at in range(start, start + count, step)
        ]
        return _Pending(start, count, new_secrets, parts)

    def _hash(self, built: _Built) -> _Round:
        """Extend the tree with a built round; its tiles, bundles and signed checkpoint."""
        if self._builder is None or self._builder.size != built.size:
            raise Conflict(f"a round built from {built.size} does not extend the tree")
        with self._db.read() as conn, _without_collection():
            sql = LedgerSQL(conn)
            try:
                runs = self._builder.append_levels(leaf_hashes(built.entries), TILE_HEIGHT)
                tiles = self._frontier.tile_updates(runs, sql)
                del runs  # its node lists freed while the collector is off: not traversed
                bundles = self._frontier.bundle_updates(built.size, built.entries, sql)
            finally:
                sql.close()
        new_size, new_root = self._builder.size, self._builder.root()
        note = sign_checkpoint(Checkpoint(self._origin, new_size, new_root), [self._signer])
        return _Round(built, tiles, bundles, new_size, new_root, note)

    def _write(self, prepared: _Round) -> None:
        """The round's one write transaction (the caller forgets the tree when it fails)."""
        built = prepared.built

        def write(conn: Connection) -> None:
            sql = LedgerSQL(conn)
            try:
                if sql.state()[0] != built.size:
                    raise Conflict("another integrator advanced the ledger; resuming from it")
                sql.put_secrets(built.new_secrets)
                sql.put_quarantined(built.quarantined)
                sql.put_tiles(prepared.tiles)
                sql.put_bundles(prepared.bundles)
                sql.add_checkpoint(prepared.new_size, prepared.new_root, prepared.note, utcnow())
                sql.set_state(prepared.new_size, prepared.new_root)
            finally:
                sql.close()

        self._db.write(write)

    def catch_up(self, stop: Callable[[], bool] | None = None) -> int:
        """Integrate everything pending now (at start, by tests, and by the loop); returns
        the count.

        Three rounds overlap: a reader thread reads round k+1 (SQLite and PostgreSQL release
        the GIL while they search and read rows, so that part runs on the second core), this
        thread builds and hashes round k, and a writer thread writes round k-1. With worker
        processes, round k+1 is sent to them instead, from this thread. `stop` is asked
        between rounds. A failure is raised once the rounds in flight have finished;
        nothing after a failed round is kept (the next call resumes from the store).
        """
        total, limit, known = 0, self._batch, DeviceCache()
        threads = ThreadPoolExecutor(1, thread_name_prefix="plaudit-ledger-read")
        with (
            threads as reader,
            ThreadPoolExecutor(1, thread_name_prefix="plaudit-ledger-write") as writer,
        ):
            reading: Future[Sources | _Pending | None] | None = None
            writing: tuple[_Round, Future[None]] | None = None
            settled: list[tuple[int, bytes]] = []  # the last committed round's new secrets
            try:
                reading = _done(self._read(limit, None, known))
                while (read := reading.result()) is not None:
                    count = read.count if isinstance(read, _Pending) else len(read.rows)
                    if count == limit:
                        limit = min(2 * limit, self._catch_up_batch)  # a backlog: larger rounds
                    reading = None
                    if stop is None or not stop():
                        reading = self._read_next(reader, limit, read.start + count, known)
                    prepared = self._hash(self._built(read).result())
                    if writing is not None:
                        total += writing[0].count
                        settled = self._settle(*writing, settled)
                        writing = None
                    writing = (prepared, writer.submit(self._write, prepared))
                    if reading is None:
                        break
                if writing is not None:
                    total += writing[0].count
                    settled = self._settle(*writing, settled)
                    writing = None
                for account_id, _ in settled:  # nothing is in flight: every secret is stored
                    self._pending.pop(account_id, None)
                return total
            except BaseException:
                self._forget()
                if reading is not None:
                    _abandon(reading)
                if writing is not None:  # let the write in flight finish (or fail) first
                    writing[1].exception()
                raise

    def _read_next(
        self, reader: ThreadPoolExecutor, limit: int, start: int, known: DeviceCache
    ) -> Future[Sources | _Pending | None]:
        """The next round's read: in the reader thread when it is built in this process;
        here when it goes to the worker processes (its missing secrets are made as it is
        sent, and only this thread may make secrets)."""
        if self._workers > 0:
            return _done(self._read(limit, start, known))
        return reader.submit(self._read, limit, start, known)

    def _settle(
        self, prepared: _Round, written: Future[None], settled: list[tuple[int, bytes]]
    ) -> list[tuple[int, bytes]]:
        """Wait for a round's write; returns its new secrets, now stored.

        They stay pending one round longer (`settled`, the previous round's, are dropped
        now): the round read while this write was in flight may not see them in the store,
        and it is built only after this call returns.
        """
        written.result()
        for account_id, _ in settled:
            self._pending.pop(account_id, None)
        return prepared.built.new_secrets

    def ensure_checkpoint(self) -> None:
        """Sign the current tree when no checkpoint of its size is stored (a new, empty log).

        A checkpoint stored at this size under an earlier key is kept as it is (it is that
        log's final checkpoint; see key rotation in docs/ledger-format.md).
        """
        with self._db.read() as conn:
            sql = LedgerSQL(conn)
            size, root = sql.state()
            if sql.checkpoint(size) is not None:
                return
        note = sign_checkpoint(Checkpoint(self._origin, size, root), [self._signer])

        def write(conn: Connection) -> None:
            sql = LedgerSQL(conn)
            if sql.state()[0] == size and sql.checkpoint(size) is None:
                sql.add_checkpoint(size, root, note, utcnow())

        self._db.write(write)

    def start(self) -> None:
        if self._thread is None:
            if self._leader is None or self._leader.hold():
                self.ensure_checkpoint()
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._loop, name="plaudit-integrator", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        if self._leader is not None:
            self._leader.release()

    def _leading(self) -> bool:
        """Whether this process integrates now; a follower forgets its tree (others extend it)."""
        if self._leader is None or self._leader.hold():
            return True
        self._builder = None
        return False

    def _loop(self) -> None:
        poll = min(self._interval_s, 0.25)
        while not self._stop.is_set():
            if not self._leading():
                self._stop.wait(poll)
                continue
            try:
                self.catch_up(stop=lambda: self._stop.is_set() or not self._leading())
            except Exception:
                log.exception("ledger integration failed; retrying")
            self._stop.wait(poll)
