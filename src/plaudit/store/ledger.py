"""SQL of the ledger: state, events to integrate and their sources, tiles, bundles, checkpoints.

The integrator reads many rows per round, so the source queries run on the driver's cursor
(see bulk.py); times come back as UTC microseconds on both engines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import and_, func, insert, select, update

from plaudit.store.bulk import BulkSQL
from plaudit.store.tables import (
    ledger_checkpoints,
    ledger_cosignatures,
    ledger_quarantine,
    ledger_state,
)

__all__ = [
    "EventSource",
    "LedgerSQL",
    "Quarantined",
    "time_us",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FIRST = itemgetter(0)


def time_us(value: Any) -> int:
    """UTC microseconds since the epoch of a stored time (SQLite text or a datetime)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value).replace(tzinfo=UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta: timedelta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class Quarantined(NamedTuple):
    """An event the integrator could not encode; a placeholder entry holds its index."""

    seq: int
    kind: str
    ref_id: int
    reason: str
    quarantined_at: datetime


class EventSource(NamedTuple):
    """One event joined with everything its entry needs, in this field order.

    The columns of the five interaction tables are mapped onto these names (`_EVENT_SOURCES`),
    so the SELECT list is generated from this tuple's fields and a reordered column cannot
    change an entry; `LedgerSQL.event_sources` leaves `device_key` and `user_agent` NULL
    (the integrator fills them from `LedgerSQL.devices`). `detail` is the comment's body,
    the share's channel, the unlike's `removed_source` or the revocation's verdict id;
    `created_at`/`removed_at` are a revocation's `revoked_at`/`reinstated_at`. `has_secret`
    tells a shredded secret (a row whose secret is NULL) from an account that has none yet.
    """

    seq: int
    kind: str
    ref_id: int
    account_id: int
    target_id: int
    source: str
    device_id: int | None
    ip_prefix: str | None
    created_at: Any
    removed_at: Any
    detail: Any
    device_key: str | None
    user_agent: str | None
    has_secret: bool
    secret: bytes | None


class _SourceTable(NamedTuple):
    table: str
    kinds: tuple[str, ...]
    columns: dict[str, str]  # EventSource field -> this table's column

    @property
    def joins(self) -> str:
        joins = f"JOIN {self.table} t ON t.id = e.ref_id "
        return (
            joins + f"LEFT JOIN account_secrets s ON s.account_id = {self.columns['account_id']} "
        )

    @property
    def where(self) -> str:
        kinds = ", ".join(f"'{kind}'" for kind in self.kinds)
        return f"WHERE e.seq >= {{m}} AND e.seq < {{m}} AND e.kind IN ({kinds})"

    def sources_sql(self) -> str:
        """The read of the table's events in a seq range, rows and secrets joined (devices
        are read once per round by id: `devices`)."""
        select_list = ", ".join(
            ["e.seq", "e.kind", "e.ref_id"]
            + [self.columns.get(name, "NULL") for name in EventSource._fields[3:11]]
            + ["NULL", "NULL", "s.account_id IS NOT NULL", "s.secret"]
        )
        return f"SELECT {select_list} FROM events e {self.joins}{self.where}"

    def without_secret_sql(self) -> str:
        """The accounts of the table's events in a seq range that have no secret row yet."""
        account = self.columns["account_id"]
        return (
            f"SELECT DISTINCT {account} FROM events e {self.joins}{self.where} "
            "AND s.account_id IS NULL"
        )


_WITH_DEVICE = {
    "account_id": "t.account_id",
    "target_id": "t.video_id",
    "source": "t.source",
    "device_id": "t.device_id",
    "ip_prefix": "t.ip_prefix",
    "created_at": "t.created_at",
}
_SOURCE_TABLES = [
    _SourceTable(
        "likes",
        ("like", "unlike"),
        _WITH_DEVICE | {"removed_at": "t.removed_at", "detail": "t.removed_source"},
    ),
    _SourceTable("comments", ("comment",), _WITH_DEVICE | {"detail": "t.body"}),
    _SourceTable("shares", ("share",), _WITH_DEVICE | {"detail": "t.channel"}),
    _SourceTable(
        "follows",
        ("follow", "unfollow"),
        {
            "account_id": "t.follower_id",
            "target_id": "t.creator_id",
            "source": "t.source",
            "created_at": "t.created_at",
            "removed_at": "t.removed_at",
        },
    ),
    _SourceTable(
        "revocations",
        ("revoke", "reinstate"),
        {
            "account_id": "t.account_id",
            "target_id": "t.video_id",
            "created_at": "t.revoked_at",
            "removed_at": "t.reinstated_at",
            "detail": "t.verdict_id",
        },
    ),
]
_EVENT_SOURCES = [(spec.table, spec.sources_sql()) for spec in _SOURCE_TABLES]
_WITHOUT_SECRET = [(spec.table, spec.without_secret_sql()) for spec in _SOURCE_TABLES]

_SOURCES = {
    "likes": "id, account_id, video_id, source, device_id, ip_prefix, created_at, removed_at, "
    "removed_source",
    "comments": "id, account_id, video_id, source, device_id, ip_prefix, created_at, body",
    "shares": "id, account_id, video_id, source, device_id, ip_prefix, created_at, channel",
    "follows": "id, follower_id, creator_id, source, created_at, removed_at",
    "revocations": "id, account_id, video_id, verdict_id, revoked_at, reinstated_at",
}


class LedgerSQL(BulkSQL):
    """The ledger's statements bound to one connection."""

    def state(self) -> tuple[int, bytes]:
        row = self._conn.execute(select(ledger_state.c.size, ledger_state.c.root)).one()
        return int(row[0]), bytes(row[1])

    def set_state(self, size: int, root: bytes) -> None:
        self._conn.execute(
            update(ledger_state).where(ledger_state.c.id == 1).values(size=size, root=root)
        )

    def events(self, start: int, limit: int) -> list[tuple[int, str, int]]:
        """Events with seq in [start, start + limit), in order."""
        m = self._mark
        self._cursor.execute(
            f"SELECT seq, kind, ref_id FROM events WHERE seq >= {m} AND seq < {m} ORDER BY seq",
            (start, start + limit),
        )
        return [(int(r[0]), str(r[1]), int(r[2])) for r in self._cursor.fetchall()]

    def dense_events(self, start: int, limit: int) -> int:
        """How many events follow `start` without a gap, up to `limit` (an index probe)."""
        m = self._mark
        self._cursor.execute(
            f"SELECT count(*), max(seq) FROM events WHERE seq >= {m} AND seq < {m}",
            (start, start + limit),
        )
        [(count, last)] = self._cursor.fetchall()  # an aggregate has exactly one row
        if not count or int(last) - start + 1 == count:
            return int(count or 0)
        return len([e for i, e in enumerate(self.events(start, limit)) if e[0] == start + i])

    def event_sources(self, start: int, stop: int) -> list[tuple[Any, ...]]:
        """Every event with seq in [start, stop), joined with its row and secret.

        One query per interaction table over the seq range (the primary key), only the
        columns an entry needs; rows come back in no particular order, as the driver's
        plain tuples with the fields of `EventSource` in its order (the SELECT lists are
        generated from it): an integrator unpacks hundreds of thousands of them per round,
        and building a named tuple for each cost as much as the read itself. `device_key`
        and `user_agent` are NULL here: a round reads its few thousand devices once by id
        (`devices`) instead of two strings per row.
        """
        found: list[tuple[Any, ...]] = []
        for table, template in _EVENT_SOURCES:
            if self._holds_rows(table):
                self._cursor.execute(template.format(m=self._mark), (start, stop))
                found += self._cursor.fetchall()
        return found

    def _holds_rows(self, table: str) -> bool:
        """Whether an interaction table has any row (one index probe).

        Each table's read scans the round's whole seq range of events for its kinds, about
        0.1 us an event on SQLite even when the table is empty (a platform without
        revocations, shares or follows yet): an empty table cannot be referenced by an
        event, so its read is skipped.
        """
        self._cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")
        return self._cursor.fetchone() is not None

    def accounts_without_secret(self, start: int, stop: int) -> set[int]:
        """The accounts of the events with seq in [start, stop) that have no secret yet."""
        found: set[int] = set()
        for table, template in _WITHOUT_SECRET:
            if self._holds_rows(table):
                self._cursor.execute(template.format(m=self._mark), (start, stop))
                found.update(int(row[0]) for row in self._cursor.fetchall())
        return found

    def event_count(self) -> int:
        self._cursor.execute("SELECT COALESCE(MAX(seq) + 1, 0) FROM events")
        return self._scalar_int()

    def rows_by_id(self, table: str, ids: Iterable[int]) -> dict[int, tuple[Any, ...]]:
        """Rows of an interaction table (the columns in _SOURCES) keyed by id."""
        sql = f"SELECT {_SOURCES[table]} FROM {table} WHERE id IN ({{marks}})"
        return {row[0]: tuple(row) for row in self._lookup(sql, sorted(set(ids)), 1)}

    def devices(self, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        sql = "SELECT id, device_key, user_agent FROM devices WHERE id IN ({marks})"
        return {r[0]: (r[1], r[2]) for r in self._lookup(sql, sorted(set(ids)), 1)}

    def secrets(self, account_ids: Iterable[int]) -> dict[int, bytes | None]:
        """account id -> secret (None when shredded); accounts without a row are absent."""
        sql = "SELECT account_id, secret FROM account_secrets WHERE account_id IN ({marks})"
        rows = self._lookup(sql, sorted(set(account_ids)), 1)
        return {r[0]: None if r[1] is None else bytes(r[1]) for r in rows}

    def tile(self, level: int, index: int) -> bytes | None:
        m = self._mark
        self._cursor.execute(
            f"SELECT hashes FROM ledger_tiles WHERE level = {m} AND idx = {m}", (level, index)
        )
        row = self._cursor.fetchone()
        return None if row is None else bytes(row[0])

    def put_tiles(self, tiles: dict[tuple[int, int], bytes]) -> None:
        """Write tiles, replacing the partial tiles they extend (one upsert executemany)."""
        m = self._mark
        self._cursor.executemany(
            f"INSERT INTO ledger_tiles (level, idx, hashes) VALUES ({m}, {m}, {m}) "
            "ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes",
            [(level, index, data) for (level, index), data in tiles.items()],
        )

    def bundle(self, index: int) -> tuple[int, bytes] | None:
        m = self._mark
        self._cursor.execute(f"SELECT width, data FROM ledger_bundles WHERE idx = {m}", (index,))
        row = self._cursor.fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def put_bundles(self, bundles: dict[int, tuple[int, bytes]]) -> None:
        """Write entry bundles, replacing the partial bundles they extend."""
        m = self._mark
        self._cursor.executemany(
            f"INSERT INTO ledger_bundles (idx, width, data) VALUES ({m}, {m}, {m}) "
            "ON CONFLICT (idx) DO UPDATE SET width = excluded.width, data = excluded.data",
            [(index, width, data) for index, (width, data) in bundles.items()],
        )

    def add_checkpoint(self, size: int, root: bytes, note: str, at: datetime) -> None:
        self._conn.execute(ledger_checkpoints.delete().where(ledger_checkpoints.c.size == size))
        self._conn.execute(
            insert(ledger_checkpoints).values(size=size, root=root, note=note, created_at=at)
        )

    def checkpoint(self, size: int | None = None) -> tuple[int, str] | None:
        """(size, signed note) of the checkpoint at `size`, or the latest one."""
        stmt = select(ledger_checkpoints.c.size, ledger_checkpoints.c.note)
        if size is None:
            stmt = stmt.order_by(ledger_checkpoints.c.size.desc()).limit(1)
        else:
            stmt = stmt.where(ledger_checkpoints.c.size == size)
        row = self._conn.execute(stmt).first()
        return None if row is None else (int(row[0]), str(row[1]))

    def cosignature_lines(self, size: int) -> list[str]:
        stmt = select(ledger_cosignatures.c.line).where(ledger_cosignatures.c.size == size)
        return [
            str(row[0]) for row in self._conn.execute(stmt.order_by(ledger_cosignatures.c.witness))
        ]

    def latest_cosignatures(self) -> list[tuple[str, int, datetime]]:
        """(witness, largest size it cosigned, when its newest cosignature came), per witness."""
        c = ledger_cosignatures.c
        stmt = select(c.witness, func.max(c.size), func.max(c.created_at)).group_by(c.witness)
        return [(str(w), int(s), at) for w, s, at in self._conn.execute(stmt.order_by(c.witness))]

    def add_cosignature(self, size: int, witness: str, line: str, at: datetime) -> None:
        self._conn.execute(
            ledger_cosignatures.delete().where(
                and_(ledger_cosignatures.c.size == size, ledger_cosignatures.c.witness == witness)
            )
        )
        self._conn.execute(
            insert(ledger_cosignatures).values(size=size, witness=witness, line=line, created_at=at)
        )

    def event_seq(self, kind: str, ref_id: int) -> int | None:
        m = self._mark
        self._cursor.execute(
            f"SELECT seq FROM events WHERE ref_id = {m} AND kind = {m}", (ref_id, kind)
        )
        row = self._cursor.fetchone()
        return None if row is None else int(row[0])

    def put_secrets(self, secrets: Sequence[tuple[int, bytes]]) -> None:
        """Insert new account secrets, in account order (the primary key's B-tree is then
        appended to page by page instead of touched at random).

        One statement for the whole round, not a row bound per secret: the ids as one JSON
        array (SQLite's `json_each`) or array parameter (PostgreSQL's `unnest`), the secrets
        as one blob cut in SQL. executemany cost 1.7 us a secret on SQLite, this 0.7 us; a
        catch-up makes one per account new to the log. Secrets of mixed lengths (none the
        integrator makes) go row by row. Sorted by the id alone: the ids are distinct, and
        comparing whole tuples cost twice as much.
        """
        if not secrets:
            return
        ordered = sorted(secrets, key=_FIRST)
        width = len(ordered[0][1])
        if not self.sqlite:
            self._cursor.execute(
                "INSERT INTO account_secrets (account_id, secret) "
                "SELECT * FROM unnest(%s::bigint[], %s::bytea[])",
                ([account for account, _ in ordered], [secret for _, secret in ordered]),
            )
        elif width and all(len(secret) == width for _, secret in ordered):
            self._cursor.execute(
                "INSERT INTO account_secrets (account_id, secret) "
                "SELECT j.value, substr(?1, j.key * ?2 + 1, ?2) FROM json_each(?3) AS j",
                (
                    b"".join(secret for _, secret in ordered),
                    width,
                    "[" + ",".join([str(account) for account, _ in ordered]) + "]",
                ),
            )
        else:
            self.insert("account_secrets", ("account_id", "secret"), ordered)

    def put_quarantined(self, rows: Sequence[Quarantined]) -> None:
        if rows:
            self._conn.execute(insert(ledger_quarantine), [row._asdict() for row in rows])

    def quarantined(self) -> list[Quarantined]:
        """Every quarantined event, oldest first (`plaudit ledger quarantine`)."""
        stmt = select(
            ledger_quarantine.c.seq,
            ledger_quarantine.c.kind,
            ledger_quarantine.c.ref_id,
            ledger_quarantine.c.reason,
            ledger_quarantine.c.quarantined_at,
        ).order_by(ledger_quarantine.c.seq)
        return [Quarantined(*row) for row in self._conn.execute(stmt)]
