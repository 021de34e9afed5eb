"""SQL of the web console: password hashes, sessions, a person's tokens, platform totals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from plaudit.store.tables import (
    account_passwords,
    account_tokens,
    accounts,
    appeals,
    creator_counters,
    ledger_checkpoints,
    likes,
    organisation_members,
    organisations,
    revocations,
    verdicts,
    video_counters,
    web_sessions,
)

__all__ = [
    "busiest",
    "checkpoints",
    "delete_session",
    "delete_sessions_of",
    "get_session",
    "insert_session",
    "organisations_of",
    "organisations_owned",
    "password_of_handle",
    "platform_totals",
    "rename_account",
    "revoke_token",
    "revoked_likes_of",
    "set_password",
    "tokens_of",
]


def password_of_handle(conn: Connection, handle: str) -> Row[Any] | None:
    """The account id and password hash of a handle (None: no such handle or no password)."""
    query = (
        select(accounts.c.id, account_passwords.c.password_hash)
        .join(account_passwords, account_passwords.c.account_id == accounts.c.id)
        .where(accounts.c.handle == handle)
    )
    row: Row[Any] | None = conn.execute(query).first()  # type: ignore[assignment]
    return row


def set_password(conn: Connection, account_id: int, password_hash: str, at: datetime) -> None:
    """Insert or replace an account's password hash."""
    conn.execute(delete(account_passwords).where(account_passwords.c.account_id == account_id))
    conn.execute(
        insert(account_passwords).values(
            account_id=account_id, password_hash=password_hash, updated_at=at
        )
    )


def insert_session(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(web_sessions).values(values))


def get_session(conn: Connection, id_hash: bytes, now: datetime) -> Row[Any] | None:
    """A session that has not expired, with its account's handle, kind and display name."""
    query = (
        select(web_sessions, accounts.c.handle, accounts.c.kind, accounts.c.display_name)
        .join(accounts, accounts.c.id == web_sessions.c.account_id)
        .where(and_(web_sessions.c.id_hash == id_hash, web_sessions.c.expires_at > now))
    )
    return conn.execute(query).first()


def delete_session(conn: Connection, id_hash: bytes) -> None:
    conn.execute(delete(web_sessions).where(web_sessions.c.id_hash == id_hash))


def delete_sessions_of(conn: Connection, account_id: int) -> int:
    """Sign out everywhere: every session of the account; returns how many there were."""
    result = conn.execute(delete(web_sessions).where(web_sessions.c.account_id == account_id))
    return int(result.rowcount or 0)


def tokens_of(conn: Connection, account_id: int) -> Sequence[Row[Any, Any, Any]]:
    """An account's API tokens (id and dates only: the tokens themselves are never stored)."""
    query = (
        select(account_tokens.c.id, account_tokens.c.created_at, account_tokens.c.revoked_at)
        .where(account_tokens.c.account_id == account_id)
        .order_by(account_tokens.c.id.desc())
    )
    return conn.execute(query).all()


def revoke_token(conn: Connection, account_id: int, token_id: int, at: datetime) -> bool:
    """Revoke one of the account's own tokens; False when it has no such live token."""
    result = conn.execute(
        update(account_tokens)
        .where(
            and_(
                account_tokens.c.id == token_id,
                account_tokens.c.account_id == account_id,
                account_tokens.c.revoked_at.is_(None),
            )
        )
        .values(revoked_at=at)
    )
    return bool(result.rowcount)


def platform_totals(conn: Connection) -> Row[Any, Any, Any, Any, Any]:
    """Active, revoked and pending likes over every video, and the incentivised ones."""
    counters = select(
        func.coalesce(func.sum(video_counters.c.likes), 0).label("likes"),
        func.coalesce(func.sum(video_counters.c.revoked), 0).label("revoked"),
        func.coalesce(func.sum(video_counters.c.pending), 0).label("pending"),
        select(func.count())
        .where(and_(likes.c.removed_at.is_(None), likes.c.source.like("campaign:%")))
        .scalar_subquery()
        .label("incentivised"),
        select(func.count()).select_from(accounts).scalar_subquery().label("accounts"),
    )
    row = conn.execute(counters).first()
    assert row is not None  # an aggregate always answers one row
    return row


def checkpoints(conn: Connection, before: int | None, limit: int) -> Sequence[Row[Any, Any, Any]]:
    """Signed checkpoints, newest first: size, root and signing time (no note text)."""
    query = select(
        ledger_checkpoints.c.size, ledger_checkpoints.c.root, ledger_checkpoints.c.created_at
    )
    if before is not None:
        query = query.where(ledger_checkpoints.c.size < before)
    return conn.execute(query.order_by(ledger_checkpoints.c.size.desc()).limit(limit)).all()


def busiest(conn: Connection, kind: str) -> int | None:
    """The creator with most followers, or the fan with most likes (for the demo sign-ins)."""
    if kind == "creator":
        query = select(creator_counters.c.creator_id).order_by(
            creator_counters.c.followers.desc(), creator_counters.c.creator_id
        )
    else:
        query = (
            select(likes.c.account_id)
            .join(accounts, accounts.c.id == likes.c.account_id)
            .where(accounts.c.kind == kind)
            .group_by(likes.c.account_id)
            .order_by(func.count().desc(), likes.c.account_id)
        )
    found = conn.execute(query.limit(1)).scalar()
    return None if found is None else int(found)


def rename_account(conn: Connection, account_id: int, handle: str) -> None:
    conn.execute(update(accounts).where(accounts.c.id == account_id).values(handle=handle))


def organisations_owned(conn: Connection, account_id: int) -> int:
    query = select(func.count()).where(
        and_(
            organisation_members.c.account_id == account_id,
            organisation_members.c.role == "owner",
        )
    )
    return int(conn.execute(query).scalar() or 0)


def revoked_likes_of(conn: Connection, account_id: int, limit: int) -> Sequence[Row[Any]]:
    """An account's revoked likes, newest first, with the verdict's detector and score and
    the status of the account's appeal against it (None: not appealed)."""
    query = (
        select(
            revocations.c.like_id,
            revocations.c.video_id,
            revocations.c.verdict_id,
            revocations.c.revoked_at,
            revocations.c.reinstated_at,
            verdicts.c.detector,
            verdicts.c.score,
            appeals.c.status.label("appeal"),
        )
        .join(verdicts, verdicts.c.id == revocations.c.verdict_id)
        .outerjoin(
            appeals,
            and_(
                appeals.c.verdict_id == revocations.c.verdict_id, appeals.c.account_id == account_id
            ),
        )
        .where(revocations.c.account_id == account_id)
        .order_by(revocations.c.id.desc())
        .limit(limit)
    )
    rows: Sequence[Row[Any]] = conn.execute(query).all()  # type: ignore[assignment]
    return rows


def organisations_of(conn: Connection, account_id: int) -> Sequence[Row[Any, Any, Any]]:
    """The organisations an account belongs to, with its role in each (id, name, role)."""
    query = (
        select(organisations.c.id, organisations.c.name, organisation_members.c.role)
        .join(organisation_members, organisation_members.c.organisation_id == organisations.c.id)
        .where(organisation_members.c.account_id == account_id)
        .order_by(organisations.c.id)
    )
    return conn.execute(query).all()
