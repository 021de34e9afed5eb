"""Two operators creating overlapping fund periods at the same time on PostgreSQL.

Overlapping periods would pay the same interactions twice, so `create_period` refuses an
overlap; two concurrent creations must not both pass that check. The second creation is
started at the moment the first is about to insert (a cursor hook on the first's own
engine); it either waits for the first to commit and then sees the overlap, or (without a
lock) inserts alongside it. SQLite has a single writer, so this cannot interleave there.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from tests.fund.world import END, START, World
from tests.races import start_and_wait_blocked

from plaudit.errors import Conflict
from plaudit.fund import Rule
from plaudit.platform import Platform
from plaudit.store import tables


def test_concurrent_overlapping_periods_are_not_both_created(world: World) -> None:
    platform = world.platform
    if platform.db.dialect != "postgresql":
        pytest.skip("the interleaving needs two concurrent writers (PostgreSQL)")
    outcomes: list[str] = []

    def create_other() -> None:
        try:
            platform.fund.create_period("b", START + timedelta(days=1), END, 500, Rule())
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")

    other = threading.Thread(target=create_other)

    waited: list[bool] = []  # did the second writer wait for our locks?

    def other_operator_now(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.lower().startswith("insert into fund_periods") and other.ident is None:
            waited.append(start_and_wait_blocked(other, platform.db))

    first = Platform(platform.settings)
    event.listen(first.db.write_engine, "before_cursor_execute", other_operator_now)
    try:
        first.fund.create_period("a", START, END, 1000, Rule())
    finally:
        event.remove(first.db.write_engine, "before_cursor_execute", other_operator_now)
        first.db.close()
    other.join()
    assert waited == [True], "the forced interleaving did not happen"

    assert outcomes == ["conflict"]
    with platform.db.read() as conn:
        periods = conn.execute(select(func.count()).select_from(tables.fund_periods)).scalar_one()
    assert periods == 1
