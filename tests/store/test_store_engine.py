"""The SQLite engines apply the durability setting: `full` by default (every acknowledged
write survives power loss), `normal` only when an operator chooses it (docs/operations.md)."""

from __future__ import annotations

import pytest

from plaudit.config import Settings
from plaudit.store.engine import make_engine

# PRAGMA synchronous answers 1 for NORMAL and 2 for FULL (sqlite.org/pragma.html#pragma_synchronous)
_LEVELS = {"normal": 1, "full": 2}


def _synchronous(settings: Settings, *, for_writes: bool) -> int:
    engine = make_engine(settings, for_writes=for_writes)
    try:
        with engine.connect() as conn:
            level = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    finally:
        engine.dispose()
    assert level is not None
    return int(level)


def test_the_writer_syncs_every_commit_by_default(sqlite_settings: Settings) -> None:
    assert sqlite_settings.sqlite_synchronous == "full"
    assert _synchronous(sqlite_settings, for_writes=True) == _LEVELS["full"]


@pytest.mark.parametrize("level", ["normal", "full"])
def test_the_chosen_level_reaches_every_connection(sqlite_settings: Settings, level: str) -> None:
    settings = sqlite_settings.with_values(sqlite_synchronous=level)
    assert _synchronous(settings, for_writes=True) == _LEVELS[level]
    assert _synchronous(settings, for_writes=False) == _LEVELS[level]
