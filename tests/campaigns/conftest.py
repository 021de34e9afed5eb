"""A small real world for campaign tests: a brand organisation, a creator's videos, fans with
profiles, and the persona index computed from them (the same code `plaudit persona refresh`
runs), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from plaudit.campaigns import Campaign, CampaignSpec, Organisation
from plaudit.campaigns.policy import campaign_like_policy
from plaudit.config import Settings
from plaudit.interactions import LikeOutcome
from plaudit.interactions.service import NO_DEVICE, like_op
from plaudit.persona import compute_index
from plaudit.platform import Platform
from plaudit.store import authenticity as authenticity_sql
from plaudit.store import tables, utcnow

TARGET = "city_tier in (1, new1) and age in 25..35 and spend >= 5000 and gender = female"
MATCHING = {
    "birth_year": 1995,
    "gender": "female",
    "city_tier": "1",
    "spending_band": "5000-10000",
}
_handles = count()


@dataclass
class World:
    platform: Platform
    brand: int
    organisation: Organisation
    creator: int
    videos: list[int] = field(default_factory=list)

    def fan(self, profile: dict[str, object] | None = None, kind: str = "fan") -> int:
        account, _token = self.platform.accounts.create(f"fan{next(_handles)}", kind)
        self.platform.accounts.update_profile(account.id, dict(profile or MATCHING))
        return account.id

    def refresh_persona(self) -> None:
        """What `plaudit persona refresh` does: compute the tag index and swap it in."""
        compute_index(self.platform.db).save(self.platform.settings.data_path)

    def campaign(self, **overrides: object) -> Campaign:
        now = utcnow()
        values: dict[str, object] = {
            "name": "winter coupons",
            "task": "coupon",
            "segment": TARGET,
            "starts_at": now - timedelta(days=10),
            "ends_at": now + timedelta(days=10),
            "budget_fen": 10_000,
            "reward_fen": 1_000,
            "video_ids": tuple(self.videos[:2]),
        }
        values.update(overrides)
        spec = CampaignSpec(**values)  # type: ignore[arg-type]
        return self.platform.campaigns.create_campaign(self.brand, self.organisation.id, spec)

    def move_end(self, campaign_id: int, ends_at: datetime) -> None:
        """Set a campaign's end as if time had passed (creation refuses a past end)."""
        table = tables.campaigns
        update = table.update().where(table.c.id == campaign_id).values(ends_at=ends_at)
        self.platform.db.write(lambda conn: conn.execute(update))

    def like(self, account: int, video: int, source: str = "app") -> LikeOutcome:
        return asyncio.run(self.platform.interactions.like(account, video, source))

    def like_at(self, account: int, video: int, source: str, at: datetime) -> LikeOutcome:
        """The like transaction at a chosen time (streak days), with the campaign policy."""
        op = like_op(account, video, source, NO_DEVICE, at)

        def checked(conn: object) -> LikeOutcome:
            outcome = op(conn)  # type: ignore[arg-type]
            campaign_like_policy(conn, source, outcome)  # type: ignore[arg-type]
            return outcome

        return self.platform.db.write(checked)

    def likes_of(self, video: int, account: int) -> int:
        """How many like rows (active or not) the account has on the video."""
        from sqlalchemy import and_, func, select

        from plaudit.store import tables

        likes = tables.likes
        stmt = select(func.count()).where(
            and_(likes.c.video_id == video, likes.c.account_id == account)
        )
        with self.platform.db.read() as conn:
            return int(conn.execute(stmt).scalar_one())

    def scan(self) -> None:
        """A finished authenticity scan over every like so far (the hold clears)."""
        self.platform.authenticity.scan()

    def revoke(self, like_id: int, account: int, video: int) -> None:
        """A verdict revoking one like, as a detector or an operator would record it."""

        def op(conn: object) -> None:
            verdict = authenticity_sql.insert_verdict(
                conn,  # type: ignore[arg-type]
                None,
                "operator",
                1.0,
                '{"reason": "test"}',
                utcnow(),
            )
            authenticity_sql.revoke(conn, verdict, [(like_id, account, video)], utcnow())  # type: ignore[arg-type]

        self.platform.db.write(op)


def make_world(settings: Settings) -> Iterator[World]:
    platform = Platform(settings).open(writer_thread=True)
    try:
        brand, _ = platform.accounts.create(f"brand{next(_handles)}", "brand")
        organisation = platform.campaigns.create_organisation(brand.id, "Acme Cosmetics")
        creator, _ = platform.accounts.create(f"creator{next(_handles)}", "creator")
        videos = [
            platform.videos.publish(creator.id, f"lesson {i}", "education").id for i in range(5)
        ]
        yield World(platform, brand.id, organisation, creator.id, videos)
    finally:
        platform.close()


@pytest.fixture
def world(backend_settings: Settings) -> Iterator[World]:
    yield from make_world(backend_settings)


@pytest.fixture
def instant_world(backend_settings: Settings) -> Iterator[World]:
    """Rewards released without waiting for a scan (reward_hold = none)."""
    yield from make_world(backend_settings.with_values(reward_hold="none"))


def days_ago(days: int, hour_utc: int = 4) -> datetime:
    """A time `days` days ago at `hour_utc` UTC (noon in Asia/Shanghai for hour 4)."""
    today = datetime.now(UTC).replace(hour=hour_utc, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days)
