"""Reading the ledger: checkpoints, tiles, entries, proofs and receipts.

Everything served comes from what the integrator committed together with a signed
checkpoint, so a client never sees a tile or entry that no checkpoint covers.
"""

from __future__ import annotations

import base64
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy.engine import Connection

from plaudit.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    LikeNotFound,
    NotFound,
    PendingIntegration,
)
from plaudit.ledger.checkpoint import parse_checkpoint
from plaudit.ledger.cosignature import CosignatureVerifier
from plaudit.ledger.entries import Kind, account_opening, device_opening
from plaudit.ledger.errors import LedgerError
from plaudit.ledger.keys import Ed25519Signer
from plaudit.ledger.merkle import HASH_SIZE, NodeReader, node_hash, root_of
from plaudit.ledger.note import Note, parse_note
from plaudit.ledger.proofs import consistency_proof, inclusion_proof
from plaudit.ledger.receipts import Openings, format_receipt
from plaudit.ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    TileRef,
    decode_entry_bundle,
    decode_hash_tile,
    encode_entry_bundle,
    tile_width,
)
from plaudit.store import Database, utcnow
from plaudit.store.ledger import LedgerSQL, Quarantined

__all__ = ["Cosigned", "LedgerService", "Proof", "WitnessSeen"]

K = TypeVar("K")
V = TypeVar("V")

_MAX_WITNESS_LABEL = 255  # ledger_cosignatures.witness


@dataclass(frozen=True)
class Proof:
    """An inclusion or consistency proof: the sizes it is for and its hashes."""

    first: int
    size: int
    hashes: list[bytes]

    def hashes_b64(self) -> list[str]:
        return [base64.b64encode(h).decode() for h in self.hashes]


@dataclass(frozen=True)
class Cosigned:
    """What `add_cosignatures` stored: the checkpoint size, the witnesses, what it ignored."""

    size: int
    witnesses: list[str]
    ignored: list[str]


@dataclass(frozen=True)
class WitnessSeen:
    """A witness's newest cosignature: the largest checkpoint size it cosigned, and when."""

    witness: str
    size: int
    at: datetime


class _Recent(Generic[K, V]):
    """A bounded map that drops the least recently used entry first."""

    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)


def tile_levels(hashes: list[bytes]) -> list[list[bytes]]:
    """The complete subtree hashes of a tile: level 0 is the tile, each next level pairs up."""
    levels = [hashes]
    while len(levels[-1]) >= 2:
        row = levels[-1]
        levels.append([node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)])
    return levels


class LedgerService:
    """The read side of the ledger over one Database."""

    def __init__(self, db: Database, signer: Ed25519Signer) -> None:
        self._db = db
        self.signer = signer
        # full tiles never change; partial ones are re-read, as the log may have grown
        self._tiles: _Recent[tuple[int, int], bytes] = _Recent()
        # the hashed inner levels of a tile at a given width never change either
        self._tile_levels: _Recent[tuple[int, int, int], list[list[bytes]]] = _Recent()

    @property
    def vkey(self) -> str:
        """The log's public key in note verifier-key form (`name+keyid+base64`)."""
        return self.signer.verifier().key_string

    def size(self) -> int:
        with self._db.read() as conn:
            return LedgerSQL(conn).state()[0]

    def pending(self) -> int:
        """Interactions sequenced but not yet integrated into a signed checkpoint."""
        with self._db.read() as conn:
            sql = LedgerSQL(conn)
            try:
                return sql.event_count() - sql.state()[0]
            finally:
                sql.close()

    def quarantined(self) -> list[Quarantined]:
        """Events the integrator could not encode (placeholders hold their indexes)."""
        with self._db.read() as conn:
            return LedgerSQL(conn).quarantined()

    def witnesses(self) -> list[WitnessSeen]:
        """Every witness that cosigned a checkpoint of this log, with its newest cosignature."""
        with self._db.read() as conn:
            rows = LedgerSQL(conn).latest_cosignatures()
        return [WitnessSeen(witness, size, at) for witness, size, at in rows]

    def checkpoint(self, size: int | None = None) -> str:
        """The signed checkpoint (latest, or at `size`) with the witnesses' cosignatures."""
        with self._db.read() as conn:
            sql = LedgerSQL(conn)
            found = sql.checkpoint(size)
            if found is None:
                if size is None:
                    raise NotFound(
                        "the ledger has no checkpoint yet; it is signed within a "
                        "second of the first interaction"
                    )
                raise NotFound(f"no checkpoint was signed at size {size}", size=size)
            cosignatures = sql.cosignature_lines(found[0])
        return found[1] + "".join(line + "\n" for line in cosignatures)

    def _fetch(self, sql: LedgerSQL, ref: TileRef) -> bytes:
        key = (ref.level, ref.index)
        data = self._tiles.get(key)
        if data is None:
            data = sql.tile(ref.level, ref.index)
            if data is None or len(data) < ref.width * 32:
                raise NotFound(f"tile {ref.path} is not in the log")
            if len(data) == TILE_WIDTH * HASH_SIZE:
                self._tiles.put(key, data)
        return data[: ref.width * 32]

    def tile(self, ref: TileRef) -> bytes:
        """A hash tile as c2sp.org/tlog-tiles serves it (partial tiles by their width)."""
        with self._db.read() as conn:
            return self._fetch(LedgerSQL(conn), ref)

    def bundle(self, ref: TileRef) -> bytes:
        """An entry bundle: the first `ref.width` entries of bundle `ref.index`."""
        with self._db.read() as conn:
            stored = LedgerSQL(conn).bundle(ref.index)
        if stored is None or stored[0] < ref.width:
            raise NotFound(f"entry bundle {ref.path} is not in the log")
        if stored[0] == ref.width:
            return stored[1]
        return encode_entry_bundle(decode_entry_bundle(stored[1], stored[0])[: ref.width])

    def entry(self, index: int) -> bytes:
        """The bytes of the entry at `index` (once integrated)."""
        with self._db.read() as conn:
            sql = LedgerSQL(conn)
            size = sql.state()[0]
            if not 0 <= index < size:
                raise NotFound(
                    f"entry {index} is not in the log (its size is {size})", index=index, size=size
                )
            stored = sql.bundle(index // TILE_WIDTH)
        assert stored is not None, "an integrated entry always has its bundle"
        return decode_entry_bundle(stored[1], stored[0])[index % TILE_WIDTH]

    def _check_size(self, conn: Connection, size: int) -> LedgerSQL:
        sql = LedgerSQL(conn)
        current = sql.state()[0]
        if not 0 < size <= current:
            raise InvalidInput(
                f"size {size} is not a size of this log (1..{current})", field="size"
            )
        return sql

    def _levels(self, sql: LedgerSQL, ref: TileRef) -> list[list[bytes]]:
        """Every complete node inside a tile, level by level, kept per (tile, width).

        A tile of a given width never changes (the log only grows), so the rightmost partial
        tiles are kept as well as full ones.
        """
        key = (ref.level, ref.index, ref.width)
        levels = self._tile_levels.get(key)
        if levels is None:
            levels = tile_levels(decode_hash_tile(self._fetch(sql, ref), ref.width))
            self._tile_levels.put(key, levels)
        return levels

    def _reader(self, sql: LedgerSQL, size: int) -> NodeReader:
        """A node reader over stored tiles.

        Upper tiles (level 1 and up) are few and on every proof's path: their inner levels are
        hashed once and kept. Level-0 tiles are many and rarely reused, so only the nodes a
        proof needs are hashed from them.
        """

        def read_node(level: int, index: int) -> bytes:
            if index < 0 or (index + 1) << level > size:
                raise InvalidInput(f"node ({level}, {index}) is not in a tree of size {size}")
            tile_level, height = divmod(level, TILE_HEIGHT)
            tile_index, position = divmod(index << height, TILE_WIDTH)
            ref = TileRef(tile_level, tile_index, tile_width(tile_level, tile_index, size))
            if tile_level == 0:
                data = self._fetch(sql, ref)
                start, end = position * HASH_SIZE, (position + (1 << height)) * HASH_SIZE
                return root_of(decode_hash_tile(data[start:end], 1 << height))
            return self._levels(sql, ref)[height][position >> height]

        return read_node

    def inclusion(self, index: int, size: int) -> Proof:
        if not 0 <= index < size:
            raise InvalidInput(f"index {index} must be below size {size}", field="index")
        with self._db.read() as conn:
            sql = self._check_size(conn, size)
            return Proof(index, size, inclusion_proof(index, size, self._reader(sql, size)))

    def consistency(self, old: int, size: int) -> Proof:
        if not 0 <= old <= size:
            raise InvalidInput(f"old {old} must be between 0 and size {size}", field="old")
        with self._db.read() as conn:
            sql = self._check_size(conn, size)
            return Proof(old, size, consistency_proof(old, size, self._reader(sql, size)))

    def receipt(self, like_id: int, account_id: int) -> str:
        """A self-contained, offline-verifiable receipt of a like, for its owner only.

        A c2sp.org/tlog-proof whose `extra` carries the entry and its openings (receipts.py).
        """
        with self._db.read() as conn:
            sql = LedgerSQL(conn)
            like = sql.rows_by_id("likes", [like_id]).get(like_id)
            if like is None:
                raise LikeNotFound(f"like {like_id} does not exist", like_id=like_id)
            if like[1] != account_id:
                raise Forbidden("a like's receipt is for the account that made it")
            seq = sql.event_seq("like", like_id)
            size = sql.state()[0]
            if seq is None or seq >= size:
                raise PendingIntegration(
                    f"like {like_id} is sequenced but not yet in a signed "
                    "checkpoint; retry in a second"
                )
            secret = sql.secrets([account_id]).get(account_id)
            if secret is None:
                raise Conflict(
                    "this account's ledger secrets were deleted, so its entries "
                    "can no longer be opened"
                )
            device = sql.devices([like[4]]).get(like[4]) if like[4] is not None else None
            checkpoint = sql.checkpoint(size)
            assert checkpoint is not None, "every integrated size has its checkpoint"
            cosignatures = sql.cosignature_lines(size)
        openings = Openings(
            account_id=account_id,
            account=account_opening(secret, Kind.LIKE, like[2]),
            device=device_opening(secret, seq) if (device or like[5]) else None,
            device_key=device[0] if device else "",
            user_agent=device[1] if device else "",
            ip_prefix=like[5] or "",
        )
        proof = self.inclusion(seq, size)
        note = checkpoint[1] + "".join(line + "\n" for line in cosignatures)
        return format_receipt(seq, proof.hashes, note, self.entry(seq), openings)

    def add_cosignatures(self, signed: str, witnesses: Sequence[CosignatureVerifier]) -> Cosigned:
        """Store the configured witnesses' cosignatures on one of our checkpoints.

        `signed` is the checkpoint with the witness's signature lines appended, as a
        c2sp.org/tlog-witness `add-checkpoint` response is meant to be used. Lines by keys
        that are neither the log's nor a configured witness's are ignored (tlog-witness:
        "The client MUST ignore any cosignatures from unknown keys"); if that leaves none,
        the request is refused.
        """
        note, size = self._own_checkpoint(signed)
        known = {(w.name, w.key_id): w for w in witnesses}
        own = (self.signer.name, self.signer.key_id)
        lines: dict[str, str] = {}
        ignored: list[str] = []
        for signature in dict.fromkeys(note.signatures):
            key = (signature.name, signature.key_id)
            if key == own:
                continue
            witness = known.get(key)
            if witness is None:
                ignored.append(signature.key_label)
                continue
            if not witness.verify(note.text.encode(), signature.signature):
                raise InvalidInput(
                    f"the cosignature by {signature.key_label} does not verify for the "
                    f"checkpoint of size {size}",
                    witness=signature.key_label,
                )
            if len(signature.key_label) > _MAX_WITNESS_LABEL:
                raise InvalidInput(f"witness name {signature.name!r} is too long")
            lines[signature.key_label] = signature.line.rstrip("\n")
        if not lines:
            unknown = ", ".join(ignored) or "none"
            raise Forbidden(
                f"no cosignature by a configured witness (ledger_witnesses); unknown keys: "
                f"{unknown}",
                ignored=ignored,
            )
        self._store_cosignatures(size, lines)
        return Cosigned(size, sorted(lines), ignored)

    def _own_checkpoint(self, signed: str) -> tuple[Note, int]:
        """The parsed note, if its text is exactly a checkpoint this log signed."""
        try:
            note = parse_note(signed)
            checkpoint = parse_checkpoint(note.text)
        except LedgerError as exc:
            raise InvalidInput(f"the body is not a cosigned checkpoint: {exc}") from None
        with self._db.read() as conn:
            found = LedgerSQL(conn).checkpoint(checkpoint.size)
        if found is None:
            raise NotFound(
                f"this log signed no checkpoint at size {checkpoint.size}", size=checkpoint.size
            )
        if parse_note(found[1]).text != note.text:
            raise InvalidInput(
                f"the cosigned checkpoint is not the one this log signed at size "
                f"{checkpoint.size} (origin or root hash differ)",
                size=checkpoint.size,
            )
        return note, checkpoint.size

    def _store_cosignatures(self, size: int, lines: dict[str, str]) -> None:
        at = utcnow()

        def write(conn: Connection) -> None:
            sql = LedgerSQL(conn)
            try:
                for witness, line in lines.items():
                    sql.add_cosignature(size, witness, line, at)
            finally:
                sql.close()

        self._db.write(write)
