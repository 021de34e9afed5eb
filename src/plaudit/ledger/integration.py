"""The integrator: turns sequenced interactions into entries, extends the tree, signs.

One integrator per log. Each round reads the events after the integrated size, builds their
entries (entries.py), appends the leaf hashes, and in ONE write transaction stores the new
hash tiles, entry bundles, the signed checkpoint and the new size. A crash at any point
leaves either the old state or the new one: acknowledged interactions are already durable as
events, so integration simply resumes from the stored size, and every checkpoint extends the
previous tree (its tiles are never rewritten, only extended).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from plaudit.errors import Conflict
from plaudit.ledger.checkpoint import Checkpoint, sign_checkpoint
from plaudit.ledger.entries import (
    Entry,
    Kind,
    account_commitment,
    account_opening,
    body_commitment,
    body_opening,
    device_commitment,
    device_opening,
    encode_entry,
)
from plaudit.ledger.keys import Ed25519Signer
from plaudit.ledger.merkle import HASH_SIZE, NodeRun, TreeBuilder, leaf_hashes
from plaudit.ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    TileRef,
    decode_entry_bundle,
    encode_entry_bundle,
    tile_node_reader,
)
from plaudit.store import Database, utcnow
from plaudit.store.leader import Leadership
from plaudit.store.ledger import LedgerSQL, time_us

__all__ = ["Integrator", "Sources", "build_entries"]

log = logging.getLogger(__name__)
_TABLE_OF = {
    "like": "likes",
    "unlike": "likes",
    "comment": "comments",
    "share": "shares",
    "follow": "follows",
    "unfollow": "follows",
    "revoke": "revocations",
    "reinstate": "revocations",
}


@dataclass
class Sources:
    """The rows behind a run of events, looked up once per round."""

    events: list[tuple[int, str, int]]
    rows: dict[str, dict[int, tuple[Any, ...]]]
    devices: dict[int, tuple[str, str]]
    secrets: dict[int, bytes | None]
    new_secrets: list[tuple[int, bytes]] = field(default_factory=list)

    @classmethod
    def load(cls, sql: LedgerSQL, events: list[tuple[int, str, int]]) -> Sources:
        refs: dict[str, list[int]] = {}
        for _, kind, ref in events:
            refs.setdefault(_TABLE_OF[kind], []).append(ref)
        rows = {table: sql.rows_by_id(table, ids) for table, ids in refs.items()}
        device_ids = [
            r[4]
            for t in ("likes", "comments", "shares")
            for r in rows.get(t, {}).values()
            if r[4] is not None
        ]
        accounts = [r[1] for table_rows in rows.values() for r in table_rows.values()]
        return cls(
            events, rows, sql.devices(device_ids) if device_ids else {}, sql.secrets(accounts)
        )

    def secret(self, account_id: int) -> bytes:
        """The account's secret; made now when missing, random when shredded (unlinkable)."""
        if account_id not in self.secrets:
            made = os.urandom(32)
            self.secrets[account_id] = made
            self.new_secrets.append((account_id, made))
        secret = self.secrets[account_id]
        return secret if secret is not None else os.urandom(32)


def _device(sources: Sources, secret: bytes, seq: int, device_id: Any, ip: Any) -> bytes | None:
    if device_id is None and ip is None:
        return None
    key, agent = sources.devices.get(device_id, ("", "")) if device_id is not None else ("", "")
    return device_commitment(device_opening(secret, seq), key, agent, ip or "")


def _entry(sources: Sources, seq: int, kind_name: str, ref: int) -> Entry:
    row = sources.rows[_TABLE_OF[kind_name]][ref]
    kind = Kind[kind_name.upper()]
    account_id, target_id = row[1], row[2]
    secret = sources.secret(account_id)
    account = account_commitment(
        account_id, kind, target_id, account_opening(secret, kind, target_id)
    )
    if kind in (Kind.FOLLOW, Kind.UNFOLLOW):
        at = row[4] if kind == Kind.FOLLOW else row[5]
        return Entry(kind, time_us(at), target_id, row[3], account)
    if kind in (Kind.REVOKE, Kind.REINSTATE):
        # the like's own per-(account, video) commitment, so a verifier pairs them
        at = row[4] if kind == Kind.REVOKE else row[5]
        return Entry(kind, time_us(at), target_id, f"verdict:{row[3]}", account)
    if kind == Kind.UNLIKE:
        return Entry(kind, time_us(row[7]), target_id, row[8] or row[3], account)
    device = _device(sources, secret, seq, row[4], row[5])
    if kind == Kind.COMMENT:
        body = body_commitment(body_opening(secret, seq), row[7])
        return Entry(kind, time_us(row[6]), target_id, row[3], account, device, body=body)
    if kind == Kind.SHARE:
        return Entry(kind, time_us(row[6]), target_id, row[3], account, device, channel=row[7])
    return Entry(kind, time_us(row[6]), target_id, row[3], account, device)


def build_entries(sources: Sources) -> list[bytes]:
    """The encoded entries of the loaded events, in sequence order."""
    return [encode_entry(_entry(sources, seq, kind, ref)) for seq, kind, ref in sources.events]


class _Frontier:
    """The rightmost (partial) hash tile of each tile level and the rightmost entry bundle."""

    def __init__(self) -> None:
        self.tiles: dict[int, tuple[int, list[bytes]]] = {}
        self.bundle: tuple[int, list[bytes]] = (0, [])

    def tile_updates(self, runs: Sequence[NodeRun], sql: LedgerSQL) -> dict[tuple[int, int], bytes]:
        touched: dict[tuple[int, int], list[bytes]] = {}
        for run in runs:
            if run.level % TILE_HEIGHT:
                continue
            tile_level, hashes, done = run.level // TILE_HEIGHT, run.hashes, 0
            while done < len(hashes):  # one slice per tile the run crosses
                tile_index, position = divmod(run.start + done, TILE_WIDTH)
                take = min(TILE_WIDTH - position, len(hashes) - done)
                current = self._tile(tile_level, tile_index, position, sql)
                current.extend(hashes[done : done + take])
                touched[(tile_level, tile_index)] = current
                done += take
        return {key: b"".join(hashes) for key, hashes in touched.items()}

    def _tile(self, level: int, index: int, position: int, sql: LedgerSQL) -> list[bytes]:
        known = self.tiles.get(level)
        if known is None or known[0] != index:
            stored = (sql.tile(level, index) or b"") if position else b""
            hashes = [stored[i : i + HASH_SIZE] for i in range(0, len(stored), HASH_SIZE)]
            known = (index, hashes)
            self.tiles[level] = known
        if len(known[1]) != position:
            raise Conflict(
                f"tile {level}/{index} holds {len(known[1])} hashes, expected {position}"
            )
        return known[1]

    def bundle_updates(
        self, start: int, entries: Sequence[bytes], sql: LedgerSQL
    ) -> dict[int, tuple[int, bytes]]:
        touched: dict[int, list[bytes]] = {}
        done = 0
        while done < len(entries):  # one slice per bundle the entries cross
            index, position = divmod(start + done, TILE_WIDTH)
            if self.bundle[0] != index or len(self.bundle[1]) != position:
                self.bundle = (index, self._stored_bundle(index, position, sql))
            take = min(TILE_WIDTH - position, len(entries) - done)
            self.bundle[1].extend(entries[done : done + take])
            touched[index] = self.bundle[1]
            done += take
        return {i: (len(bundle), encode_entry_bundle(bundle)) for i, bundle in touched.items()}

    @staticmethod
    def _stored_bundle(index: int, position: int, sql: LedgerSQL) -> list[bytes]:
        if position == 0:
            return []
        stored = sql.bundle(index)
        if stored is None or stored[0] != position:
            raise Conflict(f"entry bundle {index} does not hold the {position} expected entries")
        return decode_entry_bundle(stored[1], stored[0])


class Integrator:
    """Extends the log from the event sequence; `run` loops until `stop` is called."""

    def __init__(
        self,
        db: Database,
        signer: Ed25519Signer,
        origin: str,
        batch: int = 8192,
        interval_s: float = 1.0,
        leader: Leadership | None = None,
    ) -> None:
        self._db = db
        self._signer = signer
        self._origin = origin
        self._batch = batch
        self._interval_s = interval_s
        # None: this is the only process (tests, CLI); else only the lock's holder integrates
        self._leader = leader
        self._builder: TreeBuilder | None = None
        self._frontier = _Frontier()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _resume(self, sql: LedgerSQL, size: int) -> TreeBuilder:
        def fetch(ref: TileRef) -> bytes:
            data = sql.tile(ref.level, ref.index)
            if data is None:
                raise Conflict(f"tile {ref.path} is missing; the ledger store is incomplete")
            return data

        self._frontier = _Frontier()
        return TreeBuilder.resume(size, tile_node_reader(fetch, size))

    def integrate_once(self) -> int:
        """Integrate up to one batch of pending events; returns how many were integrated."""
        with self._db.read() as conn:
            sql = LedgerSQL(conn)
            size, _root = sql.state()
            events = [e for i, e in enumerate(sql.events(size, self._batch)) if e[0] == size + i]
            if not events:
                return 0
            sources = Sources.load(sql, events)
            if self._builder is None or self._builder.size != size:
                self._builder = self._resume(sql, size)
            entries = build_entries(sources)
            try:
                runs = self._builder.append(leaf_hashes(entries))
                tiles = self._frontier.tile_updates(runs, sql)
                bundles = self._frontier.bundle_updates(size, entries, sql)
            except BaseException:
                self._builder = None
                raise
        return self._commit(size, sources, tiles, bundles, len(entries))

    def _commit(
        self,
        size: int,
        sources: Sources,
        tiles: dict[tuple[int, int], bytes],
        bundles: dict[int, tuple[int, bytes]],
        count: int,
    ) -> int:
        assert self._builder is not None
        new_size, new_root = self._builder.size, self._builder.root()
        note = sign_checkpoint(Checkpoint(self._origin, new_size, new_root), [self._signer])

        def write(conn: Connection) -> None:
            sql = LedgerSQL(conn)
            try:
                if sql.state()[0] != size:
                    raise Conflict("another integrator advanced the ledger; resuming from it")
                sql.put_secrets(sources.new_secrets)
                sql.put_tiles(tiles)
                sql.put_bundles(bundles)
                sql.add_checkpoint(new_size, new_root, note, utcnow())
                sql.set_state(new_size, new_root)
            finally:
                sql.close()

        try:
            self._db.write(write)
        except BaseException:
            self._builder = None  # re-read the stored state next round
            raise
        return count

    def catch_up(self) -> int:
        """Integrate everything pending now (used at start and by tests); returns the count."""
        total = 0
        while (done := self.integrate_once()) > 0:
            total += done
        return total

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
                done = self.integrate_once()
            except Exception:
                log.exception("ledger integration failed; retrying")
                done = 0
            if done < self._batch:
                self._stop.wait(poll)
