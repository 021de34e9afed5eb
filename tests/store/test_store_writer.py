"""The writer thread: every write commits, failures stay with their own write, group commit."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from plaudit.config import Settings
from plaudit.errors import Conflict, HandleTaken, PlauditError
from plaudit.store import Database, tables
from plaudit.store.writer import GroupedWrite, WriteFn, Writer

AT = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def db(sqlite_settings: Settings) -> Iterator[Database]:
    database = Database(sqlite_settings.with_values(sqlite_synchronous="normal"))
    database.migrate()
    database.start_writer()
    yield database
    database.close()


def insert_account(handle: str) -> WriteFn[int]:
    def op(conn: Connection) -> int:
        values = {"handle": handle, "kind": "fan", "display_name": "", "created_at": AT}
        stmt = insert(tables.accounts).values(values).returning(tables.accounts.c.id)
        return int(conn.execute(stmt).scalar_one())

    return op


def handles(db: Database) -> set[str]:
    with db.read() as conn:
        return set(conn.execute(select(tables.accounts.c.handle)).scalars())


class Gate:
    """A write that holds the writer until released, so the writes queued meanwhile are
    taken together as one batch."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, conn: Connection) -> None:
        self.entered.set()
        assert self.release.wait(10), "the test never released the gate"


async def _queue_behind_gate(db: Database, fns: Sequence[WriteFn[Any]]) -> list[Any]:
    gate = Gate()
    held = asyncio.ensure_future(db.write_async(gate))
    await asyncio.to_thread(gate.entered.wait, 10)
    tasks = [asyncio.ensure_future(db.write_async(fn)) for fn in fns]
    await asyncio.sleep(0)  # each task runs up to its await: all writes are queued now
    gate.release.set()
    await held
    return await asyncio.gather(*tasks, return_exceptions=True)


def in_one_batch(db: Database, fns: Sequence[WriteFn[Any]]) -> list[Any]:
    """Run `fns` so that the writer takes them as one batch; results or exceptions."""
    return asyncio.run(_queue_behind_gate(db, fns))


def recording(fn: WriteFn[Any], transactions: list[Any]) -> WriteFn[Any]:
    """`fn`, noting the transaction it ran in (to show which writes shared a batch)."""

    def op(conn: Connection) -> Any:
        transactions.append(conn.get_transaction())
        return fn(conn)

    return op


def failing(fn: WriteFn[Any], error: Callable[[], BaseException]) -> WriteFn[Any]:
    """`fn` (which writes something), then an error: none of its writes may remain."""

    def op(conn: Connection) -> Any:
        fn(conn)
        raise error()

    return op


def test_many_concurrent_writes_from_threads_all_commit(db: Database) -> None:
    names = [f"user{i}" for i in range(200)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        ids = list(pool.map(lambda name: db.write(insert_account(name)), names))
    assert len(set(ids)) == 200
    assert handles(db) == set(names)


def test_many_concurrent_async_writes_all_commit(db: Database) -> None:
    async def main() -> list[int]:
        return await asyncio.gather(*(db.write_async(insert_account(f"a{i}")) for i in range(150)))

    ids = asyncio.run(main())
    assert len(set(ids)) == 150
    assert handles(db) == {f"a{i}" for i in range(150)}


def test_a_plaudit_error_fails_only_its_own_write_in_a_batch(db: Database) -> None:
    transactions: list[Any] = []
    fns = [
        insert_account("before"),
        failing(insert_account("doomed"), lambda: HandleTaken("handle 'x' is taken")),
        insert_account("after"),
    ]
    results = in_one_batch(db, [recording(fn, transactions) for fn in fns])
    assert all(t is transactions[0] for t in transactions), "the writes shared one batch"
    assert isinstance(results[0], int)
    assert isinstance(results[2], int)
    assert isinstance(results[1], HandleTaken)
    assert handles(db) == {"before", "after"}


def test_a_uniqueness_violation_is_a_conflict_for_that_write_alone(db: Database) -> None:
    db.write(insert_account("taken"))
    results = in_one_batch(
        db, [insert_account("one"), insert_account("taken"), insert_account("two")]
    )
    assert isinstance(results[1], Conflict)
    assert handles(db) == {"taken", "one", "two"}


def test_an_unexpected_exception_fails_only_its_own_write(db: Database) -> None:
    # The writer's promise: "a function that raises rolls back only its own savepoint". A
    # bug in one write (here a ValueError) must not fail the unrelated writes batched with it.
    results = in_one_batch(
        db,
        [
            insert_account("before"),
            failing(insert_account("doomed"), lambda: ValueError("a bug in one write")),
            insert_account("after"),
        ],
    )
    assert isinstance(results[1], ValueError)
    assert isinstance(results[0], int)
    assert isinstance(results[2], int)
    assert handles(db) == {"before", "after"}


def test_a_driver_error_is_translated_and_fails_only_its_own_write(db: Database) -> None:
    # The hot paths (prepared statements, bulk ingest) run SQL on the driver's cursor, so
    # their errors are sqlite3/psycopg exceptions that SQLAlchemy never wrapped.
    def raw_sql_on_a_missing_table(conn: Connection) -> None:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("UPDATE no_such_table SET x = 1")

    results = in_one_batch(
        db, [insert_account("before"), raw_sql_on_a_missing_table, insert_account("after")]
    )
    assert isinstance(results[1], PlauditError), repr(results[1])
    assert handles(db) == {"before", "after"}


def test_results_arrive_only_after_the_batch_commits(db: Database) -> None:
    second = Gate()

    async def main() -> None:
        gate = Gate()
        held = asyncio.ensure_future(db.write_async(gate))
        await asyncio.to_thread(gate.entered.wait, 10)
        first = asyncio.ensure_future(db.write_async(insert_account("early")))
        blocked = asyncio.ensure_future(db.write_async(second))
        await asyncio.sleep(0)
        gate.release.set()
        await held
        await asyncio.to_thread(second.entered.wait, 10)
        await asyncio.sleep(0.2)  # time for a wrongly early result to arrive
        assert not first.done(), "a result arrived before its batch was committed"
        assert handles(db) == set(), "nothing is visible before the commit"
        second.release.set()
        assert isinstance(await first, int)
        await blocked
        assert handles(db) == {"early"}

    asyncio.run(main())


def test_write_returns_after_commit_so_a_reader_sees_it(db: Database) -> None:
    for i in range(20):
        db.write(insert_account(f"seen{i}"))
        assert f"seen{i}" in handles(db)


def test_closing_finishes_the_queued_writes(sqlite_settings: Settings) -> None:
    database = Database(sqlite_settings)
    database.migrate()
    database.start_writer()

    async def main() -> list[Any]:
        gate = Gate()
        held = asyncio.ensure_future(database.write_async(gate))
        await asyncio.to_thread(gate.entered.wait, 10)
        tasks = [
            asyncio.ensure_future(database.write_async(insert_account(f"q{i}"))) for i in range(30)
        ]
        await asyncio.sleep(0)
        closing = asyncio.ensure_future(asyncio.to_thread(database.close))
        await asyncio.sleep(0.1)
        gate.release.set()
        await held
        await closing
        return await asyncio.gather(*tasks)

    ids = asyncio.run(main())
    assert len(set(ids)) == 30
    reopened = Database(sqlite_settings)
    try:
        assert handles(reopened) == {f"q{i}" for i in range(30)}
    finally:
        reopened.close()


def test_without_the_writer_thread_writes_run_inline_and_roll_back_on_error(
    sqlite_settings: Settings,
) -> None:
    database = Database(sqlite_settings)
    database.migrate()
    try:
        assert database.write(insert_account("inline")) > 0
        with pytest.raises(HandleTaken):
            database.write(failing(insert_account("doomed"), lambda: HandleTaken("taken")))
        assert handles(database) == {"inline"}
    finally:
        database.close()


def test_write_async_needs_the_writer_thread(sqlite_settings: Settings) -> None:
    database = Database(sqlite_settings)
    database.migrate()
    try:
        with pytest.raises(RuntimeError, match="start_writer"):
            asyncio.run(database.write_async(insert_account("x")))
    finally:
        database.close()


def test_the_writer_replaces_its_kept_connection_when_it_died_while_idle(
    backend_settings: Settings,
) -> None:
    """The writer keeps one connection between batches; when the database drops it (a
    restart), the next batch runs again on a new connection instead of failing."""
    database = Database(backend_settings.with_values(sqlite_synchronous="normal"))
    database.migrate()
    database.start_writer()
    try:
        database.write(insert_account("before"))
        if database.write_engine.dialect.name == "postgresql":
            pid = database.write(
                lambda conn: conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            )
            with database.read() as conn:
                conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        else:
            kept = database._writer._conn
            assert kept is not None
            kept.connection.dbapi_connection.close()  # type: ignore[union-attr]
        database.write(insert_account("after"))
        with database.read() as conn:
            handles = set(conn.execute(select(tables.accounts.c.handle)).scalars())
        assert handles == {"before", "after"}
    finally:
        database.close()


def _add_to(first: str, then: str, both_hold: threading.Barrier) -> list[WriteFn[Any]]:
    """Two writes for one batch: update account `first`, wait until the other process holds
    its first row too, then update `then`. Raw driver SQL, as the like path runs it."""

    def touch(handle: str, wait: bool) -> WriteFn[str]:
        def op(conn: Connection) -> str:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.execute(
                "UPDATE accounts SET display_name = display_name || 'x' WHERE handle = %s",
                (handle,),
            )
            if wait:
                both_hold.wait(10)
            return handle

        return op

    return [touch(first, wait=True), touch(then, wait=False)]


def test_a_deadlock_between_two_processes_batches_is_run_again_not_a_500(
    backend_settings: Settings,
) -> None:
    """Two processes' group commits lock two rows in opposite orders: PostgreSQL rolls back
    one write as the deadlock's victim. Before, that write failed as a 500 storage-error (the
    load test's 500s on the like path); now it runs again once its batch has committed, and
    every write commits exactly once."""
    databases = [Database(backend_settings) for _ in range(2)]
    try:
        if databases[0].write_engine.dialect.name != "postgresql":
            pytest.skip("SQLite has one writer at a time: no deadlock between processes")
        databases[0].migrate()
        for database in databases:
            database.start_writer()
        databases[0].write(insert_account("a"))
        databases[0].write(insert_account("b"))
        both_hold = threading.Barrier(2)
        batches = [_add_to("a", "b", both_hold), _add_to("b", "a", both_hold)]
        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(in_one_batch, databases, batches))
        assert outcomes == [["a", "b"], ["b", "a"]], outcomes
        with databases[0].read() as conn:
            query = select(tables.accounts.c.handle, tables.accounts.c.display_name)
            names = {row.handle: row.display_name for row in conn.execute(query)}
        assert names == {"a": "xx", "b": "xx"}
    finally:
        for database in databases:
            database.close()


# --- runs of grouped writes (store/writer.py GroupedWrite: a run of likes) -------------------


class Accounts:
    """A group of account inserts done in one statement, noting each group it ran."""

    def __init__(self, fail: bool = False, refuse: str | None = None) -> None:
        self.runs: list[list[str]] = []
        self.fail = fail
        self.refuse = refuse

    def write(self, handle: str) -> GroupedWrite[int]:
        return GroupedWrite(insert_account(handle), self.together, handle)

    def together(self, conn: Connection, writes: Sequence[GroupedWrite[Any]]) -> list[Any]:
        names = [write.args for write in writes]
        self.runs.append(names)
        taken = [name for name in names if name != self.refuse]
        values = [
            {"handle": name, "kind": "fan", "display_name": "", "created_at": AT} for name in taken
        ]
        conn.execute(insert(tables.accounts), values)
        if self.fail:
            raise RuntimeError("the set statement failed after writing")
        ids = dict(
            conn.execute(
                select(tables.accounts.c.handle, tables.accounts.c.id).where(
                    tables.accounts.c.handle.in_(taken)
                )
            ).all()
        )
        return [
            HandleTaken(f"handle {name!r} is refused") if name == self.refuse else ids[name]
            for name in names
        ]


def test_a_run_of_grouped_writes_runs_as_one_group_in_queue_order(db: Database) -> None:
    accounts = Accounts()
    fns: list[WriteFn[Any]] = [
        accounts.write("a"),
        accounts.write("b"),
        insert_account("plain"),  # ends the run: nothing queued after it runs before it
        accounts.write("c"),
        accounts.write("d"),
        accounts.write("e"),
    ]
    results = in_one_batch(db, fns)
    assert accounts.runs == [["a", "b"], ["c", "d", "e"]]
    assert all(isinstance(r, int) for r in results)
    assert len(set(results)) == 6
    assert handles(db) == {"a", "b", "plain", "c", "d", "e"}
    assert sorted(results) == results, "ids in queue order: the plain write ran between"


def test_a_group_gives_each_write_its_own_error(db: Database) -> None:
    accounts = Accounts(refuse="b")
    results = in_one_batch(db, [accounts.write(name) for name in ("a", "b", "c")])
    assert isinstance(results[1], HandleTaken)
    assert isinstance(results[0], int)
    assert isinstance(results[2], int)
    assert handles(db) == {"a", "c"}


def test_a_failing_group_is_undone_and_each_write_runs_alone(db: Database) -> None:
    db.write(insert_account("taken"))
    accounts = Accounts(fail=True)
    fns: list[WriteFn[Any]] = [insert_account("first")]
    fns += [accounts.write(name) for name in ("one", "two", "three")]
    results = in_one_batch(db, fns)
    assert accounts.runs == [["one", "two", "three"]]
    assert all(isinstance(r, int) for r in results)
    # the batch ran again without groups: nothing twice, nothing lost
    assert handles(db) == {"taken", "first", "one", "two", "three"}
    # alone, each write meets its own fate: a taken handle fails only its own write
    results = in_one_batch(db, [accounts.write(name) for name in ("four", "taken", "five")])
    assert isinstance(results[1], Conflict)
    assert isinstance(results[0], int)
    assert isinstance(results[2], int)
    assert handles(db) == {"taken", "first", "one", "two", "three", "four", "five"}


def test_a_grouped_write_alone_is_a_plain_write(db: Database) -> None:
    accounts = Accounts()
    assert isinstance(db.write(accounts.write("solo")), int)
    assert accounts.runs == []
    assert handles(db) == {"solo"}


def _foreign_keys(conn: Connection) -> int:
    return int(conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one())


def _orphan_like(conn: Connection) -> None:
    """A like of an account and a video that do not exist."""
    conn.exec_driver_sql(
        "INSERT INTO likes (account_id, video_id, source, created_at) "
        "VALUES (999, 999, 'app', '2024-01-01 00:00:00.000000')"
    )


def test_an_unchecked_write_runs_alone_with_foreign_keys_off(db: Database) -> None:
    transactions: list[Any] = []
    results = asyncio.run(
        _queue_unchecked_behind_gate(
            db,
            [
                recording(insert_account("before"), transactions),
                recording(_foreign_keys, transactions),
                recording(insert_account("after"), transactions),
            ],
        )
    )
    assert results[1] == 0  # the checks were off for the unchecked write
    before, unchecked, after = transactions
    assert unchecked is not before  # a transaction of its own
    assert unchecked is not after
    assert handles(db) == {"before", "after"}
    # and back on for every write after it: an orphan row is refused
    assert db.write(_foreign_keys) == 1
    with pytest.raises(PlauditError):
        db.write(_orphan_like)


async def _queue_unchecked_behind_gate(db: Database, fns: Sequence[WriteFn[Any]]) -> list[Any]:
    """Queue fns[0], fns[1] (unchecked) and fns[2] while the writer is held, then release."""
    gate = Gate()
    held = asyncio.ensure_future(db.write_async(gate))
    await asyncio.to_thread(gate.entered.wait, 10)
    tasks = [
        asyncio.ensure_future(db.write_async(fn, unchecked=index == 1))
        for index, fn in enumerate(fns)
    ]
    await asyncio.sleep(0)
    gate.release.set()
    await held
    return await asyncio.gather(*tasks)


def test_an_unchecked_write_without_the_writer_thread(sqlite_settings: Settings) -> None:
    database = Database(sqlite_settings)
    database.migrate()
    try:
        assert database.write(_foreign_keys, unchecked=True) == 0
        assert database.write(_foreign_keys) == 1
        with pytest.raises(PlauditError):
            database.write(_orphan_like)
    finally:
        database.close()


@pytest.fixture
def any_db(backend_settings: Settings) -> Iterator[Database]:
    """A migrated store on each engine (its own writer idle: the tests start their own)."""
    database = Database(backend_settings)
    database.migrate()
    database.start_writer()
    yield database
    database.close()


def _gathering_writer(db: Database, gap_s: float, most_s: float) -> Writer:
    writer = Writer(db.write_engine, 256, gather_gap_s=gap_s, gather_max_s=most_s)
    writer.start()
    return writer


def _two_in_one_batch(writer: Writer, first: str, second: str) -> None:
    """A batch of two writes: the writer then knows writes are arriving concurrently."""
    gate = Gate()
    held = writer.submit(gate)
    assert gate.entered.wait(10)
    queued = writer.submit(insert_account(first))
    also = writer.submit(insert_account(second))
    gate.release.set()
    held.result(10)
    queued.result(10)
    also.result(10)


def test_under_load_writes_that_arrive_within_the_gap_share_one_commit(any_db: Database) -> None:
    """After a batch of several writes, the writer waits for more before committing: a
    write that arrives within the gap joins the batch (one commit, one fsync for both)."""
    writer = _gathering_writer(any_db, gap_s=2.0, most_s=5.0)
    try:
        _two_in_one_batch(writer, "busy1", "busy2")
        transactions: list[Any] = []
        first = writer.submit(recording(insert_account("first"), transactions))
        time.sleep(0.2)
        assert not first.done(), "the first write was committed without waiting for company"
        second = writer.submit(recording(insert_account("second"), transactions))
        first.result(10)
        second.result(10)
        assert len(transactions) == 2
        assert transactions[0] is transactions[1], "the two writes were committed apart"
        assert {"first", "second"} <= handles(any_db)
    finally:
        writer.stop()


def test_without_concurrency_a_write_is_committed_at_once(any_db: Database) -> None:
    """A write after a batch of one write is not held for company: even with a gap of a
    minute it is answered at once."""
    writer = _gathering_writer(any_db, gap_s=60.0, most_s=60.0)
    try:
        writer.submit(insert_account("alone1")).result(10)
        started = time.monotonic()
        writer.submit(insert_account("alone2")).result(10)
        assert time.monotonic() - started < 10
        assert {"alone1", "alone2"} <= handles(any_db)
    finally:
        writer.stop()


def test_the_wait_for_company_is_bounded(any_db: Database) -> None:
    """Under load the writer holds a batch at most `gather_max_s`, however writes trickle."""
    writer = _gathering_writer(any_db, gap_s=60.0, most_s=0.3)
    try:
        _two_in_one_batch(writer, "load1", "load2")
        started = time.monotonic()
        writer.submit(insert_account("bounded")).result(30)
        assert 0.25 <= time.monotonic() - started < 30
    finally:
        writer.stop()
