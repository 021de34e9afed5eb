"""Write a generated community into the store, with every invariant bulk ingest keeps.

Accounts and videos are inserted with the generator's ids (the store must be empty); their
counter rows are created with them. Interactions are written by the set-based loader
(`plaudit.sim.setload`): the decisions of `plaudit.interactions.ingest`, the code the gateway
endpoint runs, made on the generator's arrays, so uniqueness, counters and the dense event
sequence hold exactly as for live traffic and the database is the same row for row; an item
the platform would refuse aborts the load loudly. `set_based=False` loads through `ingest`
itself, item by item (the reference the tests compare with).

Speed (issue #18: medium once took 35 minutes, then 21): the interaction tables' secondary
indexes are built once at the end, a transaction spans a million rows, rows are made from
arrays, and on SQLite the pre-validated rows are written with foreign-key checks off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import Connection

from plaudit.errors import Conflict, InvalidInput, StorageError
from plaudit.interactions.bulk import ingest
from plaudit.sim.community import generate
from plaudit.sim.emit import time_stamps
from plaudit.sim.persona_inputs import PersonaInputs
from plaudit.sim.records import (
    AccountColumns,
    AccountsChunk,
    Chunk,
    ColumnsChunk,
    CommunitySize,
    InteractionsChunk,
    VideosChunk,
)
from plaudit.sim.setload import SetLoader
from plaudit.store import Database
from plaudit.store import catalog as catalog_sql
from plaudit.store.bulk import ACCOUNT_COLUMNS, PROFILE_COLUMNS, VIDEO_COLUMNS, BulkSQL
from plaudit.store.bulkload import (
    LoadSession,
    build_deferrable_indexes,
    drop_deferrable_indexes,
    load_session,
    set_cache,
)
from plaudit.store.engine import WRITER_CACHE_KIB

__all__ = ["TRANSACTION_ROWS", "default_end", "load_community"]

log = logging.getLogger(__name__)


def default_end() -> datetime:
    """The start of the current UTC day: the same seed loads the same community all day."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _account_count(db: Database) -> int:
    with db.read() as conn:
        return catalog_sql.count_accounts(conn)


def _write_accounts(conn: Connection, chunk: AccountsChunk) -> None:
    sql = BulkSQL(conn)
    try:
        sql.insert(
            "accounts",
            ACCOUNT_COLUMNS,
            [(r.id, r.handle, r.kind, r.display_name, sql.time(r.created_at)) for r in chunk.rows],
        )
        sql.insert(
            "profiles",
            PROFILE_COLUMNS,
            [
                (
                    r.id,
                    r.birth_year,
                    r.gender,
                    r.province,
                    r.city,
                    r.city_tier,
                    r.spending_band,
                    r.consent_personalisation,
                    r.consent_targeting,
                    sql.time(r.created_at),
                )
                for r in chunk.rows
            ],
        )
        sql.insert(
            "creator_counters",
            ("creator_id", "videos", "likes", "followers"),
            [(r.id, 0, 0, 0) for r in chunk.rows if r.kind == "creator"],
        )
    finally:
        sql.close()


def _write_account_columns(conn: Connection, chunk: AccountColumns) -> None:
    """`_write_accounts` from columns: the same rows, each time spelled once per chunk by
    NumPy rather than once per account from a datetime."""
    sql = BulkSQL(conn)
    try:
        ids, created = chunk.ids.tolist(), _times(sql, chunk.created)
        kinds = chunk.kinds().tolist()
        sql.insert(
            "accounts",
            ACCOUNT_COLUMNS,
            list(zip(ids, chunk.handle, kinds, chunk.display_name, created, strict=True)),
        )
        sql.insert(
            "profiles",
            PROFILE_COLUMNS,
            list(
                zip(
                    ids,
                    chunk.birth_year.tolist(),
                    chunk.gender.tolist(),
                    chunk.province.tolist(),
                    chunk.city.tolist(),
                    chunk.city_tier.tolist(),
                    chunk.spending_band.tolist(),
                    chunk.consent_personalisation.tolist(),
                    chunk.consent_targeting.tolist(),
                    created,
                    strict=True,
                )
            ),
        )
        sql.insert(
            "creator_counters",
            ("creator_id", "videos", "likes", "followers"),
            [(i, 0, 0, 0) for i in chunk.ids[chunk.is_creator].tolist()],
        )
    finally:
        sql.close()


def _times(sql: BulkSQL, seconds: NDArray[np.int64]) -> list[Any]:
    """Whole seconds as the driver stores them (`BulkSQL.time`): SQLite's UTC text, else
    aware datetimes."""
    if not sql.sqlite:
        return time_stamps(seconds)
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s").tolist()
    return [s.replace("T", " ") + ".000000" for s in text]


def _write_videos(conn: Connection, chunk: VideosChunk) -> None:
    sql = BulkSQL(conn)
    try:
        sql.insert(
            "videos",
            VIDEO_COLUMNS,
            [
                (r.id, r.creator_id, r.title, r.category, r.duration_s, sql.time(r.published_at))
                for r in chunk.rows
            ],
        )
        sql.insert(
            "video_counters",
            ("video_id", "likes", "comments", "shares"),
            [(r.id, 0, 0, 0) for r in chunk.rows],
        )
        per_creator = Counter(r.creator_id for r in chunk.rows)
        sql.add_creator_counters({c: [0, 0, n] for c, n in per_creator.items()})
    finally:
        sql.close()


def _write_interactions(conn: Connection, chunk: InteractionsChunk) -> int:
    results = ingest(conn, chunk.items)
    errors = [r for r in results if r.status == "error"]
    if errors:
        raise StorageError(
            f"the generator produced {len(errors)} items the platform refuses; "
            f"first: {errors[0].error_type}: {errors[0].detail}"
        )
    return len(results)


def _sync_sequences(conn: Connection) -> None:
    """PostgreSQL: move the id sequences past the ids the generator chose."""
    sql = BulkSQL(conn)
    try:
        for table in ("accounts", "videos"):
            sql.sync_sequence(table)
    finally:
        sql.close()


TRANSACTION_ROWS = 1_000_000
"""Rows and items written per transaction: each commit writes every page the transaction
changed, and the likes' active-pair index takes entries all over itself, so a commit per
chunk rewrote most of that index each time (issue #18)."""
_LOG_EVERY_S = 10.0


def _cache_mib(size: CommunitySize) -> int:
    """Page cache for the load: enough for the active-pair indexes (about 40 bytes a like,
    with their interior pages) up to 2 GiB; SQLite takes it only as pages are used."""
    return max(256, min(2048, size.interactions * 40 >> 20))


class _Reporter:
    """Progress on a terminal (a bar) or, when not on one, a log line every ten seconds with
    the counts and the rate, so a load run by a script or a service is not silent."""

    def __init__(self, title: str, total: int, show: bool) -> None:
        self._title = title
        self._total = total
        self._done = 0
        self._started = time.monotonic()
        self._cpu_started = time.process_time()  # on a shared machine, the comparable figure
        self._logged = self._started
        self._bar: Progress | None = None
        if show and Console(stderr=True).is_terminal:
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
            self._bar = Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True))
            self._task = self._bar.add_task(title, total=total)
            self._bar.start()
        self._log = show and self._bar is None

    def advance(self, done: int, stage: str = "loading") -> None:
        self._done += done
        if self._bar is not None:
            self._bar.advance(self._task, done)
            return
        now = time.monotonic()
        if self._log and now - self._logged >= _LOG_EVERY_S:
            self._logged = now
            self.log(stage)

    def log(self, stage: str) -> None:
        if not self._log:
            return
        elapsed = time.monotonic() - self._started
        log.info(
            "%s: %s %s of %s rows (%.0f%%), %s rows/s, %.0f s (%.0f s of CPU)",
            self._title,
            stage,
            f"{self._done:,}",
            f"{self._total:,}",
            100 * self._done / max(1, self._total),
            f"{self._done / max(elapsed, 1e-9):,.0f}",
            elapsed,
            time.process_time() - self._cpu_started,
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


class _Writer:
    """Writes the generated chunks, TRANSACTION_ROWS to a transaction."""

    def __init__(
        self,
        chunks: Iterator[Chunk],
        cache_mib: int,
        reporter: _Reporter,
        observe: Callable[[Chunk], None] | None,
        set_loader: SetLoader | None,
    ) -> None:
        self._chunks = chunks
        self._set_loader = set_loader
        self._cache_mib = cache_mib
        self._reporter = reporter
        self._observe = observe
        self.totals = Counter[str]()
        self.exhausted = False

    def write_some(self, conn: Connection) -> None:
        """Write chunks until a transaction's worth (or the last chunk) is written."""
        set_cache(conn, self._cache_mib)
        written = 0
        for chunk in self._chunks:
            done = self._write(conn, chunk)
            written += done
            self._reporter.advance(done)
            if self._observe is not None:
                self._observe(chunk)
            if written >= TRANSACTION_ROWS:
                break
        else:
            self.exhausted = True
        if self._set_loader is not None:
            sql = BulkSQL(conn)
            try:
                self._set_loader.flush_counters(sql)
            finally:
                sql.close()

    def release(self) -> None:
        """Let go of what only writing needed (the set-based loader's maps of every pair
        made): the indexes are built next, with the memory that frees."""
        self._chunks = iter(())
        if self._set_loader is not None:
            self._set_loader.release()

    def finish(self, conn: Connection) -> None:
        """Move PostgreSQL's id sequences past the ids the load chose."""
        _sync_sequences(conn)
        if self._set_loader is not None:
            sql = BulkSQL(conn)
            try:
                self._set_loader.finish(sql)
            finally:
                sql.close()

    def _write(self, conn: Connection, chunk: Chunk) -> int:
        if isinstance(chunk, AccountsChunk | AccountColumns | VideosChunk):
            if isinstance(chunk, AccountColumns):
                _write_account_columns(conn, chunk)
                done = len(chunk)
                self.totals["accounts"] += done
            elif isinstance(chunk, AccountsChunk):
                _write_accounts(conn, chunk)
                done = len(chunk.rows)
                self.totals["accounts"] += done
            else:
                _write_videos(conn, chunk)
                done = len(chunk.rows)
                self.totals["videos"] += done
            if self._set_loader is not None:
                self._set_loader.note(chunk)
            return done
        if isinstance(chunk, ColumnsChunk):
            assert self._set_loader is not None, "columns come only for the set-based load"
            sql = BulkSQL(conn)
            try:
                done = self._set_loader.write(sql, conn, chunk)
            finally:
                sql.close()
            self.totals["interactions"] += done
            return done
        done = _write_interactions(conn, chunk)
        self.totals["interactions"] += done
        return done


def load_community(
    db: Database,
    size: CommunitySize,
    seed: int,
    *,
    end: datetime | None = None,
    skip_if_loaded: bool = False,
    show_progress: bool = True,
    observe: Callable[[Chunk], None] | None = None,
    set_based: bool = True,
    persona: PersonaInputs | None = None,
    beside_indexes: Callable[[], None] | None = None,
) -> str:
    """Generate and store a community; returns a one-line summary.

    The interaction tables' secondary indexes are dropped for the load and built at its end
    (`plaudit.store.bulkload`); progress goes to the terminal, or to the log when there is
    none. `observe` sees every chunk after it is written (the attack injector collects the
    likes): `ColumnsChunk`s of interactions, or with `set_based=False` (the reference load
    through `ingest`, item by item) `InteractionsChunk`s. `persona` (set-based loads only)
    collects the persona index's inputs as they are written (`plaudit.sim.persona_inputs`);
    it stays empty when nothing is loaded. `beside_indexes` (after a complete load only) runs
    on a second thread while the indexes are built: work that reads none of the interaction
    tables, such as the persona index from `persona`; its error, if any, is raised here.
    """
    existing = _account_count(db)
    if existing:
        if skip_if_loaded:
            return f"the database already has {existing:,} accounts; demo not loaded again"
        raise Conflict(
            f"the database already has {existing:,} accounts; load the demo into an "
            "empty data directory (--data-dir) or pass --if-empty"
        )
    total = size.accounts + size.videos + size.interactions
    reporter = _Reporter(f"demo {size.name} (seed {seed})", total, show_progress)
    chunks = generate(size, seed, end or default_end(), columns=set_based)
    if persona is not None and not set_based:
        raise InvalidInput("the persona inputs are collected by the set-based load only")
    set_loader = SetLoader(persona) if set_based else None
    writer = _Writer(iter(chunks), _cache_mib(size), reporter, observe, set_loader)
    with load_session(db) as session:
        _load(session, writer, reporter, set_based, beside_indexes)
        session.write(writer.finish)
    totals = writer.totals
    return (
        f"loaded demo '{size.name}' (seed {seed}): {totals['accounts']:,} accounts, "
        f"{totals['videos']:,} videos, {totals['interactions']:,} interactions"
    )


def _load(
    session: LoadSession,
    writer: _Writer,
    reporter: _Reporter,
    set_based: bool,
    beside_indexes: Callable[[], None] | None = None,
) -> None:
    """Write every chunk with the deferrable indexes dropped; build them again however the
    load ends, so the database is never left without them. After a complete load,
    `beside_indexes` runs on a second thread while they are built."""
    session.write(partial(drop_deferrable_indexes, unique=set_based))
    loaded = False
    try:
        while not writer.exhausted:
            session.write(writer.write_some)
        reporter.log("loaded")
        loaded = True
    finally:
        reporter.close()
        writer.release()
        _alongside(partial(session.write, build_deferrable_indexes),
                   beside_indexes if loaded else None)  # fmt: skip
        session.write(partial(set_cache, mib=WRITER_CACHE_KIB // 1024))  # the usual cache
    reporter.log("indexed")


def _alongside(main: Callable[[], object], side: Callable[[], None] | None) -> None:
    """Run `main` here and `side` on a second thread at the same time; an error of either
    is raised once both have ended (`main`'s first).

    The index build is mostly one thread inside SQLite (its sorts' helper threads overlap only
    part of it), which releases the GIL, so the other core is free for work that reads none
    of the tables being indexed (the demo's persona index from the load's arrays)."""
    if side is None:
        main()
        return
    failed: list[BaseException] = []

    def run_side() -> None:
        try:
            side()
        except BaseException as exc:  # handed to the caller's thread below
            failed.append(exc)

    thread = threading.Thread(target=run_side, name="beside-indexes")
    thread.start()
    try:
        main()
    finally:
        thread.join()
    if failed:
        raise failed[0]
