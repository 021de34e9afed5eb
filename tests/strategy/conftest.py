"""A tiny generated community with its tag index, and a platform over it with a small k."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from plaudit.persona import compute_index
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from plaudit.store import tables, utcnow

K = 5  # privacy_k: a 600-account community has groups this large to describe
TINY = CommunitySize("tiny", accounts=600, creators=12, videos=120, interactions=9000, days=45)


@dataclass(repr=False)
class Community:
    platform: Platform
    top_creator: int


@pytest.fixture(scope="module")
def community(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Community]:
    from plaudit.config import load_settings

    data: Path = tmp_path_factory.mktemp("strategy") / "data"
    # strategy logic on a tiny world: the differential-privacy noise is tested in persona
    settings = load_settings(flags={"data_dir": str(data)}, env={}).with_values(
        privacy_k=K, dp_epsilon=0, dp_epsilon_insights=0, dp_epsilon_overlap=0, privacy_round=1
    )
    platform = Platform(settings).open()
    end = utcnow() - timedelta(hours=1)
    load_community(platform.db, TINY, seed=21, end=end, show_progress=False)
    compute_index(platform.db, end).save(settings.data_path)
    platform.db.start_writer()  # approvals run through the interactions service's async path
    f = tables.follows
    stmt = (
        select(f.c.creator_id)
        .where(f.c.removed_at.is_(None))
        .group_by(f.c.creator_id)
        .order_by(func.count().desc(), f.c.creator_id)
        .limit(1)
    )
    with platform.db.read() as conn:
        top = int(conn.execute(stmt).scalar_one())
    yield Community(platform, top)
    platform.close()
