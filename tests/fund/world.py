"""A small world for fund and quality tests: helpers that write
interactions at chosen times (the interaction ops take the time), revocations, holds and
finished scans the way the authenticity tables record them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count

from sqlalchemy import insert, update
from sqlalchemy.engine import Connection

from plaudit.interactions.service import (
    NO_DEVICE,
    comment_op,
    follow_op,
    like_op,
    share_op,
    unlike_op,
)
from plaudit.platform import Platform
from plaudit.store import tables
from plaudit.store.fund import event_horizon
from plaudit.store.interactions import append_event

START = datetime(2026, 11, 2, tzinfo=UTC)
END = datetime(2026, 11, 9, tzinfo=UTC)


def day(n: int, hour: int = 12) -> datetime:
    """A time on the n-th day of the test period (0 is its first day)."""
    return START + timedelta(days=n, hours=hour)


@dataclass
class World:
    platform: Platform
    _handles: Iterator[int] = field(default_factory=count)

    def account(self, kind: str = "fan") -> int:
        account, _token = self.platform.accounts.create(f"{kind}{next(self._handles)}", kind)
        return account.id

    def video(self, creator_id: int) -> int:
        return self.platform.videos.publish(creator_id, "clip", "food").id

    def like(self, fan: int, video: int, at: datetime, source: str = "app") -> int:
        return self.platform.db.write(like_op(fan, video, source, NO_DEVICE, at)).like.id

    def unlike(self, fan: int, video: int, at: datetime) -> None:
        self.platform.db.write(unlike_op(fan, video, "app", at))

    def comment(self, fan: int, video: int, at: datetime, source: str = "app") -> None:
        self.platform.db.write(comment_op(fan, video, "nice", source, NO_DEVICE, at))

    def share(self, fan: int, video: int, at: datetime) -> None:
        self.platform.db.write(share_op(fan, video, "wechat", "app", NO_DEVICE, at))

    def follow(self, fan: int, creator: int, at: datetime) -> None:
        self.platform.db.write(follow_op(fan, creator, "app", at))

    def revoke(self, like_id: int, at: datetime | None = None) -> int:
        """Revoke a like under a fresh verdict: the revocation row and its 'revoke' event."""
        when = at or END

        def op(conn: Connection) -> int:
            like = conn.execute(tables.likes.select().where(tables.likes.c.id == like_id)).one()
            verdict = conn.execute(
                insert(tables.verdicts)
                .values(
                    detector="lockstep",
                    score=1.0,
                    evidence="{}",
                    status="in_force",
                    created_at=when,
                )
                .returning(tables.verdicts.c.id)
            ).scalar_one()
            revocation = conn.execute(
                insert(tables.revocations)
                .values(
                    like_id=like_id,
                    account_id=like.account_id,
                    video_id=like.video_id,
                    verdict_id=verdict,
                    revoked_at=when,
                )
                .returning(tables.revocations.c.id)
            ).scalar_one()
            append_event(conn, "revoke", revocation)
            return int(revocation)

        return self.platform.db.write(op)

    def reinstate(self, revocation_id: int, at: datetime | None = None) -> None:
        def op(conn: Connection) -> None:
            conn.execute(
                update(tables.revocations)
                .where(tables.revocations.c.id == revocation_id)
                .values(reinstated_at=at or END)
            )
            append_event(conn, "reinstate", revocation_id)

        self.platform.db.write(op)

    def hold(self, like_id: int, video_id: int) -> None:
        values = {
            "like_id": like_id,
            "video_id": video_id,
            "rule": "burst",
            "risk": 3,
            "held_at": END,
        }
        self.platform.db.write(lambda conn: conn.execute(insert(tables.holds).values(values)))

    def release(self, like_id: int) -> None:
        stmt = (
            update(tables.holds)
            .where(tables.holds.c.like_id == like_id)
            .values(released_at=END, outcome="released")
        )
        self.platform.db.write(lambda conn: conn.execute(stmt))

    def scan(self) -> None:
        """A finished authenticity scan through every event so far."""

        def op(conn: Connection) -> None:
            through = event_horizon(conn) - 1
            conn.execute(
                insert(tables.authenticity_scans).values(
                    started_at=END, finished_at=END, through_seq=through
                )
            )

        self.platform.db.write(op)

    def integrate(self) -> None:
        """What a running server does: integrate everything, sign a checkpoint even if empty."""
        self.platform.integrator.catch_up()
        self.platform.integrator.ensure_checkpoint()


def make_campaign(platform: Platform, brand: int) -> int:
    """A campaign of a new organisation with `brand` as its owner (campaigns' tables)."""
    at = day(0)

    def op(conn):  # type: ignore[no-untyped-def]
        org = conn.execute(
            insert(tables.organisations).values(name="tea co", created_at=at)
        ).inserted_primary_key[0]
        conn.execute(
            insert(tables.organisation_members).values(
                organisation_id=org, account_id=brand, role="owner", added_at=at
            )
        )
        return conn.execute(
            insert(tables.campaigns).values(
                organisation_id=org,
                name="like for tea",
                task="coupon",
                segment="all",
                starts_at=at,
                ends_at=at + timedelta(days=7),
                budget_fen=1000,
                reward_fen=100,
                per_account_limit=1,
                time_zone="Asia/Shanghai",
                created_by=brand,
                created_at=at,
            )
        ).inserted_primary_key[0]

    return int(platform.db.write(op))
