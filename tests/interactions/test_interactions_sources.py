"""`campaign:<id>` is a like's source when the campaign policy checked it; on a comment, share
or follow nothing checks it, so those refuse it with a precise problem instead of counting
an unchecked action in a campaign's quality score and disclosing it as incentivised."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from plaudit.config import Settings
from plaudit.errors import InvalidInput
from plaudit.platform import Platform
from plaudit.store import tables


@pytest.fixture
def served(sqlite_settings: Settings) -> Iterator[Platform]:
    opened = Platform(sqlite_settings).open(writer_thread=True)
    yield opened
    opened.close()


def test_comments_shares_and_follows_refuse_campaign_sources(served: Platform) -> None:
    creator = served.accounts.create("maker", "creator")[0].id
    fan = served.accounts.create("fan")[0].id
    video = served.videos.publish(creator, "clip", "food").id
    interactions = served.interactions
    attempts = {
        "comment": interactions.comment(fan, video, "great", source="campaign:7"),
        "share": interactions.share(fan, video, "wechat", source="campaign:7"),
        "follow": interactions.follow(fan, creator, source="campaign:7"),
    }
    for kind, attempt in attempts.items():
        with pytest.raises(InvalidInput, match=f"only for likes.*a {kind} has source") as info:
            asyncio.run(attempt)
        assert info.value.extensions.get("field") == "source"
    # the same actions with an ordinary source go through
    asyncio.run(interactions.comment(fan, video, "great", source="web"))
    with served.db.read() as conn:
        incentivised = conn.execute(
            select(func.count())
            .select_from(tables.comments)
            .where(tables.comments.c.source.like("campaign:%"))
        ).scalar_one()
        comments = conn.execute(select(func.count()).select_from(tables.comments)).scalar_one()
    assert (incentivised, comments) == (0, 1)
