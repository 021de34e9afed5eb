"""SQL of webhooks: endpoints, the outbox of messages, the delivery log, source cursors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, text, update
from sqlalchemy.engine import Connection, Row

from plaudit.store.tables import (
    accounts,
    campaigns,
    events,
    fund_periods,
    ledger_checkpoints,
    organisation_members,
    revocations,
    rewards,
    verdicts,
    videos,
    webhook_attempts,
    webhook_cursors,
    webhook_endpoints,
    webhook_messages,
)

__all__ = [
    "active_endpoints",
    "advance_cursor",
    "attempts_of",
    "checkpoints_after",
    "claim_due_messages",
    "closed_periods_after",
    "cursor",
    "disable_endpoint",
    "get_endpoint",
    "get_message",
    "insert_attempt",
    "insert_endpoint",
    "insert_message",
    "list_endpoints",
    "members_of",
    "messages_of",
    "redemptions_after",
    "reinstatements_after",
    "releases_after",
    "revocations_after",
    "set_secret",
    "take_collect_turn",
    "update_message",
    "verdicts_after",
]

E, M = webhook_endpoints, webhook_messages


def insert_endpoint(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(E).values(**values).returning(E.c.id)).scalar_one())


def get_endpoint(conn: Connection, endpoint_id: int) -> Row[Any] | None:
    return conn.execute(select(E).where(E.c.id == endpoint_id)).first()


def list_endpoints(
    conn: Connection, account_id: int, organisation_id: int | None = None
) -> list[Row[Any]]:
    """An organisation's endpoints, or the personal ones an account made, oldest first."""
    if organisation_id is not None:
        where = E.c.organisation_id == organisation_id
    else:
        where = (E.c.account_id == account_id) & E.c.organisation_id.is_(None)
    return list(conn.execute(select(E).where(where).order_by(E.c.id)))


def active_endpoints(conn: Connection, event_type: str) -> list[Row[Any]]:
    """Endpoints not disabled that asked for this event (filtering on the words in Python)."""
    rows = conn.execute(select(E, accounts.c.kind).join(accounts).where(E.c.disabled_at.is_(None)))
    return [row for row in rows if event_type in row.events.split()]


def disable_endpoint(conn: Connection, endpoint_id: int, at: datetime, reason: str) -> None:
    stmt = update(E).where(E.c.id == endpoint_id, E.c.disabled_at.is_(None))
    conn.execute(stmt.values(disabled_at=at, disabled_reason=reason))


def set_secret(
    conn: Connection, endpoint_id: int, secret: str, previous: str, until: datetime
) -> None:
    stmt = update(E).where(E.c.id == endpoint_id)
    conn.execute(stmt.values(secret=secret, previous_secret=previous, previous_until=until))


def insert_message(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(M).values(**values).returning(M.c.id)).scalar_one())


def get_message(conn: Connection, message_id: int) -> Row[Any] | None:
    return conn.execute(select(M).where(M.c.id == message_id)).first()


def messages_of(conn: Connection, endpoint_id: int, limit: int) -> list[Row[Any]]:
    stmt = select(M).where(M.c.endpoint_id == endpoint_id).order_by(M.c.id.desc()).limit(limit)
    return list(conn.execute(stmt))


# The advisory-lock key of event collection: "plaudit" then 0x02 (leader.py holds 0x01).
_COLLECT_LOCK_KEY = int.from_bytes(b"plaudit\x02", "big")


def take_collect_turn(conn: Connection) -> bool:
    """Whether this transaction may move the source cursors. With several API processes on
    PostgreSQL each runs a dispatcher; without this turn two would read one cursor and queue
    the same events twice. A transaction-level advisory lock, released at commit; SQLite's
    writers are already one at a time."""
    if conn.dialect.name != "postgresql":
        return True
    taken = conn.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _COLLECT_LOCK_KEY})
    return bool(taken.scalar())


def claim_due_messages(
    conn: Connection, now: datetime, lease_until: datetime, limit: int
) -> list[Row[Any]]:
    """Due messages, each leased to this dispatcher until `lease_until` (its attempt then
    records the real next time): another process skips rows being claimed and sees the lease,
    so one message is not sent twice at once; a dispatcher that dies lets its lease run out."""
    stmt = (
        select(M)
        .where(and_(M.c.status == "pending", M.c.next_attempt_at <= now))
        .order_by(M.c.next_attempt_at, M.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    due = list(conn.execute(stmt))
    if due:
        ids = [m.id for m in due]
        conn.execute(update(M).where(M.c.id.in_(ids)).values(next_attempt_at=lease_until))
    return due


def update_message(conn: Connection, message_id: int, **values: Any) -> None:
    conn.execute(update(M).where(M.c.id == message_id).values(**values))


def insert_attempt(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(webhook_attempts).values(**values))


def attempts_of(conn: Connection, message_ids: list[int]) -> list[Row[Any]]:
    a = webhook_attempts
    stmt = select(a).where(a.c.message_id.in_(message_ids)).order_by(a.c.id)
    return list(conn.execute(stmt))


def cursor(conn: Connection, source: str) -> int | None:
    stmt = select(webhook_cursors.c.last_id).where(webhook_cursors.c.source == source)
    value = conn.execute(stmt).scalar()
    return None if value is None else int(value)


def advance_cursor(conn: Connection, source: str, last_id: int, known: bool) -> None:
    c = webhook_cursors
    if known:
        conn.execute(update(c).where(c.c.source == source).values(last_id=last_id))
    else:
        conn.execute(insert(c).values(source=source, last_id=last_id))


def checkpoints_after(conn: Connection, size: int, limit: int) -> list[Row[Any]]:
    c = ledger_checkpoints
    stmt = select(c.c.size.label("position"), c.c.size, c.c.root, c.c.created_at)
    stmt = stmt.where(c.c.size > size)
    return list(conn.execute(stmt.order_by(c.c.size).limit(limit)))


def verdicts_after(conn: Connection, verdict_id: int, limit: int) -> list[Row[Any]]:
    v = verdicts
    stmt = select(
        v.c.id.label("position"), v.c.id, v.c.detector, v.c.score, v.c.status, v.c.created_at
    )
    return list(conn.execute(stmt.where(v.c.id > verdict_id).order_by(v.c.id).limit(limit)))


def revocations_after(conn: Connection, revocation_id: int, limit: int) -> list[Row[Any]]:
    """Revocations with the creator of the video (whose endpoints hear of them)."""
    r = revocations
    stmt = (
        select(
            r.c.id.label("position"),
            r.c.like_id,
            r.c.video_id,
            r.c.verdict_id,
            r.c.revoked_at,
            videos.c.creator_id,
        )
        .join(videos, videos.c.id == r.c.video_id)
        .where(r.c.id > revocation_id)
        .order_by(r.c.id)
        .limit(limit)
    )
    return list(conn.execute(stmt))


def reinstatements_after(conn: Connection, seq: int, limit: int) -> list[Row[Any]]:
    """Reinstated revocations in ledger order (their `reinstate` events)."""
    r = revocations
    stmt = (
        select(
            events.c.seq.label("position"),
            r.c.like_id,
            r.c.video_id,
            r.c.verdict_id,
            r.c.reinstated_at,
            videos.c.creator_id,
        )
        .join(r, r.c.id == events.c.ref_id)
        .join(videos, videos.c.id == r.c.video_id)
        .where(events.c.kind == "reinstate", events.c.seq > seq)
        .order_by(events.c.seq)
        .limit(limit)
    )
    return list(conn.execute(stmt))


def releases_after(conn: Connection, reward_id: int, limit: int) -> list[Row[Any]]:
    """Released rewards (a reward row is written when its completion is released), with the
    campaign's organisation and whether its budget has room for another reward."""
    stmt = (
        select(
            rewards.c.id.label("position"),
            rewards.c.id,
            rewards.c.completion_id,
            rewards.c.campaign_id,
            rewards.c.kind,
            rewards.c.amount_fen,
            rewards.c.released_at,
            campaigns.c.organisation_id,
            campaigns.c.budget_fen,
            campaigns.c.spent_fen,
            campaigns.c.reward_fen,
        )
        .join(campaigns, campaigns.c.id == rewards.c.campaign_id)
        .where(rewards.c.id > reward_id)
        .order_by(rewards.c.id)
        .limit(limit)
    )
    return list(conn.execute(stmt))


def redemptions_after(conn: Connection, after: datetime, limit: int) -> list[Row[Any]]:
    stmt = (
        select(
            rewards.c.id,
            rewards.c.campaign_id,
            rewards.c.redeemed_at.label("moment"),
            campaigns.c.organisation_id,
        )
        .join(campaigns, campaigns.c.id == rewards.c.campaign_id)
        .where(rewards.c.redeemed_at > after)
        .order_by(rewards.c.redeemed_at, rewards.c.id)
        .limit(limit)
    )
    return list(conn.execute(stmt))


def closed_periods_after(conn: Connection, after: datetime, limit: int) -> list[Row[Any]]:
    f = fund_periods
    stmt = (
        select(f.c.id, f.c.name, f.c.pool_fen, f.c.closed_at.label("moment"), f.c.through_seq)
        .where(f.c.closed_at > after)
        .order_by(f.c.closed_at, f.c.id)
        .limit(limit)
    )
    return list(conn.execute(stmt))


def members_of(conn: Connection, organisation_id: int) -> set[int]:
    m = organisation_members
    stmt = select(m.c.account_id).where(m.c.organisation_id == organisation_id)
    return {int(account_id) for account_id in conn.execute(stmt).scalars()}
