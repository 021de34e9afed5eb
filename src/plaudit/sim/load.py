"""Write a generated community into the store, through the bulk path that keeps every invariant.

Accounts and videos are inserted with the generator's ids (the store must be empty); their
counter rows are created with them. Interactions go through `plaudit.interactions.ingest`,
the same code the gateway endpoint runs, so uniqueness, counters and the dense event sequence
hold exactly as for live traffic; an item the platform refuses aborts the load loudly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import Connection

from plaudit.errors import Conflict, StorageError
from plaudit.interactions.bulk import ingest
from plaudit.sim.community import generate
from plaudit.sim.records import (
    AccountsChunk,
    Chunk,
    CommunitySize,
    InteractionsChunk,
    VideosChunk,
)
from plaudit.store import Database
from plaudit.store import catalog as catalog_sql
from plaudit.store.bulk import ACCOUNT_COLUMNS, PROFILE_COLUMNS, VIDEO_COLUMNS, BulkSQL

__all__ = ["default_end", "load_community"]


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


def load_community(
    db: Database,
    size: CommunitySize,
    seed: int,
    *,
    end: datetime | None = None,
    skip_if_loaded: bool = False,
    show_progress: bool = True,
    observe: Callable[[Chunk], None] | None = None,
) -> str:
    """Generate and store a community; returns a one-line summary.

    `observe` sees every chunk after it is stored (the attack injector collects the likes).
    """
    existing = _account_count(db)
    if existing:
        if skip_if_loaded:
            return f"the database already has {existing:,} accounts; demo not loaded again"
        raise Conflict(
            f"the database already has {existing:,} accounts; load the demo into an "
            "empty data directory (--data-dir) or pass --if-empty"
        )
    totals = Counter[str]()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, disable=not show_progress, transient=False) as progress:
        total = size.accounts + size.videos + size.interactions
        task = progress.add_task(f"demo {size.name} (seed {seed})", total=total)
        for chunk in generate(size, seed, end or default_end()):
            if isinstance(chunk, AccountsChunk):
                db.write(partial(_write_accounts, chunk=chunk))
                done = len(chunk.rows)
                totals["accounts"] += done
            elif isinstance(chunk, VideosChunk):
                db.write(partial(_write_videos, chunk=chunk))
                done = len(chunk.rows)
                totals["videos"] += done
            else:
                done = db.write(partial(_write_interactions, chunk=chunk))
                totals["interactions"] += done
            progress.advance(task, done)
            if observe is not None:
                observe(chunk)
    db.write(_sync_sequences)
    return (
        f"loaded demo '{size.name}' (seed {seed}): {totals['accounts']:,} accounts, "
        f"{totals['videos']:,} videos, {totals['interactions']:,} interactions"
    )
