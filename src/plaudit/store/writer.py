"""One writer thread with group commit: every write of a process goes through it.

The datasette pattern (`execute_write_fn`), extended with group commit: the thread takes up
to `batch_max` queued write functions, runs each inside its own SAVEPOINT of one transaction
and commits once. A function that raises rolls back only its own savepoint. Futures resolve
only after the commit, so an acknowledged write is durable; if the commit fails every write
of the batch fails. On SQLite this also means the process never fights itself for the lock.

A run of queued writes of the same kind that can be done together (`GroupedWrite`: a run
of likes) runs as one set of statements instead of a savepoint and a handful of statements
each; if that set fails for any reason, the batch's transaction is rolled back and the batch
runs again with every write on its own, so the outcome of every write is what it would have
been alone.

Under load (the batch before held more than one write) the writer waits a moment for more
writes before it commits (`GATHER_GAP_S`): a commit costs more than a like's statements.

On PostgreSQL several processes group-commit at once, and two batches that lock the same rows
(the counters of two videos) in opposite orders deadlock: PostgreSQL rolls back one write's
statement. That write is run again in a transaction of its own once its batch has committed
(the rows the batch held are free then); only if it collides again does it fail, as a 503.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from plaudit.errors import PlauditError
from plaudit.store.boundary import (
    is_concurrency_conflict,
    is_db_error,
    is_integrity_error,
    translate_db_error,
)

__all__ = ["GATHER_GAP_S", "GATHER_MAX_S", "GroupedWrite", "WriteFn", "Writer", "foreign_keys_off"]

T = TypeVar("T")
WriteFn = Callable[[Connection], T]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GroupedWrite(Generic[T]):
    """A write that can run together with the writes of the same `group` queued next to it.

    Called, it is the write on its own (`alone`). The writer hands a run of two or more of
    them to `group(conn, writes)`, which returns, in order, each write's result or the
    PlauditError it ends in (that write then changed nothing), or None when it cannot do
    them together here (another engine): they then run one by one.
    """

    alone: WriteFn[T]
    group: Callable[[Connection, Sequence[GroupedWrite[Any]]], Sequence[Any] | None]
    args: Any = None
    """What `group` needs of this write (the like's account, video, time...)."""

    def __call__(self, conn: Connection) -> T:
        return self.alone(conn)


@dataclass
class _Job(Generic[T]):
    """A queued write: a thread waits on `future`, a coroutine on `awaiter` (in `loop`)."""

    fn: WriteFn[T]
    future: Future[T] | None = None
    awaiter: asyncio.Future[T] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    result: Any = None
    error: BaseException | None = None
    collided: bool = False  # a deadlock's victim: run again after the batch commits
    unchecked: bool = False  # run alone with SQLite's foreign-key checks off (`submit`)

    def settle(self) -> None:
        """Hand the outcome to whoever waits (called in the waiter's thread or loop)."""
        target = self.future if self.future is not None else self.awaiter
        assert target is not None
        if target.cancelled():
            return
        if self.error is not None:
            target.set_exception(self.error)
        else:
            target.set_result(self.result)


def _settle_all(jobs: list[_Job[Any]]) -> None:
    for job in jobs:
        job.settle()


_STOP = object()

GATHER_GAP_S = 0.0005
"""While writes arrive concurrently (the last batch held more than one), the writer waits
up to this long for the next one before committing, and again after each arrival, for at
most GATHER_MAX_S in all: a commit (and its fsync on SQLite) costs several times a like's
own statements, so fewer, larger batches cost less CPU per write. After a batch of a single
write (no concurrency) the next batch is committed without waiting."""
GATHER_MAX_S = 0.002


class _Gathering:
    """The writes queued behind a batch's first: those already there, then (with a `gap`)
    each one that arrives within `gap` of the last, until `most` seconds after the start."""

    def __init__(self, gap: float, most: float) -> None:
        self._gap = gap
        self._until = time.monotonic() + most if gap > 0 else 0.0

    def next(self, jobs: queue.SimpleQueue[Any]) -> Any:
        """The next queued item, or None when the batch is complete."""
        try:
            return jobs.get_nowait()
        except queue.Empty:
            if self._gap <= 0:
                return None
        wait = min(self._gap, self._until - time.monotonic())
        if wait <= 0:
            return None
        try:
            return jobs.get(timeout=wait)
        except queue.Empty:
            return None


class Writer:
    """Serialises writes onto one connection and commits them in groups."""

    def __init__(
        self,
        engine: Engine,
        batch_max: int,
        gather_gap_s: float = GATHER_GAP_S,
        gather_max_s: float = GATHER_MAX_S,
    ) -> None:
        self._engine = engine
        self._gather_gap_s = gather_gap_s
        self._gather_max_s = gather_max_s
        self._sqlite = engine.dialect.name == "sqlite"  # where `unchecked` changes anything
        self._batch_max = batch_max
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._conn: Connection | None = None  # used by the writer thread only

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="plaudit-writer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Finish every queued write, then stop the thread."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def submit(self, fn: WriteFn[T], *, unchecked: bool = False) -> Future[T]:
        """Queue `fn`; with `unchecked` it runs in a transaction of its own with SQLite's
        foreign-key checks off: only for a write that reads every row its new rows refer
        to in that same transaction (bulk ingest), so the checks could never fail. On
        PostgreSQL, which keeps its checks, it is group-committed as any other write."""
        if self._thread is None:
            raise RuntimeError("writer is not started")
        future: Future[T] = Future()
        self._queue.put(_Job(fn, future=future, unchecked=unchecked and self._sqlite))
        return future

    async def run_async(self, fn: WriteFn[T], *, unchecked: bool = False) -> T:
        """Queue `fn` and await its commit; the writer wakes each event loop once per batch.
        `unchecked` as for `submit`."""
        if self._thread is None:
            raise RuntimeError("writer is not started")
        loop = asyncio.get_running_loop()
        awaiter: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(fn, awaiter=awaiter, loop=loop, unchecked=unchecked and self._sqlite))
        return await awaiter

    def _loop(self) -> None:
        held: Any = None  # an unchecked job met while gathering a batch: the next batch
        busy = False  # the last batch had company: writes are arriving concurrently
        try:
            while True:
                first, held = (self._queue.get() if held is None else held), None
                if first is _STOP:
                    return
                batch: list[_Job[Any]] = [first]
                stop_after = False
                gathering = _Gathering(self._gather_gap_s if busy else 0.0, self._gather_max_s)
                while len(batch) < self._batch_max and not first.unchecked:
                    item = gathering.next(self._queue)
                    if item is None:
                        break
                    if item is _STOP:
                        stop_after = True
                        break
                    if item.unchecked:
                        held = item
                        break
                    batch.append(item)
                busy = len(batch) > 1
                self._run_batch(batch)
                if stop_after:
                    return
        finally:
            self._drop_connection()

    def _connection(self) -> Connection:
        """The writer's connection, kept between batches: checking one out of the pool and
        resetting it on return cost a quarter of the writer's time per batch of likes."""
        if self._conn is None:
            self._conn = self._engine.connect()
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.close()
            except Exception:  # already broken; the pool discards it
                log.debug("closing the writer's connection failed", exc_info=True)

    def _run_batch(self, batch: list[_Job[Any]], rerun_collided: bool = True) -> None:
        committed = False
        grouping = True
        attempts = [1, 2]
        while attempts:
            attempt = attempts.pop(0)
            try:
                conn = self._connection()
                with foreign_keys_off(conn, batch[0].unchecked), conn.begin():
                    for run in _runs(batch, grouping):
                        if len(run) == 1 or not _run_grouped(conn, run):
                            for job in run:
                                _run_in_savepoint(conn, job)
                committed = True
                break
            except _GroupFailed:
                # undone with the whole transaction: the batch again, every write alone
                log.debug("a group of writes failed; its batch runs again", exc_info=True)
                grouping = False
                attempts.insert(0, attempt)
                _reset(batch)
            except Exception as exc:  # the commit failed: nothing of the batch is durable
                self._drop_connection()
                if attempt == 1 and _disconnected(exc):
                    # the kept connection died while idle (a database restart): the pool's
                    # pre-ping would have replaced it; run the batch again on a new one
                    _reset(batch)
                    continue
                error = translate_db_error(exc) if is_db_error(exc) else exc
                log.warning("write batch of %d failed: %s", len(batch), error)
                for job in batch:
                    job.result, job.error = None, error
                break
        if committed and rerun_collided:
            batch = self._rerun_collided(batch)
        _settle(batch)

    def _rerun_collided(self, batch: list[_Job[Any]]) -> list[_Job[Any]]:
        """Run the deadlock victims of a committed batch again, in one new transaction
        (which settles them); the rest of the batch is returned to be settled."""
        victims = [job for job in batch if job.collided]
        if not victims:
            return batch
        others = [job for job in batch if not job.collided]
        log.info("running %d write(s) again after a deadlock with another process", len(victims))
        for job in victims:
            job.result, job.error, job.collided = None, None, False
        self._run_batch(victims, rerun_collided=False)
        return others


class _GroupFailed(Exception):
    """A group of writes failed part-way: its batch's transaction is rolled back and the
    batch runs again with every write alone."""


def _reset(batch: list[_Job[Any]]) -> None:
    for job in batch:
        job.result, job.error, job.collided = None, None, False


def _group_of(job: _Job[Any]) -> object | None:
    return job.fn.group if isinstance(job.fn, GroupedWrite) else None


def _runs(batch: list[_Job[Any]], grouping: bool = True) -> list[list[_Job[Any]]]:
    """The batch cut into runs of consecutive jobs of one group (others, and every job
    when not `grouping`: runs of one), in order: no write runs before one queued ahead."""
    runs: list[list[_Job[Any]]] = []
    previous: object | None = None
    for job in batch:
        group = _group_of(job) if grouping else None
        if runs and group is not None and group == previous:
            runs[-1].append(job)
        else:
            runs.append([job])
        previous = group
    return runs


def _run_grouped(conn: Connection, run: list[_Job[Any]]) -> bool:
    """Run a run of grouped writes together; False (nothing done) when its group declines.

    No savepoint around the group: SQLite keeps a savepoint's journal in memory only up to
    64 KiB and writes the rest to a temporary file, which cost more than the statements the
    group saves once a run of likes touched more pages than that. A group that fails raises
    `_GroupFailed`, and the batch runs again without groups.
    """
    writes: list[GroupedWrite[Any]] = [job.fn for job in run]  # type: ignore[misc]
    try:
        outcomes = writes[0].group(conn, writes)
    except Exception as exc:
        raise _GroupFailed(f"a group of {len(run)} writes failed: {exc!r}") from exc
    if outcomes is None:
        return False
    if len(outcomes) != len(run):
        raise _GroupFailed(f"a group of {len(run)} writes gave {len(outcomes)} outcomes")
    for job, outcome in zip(run, outcomes, strict=True):
        if isinstance(outcome, PlauditError):
            job.error = outcome
        else:
            job.result = outcome
    return True


@contextmanager
def foreign_keys_off(conn: Connection, off: bool = True) -> Iterator[None]:
    """SQLite: no foreign-key checks for the transaction begun inside (with `off`). The
    pragma does nothing inside a transaction, so it is set before BEGIN and restored after
    the commit or rollback. PostgreSQL keeps its checks (turning them off needs a superuser).
    """
    raw = conn.connection.dbapi_connection if off and conn.dialect.name == "sqlite" else None
    if raw is None:
        yield
        return
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if not conn.closed and not conn.invalidated:
            raw.execute("PRAGMA foreign_keys=ON")


def _disconnected(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _settle(batch: list[_Job[Any]]) -> None:
    """Resolve every waiter: threads directly, each event loop with one wake-up per batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Job[Any]]] = {}
    for job in batch:
        if job.loop is None:
            job.settle()
        else:
            by_loop.setdefault(job.loop, []).append(job)
    for loop, jobs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_all, jobs)
        except RuntimeError:  # that loop has closed; nobody is waiting any more
            log.debug("dropped %d results for a closed event loop", len(jobs))


def _driver_cursor(conn: Connection) -> Any:
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def _run_in_savepoint(conn: Connection, job: _Job[Any], retries: int = 1) -> None:
    """Run one write in a savepoint; retry once on a uniqueness race with another process.

    The savepoint statements go straight to the driver: SQLAlchemy's begin_nested() costs more
    than the like itself, and the syntax is the same on SQLite and PostgreSQL.
    """
    cursor = _driver_cursor(conn)
    cursor.execute("SAVEPOINT plaudit_write")
    try:
        job.result = job.fn(conn)
    except BaseException as exc:
        cursor.execute("ROLLBACK TO SAVEPOINT plaudit_write")
        cursor.execute("RELEASE SAVEPOINT plaudit_write")
        if is_integrity_error(exc) and retries > 0:
            _run_in_savepoint(conn, job, retries - 1)
        elif is_db_error(exc):
            job.error = translate_db_error(exc)
            job.collided = is_concurrency_conflict(exc)
        elif isinstance(exc, PlauditError):
            job.error = exc
        else:  # a bug in that write: it alone fails, as a 500, and the log has the trace
            log.error("write failed unexpectedly", exc_info=exc)
            job.error = exc
    else:
        cursor.execute("RELEASE SAVEPOINT plaudit_write")
    finally:
        cursor.close()
