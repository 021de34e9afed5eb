"""One writer thread with group commit: every write of a process goes through it.

The datasette pattern (`execute_write_fn`), extended with group commit: the thread takes up
to `batch_max` queued write functions, runs each inside its own SAVEPOINT of one transaction
and commits once. A function that raises rolls back only its own savepoint. Futures resolve
only after the commit, so an acknowledged write is durable; if the commit fails every write
of the batch fails. On SQLite this also means the process never fights itself for the lock.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from plaudit.errors import PlauditError
from plaudit.store.boundary import translate_db_error

__all__ = ["WriteFn", "Writer"]

T = TypeVar("T")
WriteFn = Callable[[Connection], T]
log = logging.getLogger(__name__)


@dataclass
class _Job(Generic[T]):
    fn: WriteFn[T]
    future: Future[T]
    result: Any = None
    error: BaseException | None = None


_STOP = object()


class Writer:
    """Serialises writes onto one connection and commits them in groups."""

    def __init__(self, engine: Engine, batch_max: int) -> None:
        self._engine = engine
        self._batch_max = batch_max
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

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

    def submit(self, fn: WriteFn[T]) -> Future[T]:
        if self._thread is None:
            raise RuntimeError("writer is not started")
        future: Future[T] = Future()
        self._queue.put(_Job(fn, future))
        return future

    async def run_async(self, fn: WriteFn[T]) -> T:
        return await asyncio.wrap_future(self.submit(fn))

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch: list[_Job[Any]] = [first]
            stop_after = False
            while len(batch) < self._batch_max:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop_after = True
                    break
                batch.append(item)
            self._run_batch(batch)
            if stop_after:
                return

    def _run_batch(self, batch: list[_Job[Any]]) -> None:
        try:
            with self._engine.begin() as conn:
                for job in batch:
                    _run_in_savepoint(conn, job)
        except BaseException as exc:  # the commit failed: nothing of the batch is durable
            error = translate_db_error(exc) if isinstance(exc, DBAPIError) else exc
            log.warning("write batch of %d failed: %s", len(batch), error)
            for job in batch:
                job.future.set_exception(error)
            return
        for job in batch:
            if job.error is not None:
                job.future.set_exception(job.error)
            else:
                job.future.set_result(job.result)


def _run_in_savepoint(conn: Connection, job: _Job[Any], retries: int = 1) -> None:
    """Run one write in a savepoint; retry once on a uniqueness race with another process."""
    savepoint = conn.begin_nested()
    try:
        job.result = job.fn(conn)
        savepoint.commit()
    except IntegrityError as exc:
        savepoint.rollback()
        if retries > 0:
            _run_in_savepoint(conn, job, retries - 1)
        else:
            job.error = translate_db_error(exc)
    except PlauditError as exc:
        savepoint.rollback()
        job.error = exc
    except DBAPIError as exc:
        savepoint.rollback()
        job.error = translate_db_error(exc)
