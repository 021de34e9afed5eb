"""The set-based demo loader writes the same database as loading through `ingest`, item by item.

Both loads of one community are compared table by table, row by row (ids, seqs, devices,
removals, counters, the event sequence), on SQLite and PostgreSQL; then a load the platform
would refuse stops as the reference does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from plaudit.config import Settings, load_settings
from plaudit.errors import StorageError
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.events import FOLLOW, UNFOLLOW, UNLIKE
from plaudit.sim.load import load_community
from plaudit.sim.records import CHUNK_ROWS, ColumnsChunk
from plaudit.sim.setload import SetLoader
from plaudit.store import tables
from plaudit.store.bulkload import missing_indexes
from tests.conftest import _drop_postgres_database, _fresh_postgres_database, postgres_admin_url

# More interactions than two chunks, so removals reach back into earlier chunks and
# transactions, and devices are new in several chunks.
COMMUNITY = CommunitySize(
    "setload", accounts=3_000, creators=80, videos=600, interactions=2 * CHUNK_ROWS + 7_000
)
REFUSED = CommunitySize("refused", accounts=600, creators=30, videos=120, interactions=6_000)
END = datetime(2026, 11, 1, tzinfo=UTC)
_COMPARED = (
    tables.accounts,
    tables.profiles,
    tables.videos,
    tables.devices,
    tables.likes,
    tables.follows,
    tables.comments,
    tables.shares,
    tables.events,
    tables.sequencer,
    tables.video_counters,
    tables.creator_counters,
    tables.holds,
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[Settings]]:
    """Two fresh, empty stores on the same engine."""
    made = [load_settings(flags={"data_dir": str(tmp_path / f"d{i}")}, env={}) for i in (0, 1)]
    if request.param == "sqlite":
        yield made
        return
    admin = postgres_admin_url()
    assert admin is not None
    databases = [_fresh_postgres_database(admin) for _ in made]
    try:
        yield [s.with_values(database_url=url) for s, (url, _) in zip(made, databases, strict=True)]
    finally:
        for _, name in databases:
            _drop_postgres_database(admin, name)


def _dump(platform: Platform) -> dict[str, list[tuple[Any, ...]]]:
    with platform.db.read() as conn:
        return {
            str(table.name): [
                tuple(row)
                for row in conn.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in _COMPARED
        }


def test_the_set_based_load_writes_what_ingest_writes(two_stores: list[Settings]) -> None:
    dumps = []
    for settings, set_based in zip(two_stores, (False, True), strict=True):
        platform = Platform(settings).open()
        try:
            load_community(
                platform.db, COMMUNITY, 9, end=END, show_progress=False, set_based=set_based
            )
            with platform.db.read() as conn:
                assert missing_indexes(conn) == []
            dumps.append(_dump(platform))
            # the id sequences moved past the load: a new fan's like gets the next id and seq
            if set_based:
                fan, _token = platform.accounts.create("late_fan", "fan")
                outcome = platform.interactions.like_sync(fan.id, COMMUNITY.videos)
                assert outcome.like.id == len(dumps[-1]["likes"]) + 1
                assert outcome.seq == COMMUNITY.interactions
        finally:
            platform.close()
    reference, set_based_dump = dumps
    assert len(reference["events"]) == COMMUNITY.interactions
    assert any(row[7] is not None for row in reference["likes"])  # unlikes happened
    assert any(row[5] is not None for row in reference["follows"])  # unfollows too
    for name, rows in reference.items():
        assert set_based_dump[name] == rows, name


def _load_tampered(settings: Settings, tamper: Any) -> None:
    platform = Platform(settings).open()
    original = SetLoader.write

    def write(self: SetLoader, sql: Any, conn: Any, chunk: ColumnsChunk) -> int:
        return original(self, sql, conn, tamper(chunk))

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(SetLoader, "write", write)
            load_community(platform.db, REFUSED, 9, end=END, show_progress=False)
    finally:
        platform.close()


def _with_events(chunk: ColumnsChunk, **changes: Any) -> ColumnsChunk:
    return ColumnsChunk(replace(chunk.events, **changes), chunk.where)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda c: _with_events(c, account=c.events.account * 0 + 10**6), "an account outside"),
        (
            lambda c: _with_events(
                c, kind=np.where(c.events.kind == FOLLOW, UNFOLLOW, c.events.kind).astype(np.int8)
            ),
            "a removal of follows never made",
        ),
        (
            lambda c: _with_events(
                c,
                kind=np.where(np.arange(len(c)) == len(c) - 1, UNLIKE, c.events.kind).astype(
                    np.int8
                ),
                target=np.where(np.arange(len(c)) == len(c) - 1, 1, c.events.target),
            ),
            "a removal of likes never made",
        ),
    ],
)
def test_a_load_the_platform_would_refuse_stops_with_its_reason(
    tmp_path: Path, tamper: Any, message: str
) -> None:
    settings = load_settings(flags={"data_dir": str(tmp_path / "data")}, env={})
    with pytest.raises(StorageError, match=message):
        _load_tampered(settings, tamper)
    platform = Platform(settings).open()
    try:
        with platform.db.read() as conn:
            assert missing_indexes(conn) == []  # built again after the failure
    finally:
        platform.close()
