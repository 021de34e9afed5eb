"""Migration 0016: likes written before it get the network the write path now keeps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from plaudit.config import Settings
from plaudit.interactions.model import network_code
from plaudit.store import Database, current_revision, head_revision
from plaudit.store.migrate import upgrade
from plaudit.store.tables import likes

PREFIXES = [
    "8.8.8.0/24",
    "8.8.8.0/24",
    "1.1.1.0/24",
    "2a00:1450:4001::/48",
    "192.168.1.0/24",  # private
    "100.64.3.0/24",  # carrier-grade NAT
    "::1/128",
    "not a prefix",
    None,
]


@pytest.fixture
def db(backend_settings: Settings) -> Iterator[Database]:
    database = Database(backend_settings)
    yield database
    database.close()


def test_the_upgrade_backfills_each_like_with_its_public_network(db: Database) -> None:
    upgrade(db.write_engine, "0015")
    at = datetime(2026, 11, 1, tzinfo=UTC)
    with db.write_engine.begin() as conn:
        for i in range(1, len(PREFIXES) + 1):
            conn.execute(
                text(
                    "INSERT INTO accounts (id, handle, kind, display_name, created_at) "
                    "VALUES (:id, :handle, 'creator', '', :at)"
                ),
                {"id": i, "handle": f"account-{i}", "at": at},
            )
        conn.execute(
            text(
                "INSERT INTO videos (id, creator_id, title, category, duration_s, published_at) "
                "VALUES (1, 1, 't', 'food', 10, :at)"
            ),
            {"at": at},
        )
        for i, prefix in enumerate(PREFIXES, start=1):
            conn.execute(
                text(
                    "INSERT INTO likes (id, account_id, video_id, source, ip_prefix, created_at) "
                    "VALUES (:id, :id, 1, 'app', :p, :at)"
                ),
                {"id": i, "p": prefix, "at": at},
            )
    db.migrate()
    assert current_revision(db.write_engine) == head_revision()
    with db.read() as conn:
        rows = conn.execute(select(likes.c.ip_prefix, likes.c.network).order_by(likes.c.id)).all()
    assert [(p, n) for p, n in rows] == [(p, network_code(p)) for p in PREFIXES]
    public = [n for _, n in rows if n is not None]
    assert len(public) == 4
    assert len(set(public)) == 3
