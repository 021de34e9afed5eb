"""each like keeps its public network as an integer, for the platform scan (issue 19)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 20:50:00.000000

`likes.network` is `interactions.model.network_code(ip_prefix)`: what the platform scan used
to work out from the prefix string of every like it read (1.9M distinct prefixes parsed per
scan of the medium demo). Existing likes are backfilled here: each distinct prefix is judged
once, the public ones go into a temporary table, and the likes are updated from it in ranges
of ids, so neither the prefixes nor the likes are ever all in memory.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

from plaudit.interactions.model import network_code

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | None = None
depends_on: str | None = None

_RANGE = 250_000
"""Likes updated per statement."""
_CHUNK = 10_000
"""Distinct prefixes judged and inserted per batch."""
_SHOW_PROGRESS = 1_000_000
"""A backfill over more likes than this reports its progress on stderr."""


def upgrade() -> None:
    op.add_column("likes", sa.Column("network", sa.BigInteger(), nullable=True))
    _backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("likes", schema=None) as batch_op:
        batch_op.drop_column("network")


def _backfill(conn: Connection) -> None:
    last = conn.execute(sa.text("SELECT MAX(id) FROM likes")).scalar()
    if last is None:
        return
    show = int(last) > _SHOW_PROGRESS
    conn.execute(
        sa.text(
            "CREATE TEMPORARY TABLE network_codes "
            "(prefix VARCHAR(64) PRIMARY KEY, code BIGINT NOT NULL)"
        )
    )
    distinct = conn.execute(
        sa.text("SELECT DISTINCT ip_prefix FROM likes WHERE ip_prefix IS NOT NULL")
    ).scalars()
    judged = 0
    for batch in _public_codes(distinct):
        conn.execute(sa.text("INSERT INTO network_codes VALUES (:p, :c)"), batch)
        judged += len(batch)
    if show:
        print(f"likes.network: {judged:,} public networks; backfilling likes", file=sys.stderr)
    update = sa.text(
        "UPDATE likes SET network = "
        "(SELECT n.code FROM network_codes n WHERE n.prefix = likes.ip_prefix) "
        "WHERE id >= :lo AND id < :hi AND ip_prefix IS NOT NULL"
    )
    for lo in range(0, int(last) + 1, _RANGE):
        conn.execute(update, {"lo": lo, "hi": lo + _RANGE})
        if show:
            done = min(lo + _RANGE, int(last))
            print(f"likes.network: {done:,} / {int(last):,} like ids", file=sys.stderr)
    conn.execute(sa.text("DROP TABLE network_codes"))


def _public_codes(prefixes: Iterable[str]) -> Iterator[list[dict[str, object]]]:
    """(prefix, code) rows of the public prefixes among `prefixes`, in batches."""
    batch: list[dict[str, object]] = []
    for prefix in prefixes:
        code = network_code(prefix)
        if code is not None:
            batch.append({"p": prefix, "c": code})
        if len(batch) >= _CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch
