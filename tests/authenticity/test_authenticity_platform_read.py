"""The platform scan's read gives exactly the likes the old definition gave (issue 19).

The read used to join likes with `events` (sequenced up to the mark) and `videos`, and parse
every like's prefix string; it now reads the integer network kept with each like, and on
SQLite takes the sequence from the read transaction's snapshot. On both engines, on a small
community with attacks plus likes written one by one (public, private and no prefix) and an
unlike, the detector table it builds must equal the one the old definition builds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from plaudit.authenticity.demo_attacks import load_attacks
from plaudit.authenticity.platform_scan import load_likes
from plaudit.authenticity.sources import LikeCollector
from plaudit.authenticity.spec import parse_spec
from plaudit.authenticity.table import Interactions, from_arrays
from plaudit.config import Settings
from plaudit.interactions import Device
from plaudit.interactions.model import is_public_prefix
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from plaudit.store import Database
from plaudit.store.tables import likes

TINY = CommunitySize("tiny", accounts=600, creators=30, videos=120, interactions=6000, days=30)
END = datetime(2026, 11, 1, tzinfo=UTC)
ATTACKS = "farm:40x20:d=0.5:camo=random,hijack:10x10:d=0.5,ring:5:d=0.5"

# The read as it was before issue 19: every active like whose 'like' event is at or before
# the mark, with its video's creator, and its prefix string.
_OLD_READ = """
SELECT l.id, l.account_id, l.video_id, {epoch}, l.device_id, l.ip_prefix, v.creator_id
FROM likes l
JOIN videos v ON v.id = l.video_id
JOIN events e ON e.ref_id = l.id AND e.kind = 'like'
WHERE l.removed_at IS NULL AND e.seq <= (SELECT MAX(seq) FROM events)
ORDER BY l.id
"""
_EPOCH = {
    "sqlite": "CAST(strftime('%s', l.created_at) AS INTEGER)",
    "postgresql": "CAST(EXTRACT(EPOCH FROM l.created_at) AS BIGINT)",
}


@pytest.fixture
def community(backend_settings: Settings, tmp_path: Path) -> Iterator[Platform]:
    """The tiny demo with three attacks, then likes written one at a time and an unlike."""
    platform = Platform(backend_settings).open()
    try:
        collected = LikeCollector()
        load_community(platform.db, TINY, seed=5, end=END, show_progress=False, observe=collected)
        load_attacks(platform.db, collected, parse_spec(ATTACKS), seed=2, data_path=tmp_path)
        active = _active_likes(platform.db)
        liked, videos = set(active), sorted({v for _, v in active})
        service = platform.interactions
        prefixes = ["8.8.8.0/24", "192.168.1.0/24", None, "2a00:1450:4001::/48"]
        for (account, _), prefix in zip(active[:4], prefixes, strict=True):
            video = next(v for v in videos if (account, v) not in liked)
            outcome = service.like_sync(account, video, device=Device("phone-1", "ua", prefix))
            assert outcome.created
        service.unlike_sync(*active[0])
        yield platform
    finally:
        platform.close()


def _active_likes(db: Database) -> list[tuple[int, int]]:
    with db.read() as conn:
        stmt = select(likes.c.account_id, likes.c.video_id).where(likes.c.removed_at.is_(None))
        return [(int(a), int(v)) for a, v in conn.execute(stmt.order_by(likes.c.id))]


def _old_definition(db: Database) -> tuple[np.ndarray, Interactions]:
    with db.read() as conn:
        sql = _OLD_READ.format(epoch=_EPOCH[conn.dialect.name])
        rows = conn.exec_driver_sql(sql).all()
    like_id, account, video, ts, device, prefix, creator_id = zip(*rows, strict=True)
    codes: dict[str, int] = {}
    ip = [codes.setdefault(p, len(codes)) if p and is_public_prefix(p) else -1 for p in prefix]
    videos = np.array(video, dtype=np.int64)
    creator = np.full(int(videos.max()) + 1, -1, dtype=np.int64)
    creator[videos] = np.array(creator_id, dtype=np.int64)
    table = from_arrays(
        np.array(account, dtype=np.int64),
        videos,
        np.array(ts, dtype=np.int64),
        device=np.array([-1 if d is None else d for d in device], dtype=np.int64),
        ip=np.array(ip, dtype=np.int64),
        creator_of_video=creator,
    )
    return np.array(like_id, dtype=np.int64), table


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return np.array_equal(a, b)


def test_the_read_gives_exactly_the_likes_times_devices_networks_of_the_old_definition(
    community: Platform,
) -> None:
    old_ids, old = _old_definition(community.db)
    new = load_likes(community.db)
    assert new.table is not None
    assert np.array_equal(new.like_ids, old_ids)
    for field in ("account", "video", "ts", "account_ids", "video_ids", "device", "ip", "creator"):
        assert _same(getattr(new.table, field), getattr(old, field)), field
    assert new.table.ip is not None
    assert int(new.table.ip.max()) > 0, "the community has public networks"
    assert int((new.table.ip < 0).sum()) > 0, "and likes without one (CGNAT attacks, private)"


def test_a_store_without_events_gives_nothing_to_scan(backend_settings: Settings) -> None:
    platform = Platform(backend_settings).open()
    try:
        read = load_likes(platform.db)
    finally:
        platform.close()
    assert read.table is None
    assert read.through_seq is None
    assert len(read.like_ids) == 0


def test_the_sqlite_store_is_read_by_its_file_and_postgresql_by_the_driver(
    backend_settings: Settings,
) -> None:
    platform = Platform(backend_settings).open()
    try:
        path = platform.db.sqlite_path
    finally:
        platform.close()
    if backend_settings.is_sqlite:
        assert path is not None
        assert Path(path).is_file()
    else:
        assert path is None
