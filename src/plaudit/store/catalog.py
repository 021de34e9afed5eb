"""SQL for accounts, profiles, tokens and videos (the catalogue the interactions refer to)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from plaudit.store.prepared import Prepared, stored_time
from plaudit.store.secrets import new_secret
from plaudit.store.sequence import inserted_id
from plaudit.store.tables import (
    account_passwords,
    account_secrets,
    account_tokens,
    accounts,
    api_keys,
    comments,
    creator_counters,
    likes,
    passkey_challenges,
    passkeys,
    profiles,
    revocations,
    shares,
    video_counters,
    videos,
    web_sessions,
)

__all__ = [
    "TokenOwner",
    "account_by_handle",
    "count_accounts",
    "erase_account",
    "get_account",
    "get_profile",
    "get_video",
    "insert_account",
    "insert_token",
    "insert_video",
    "list_tokens",
    "list_videos",
    "revoke_tokens",
    "token_owner",
    "upsert_profile",
]


def get_account(conn: Connection, account_id: int) -> Row[Any] | None:
    return conn.execute(select(accounts).where(accounts.c.id == account_id)).first()


def count_accounts(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(accounts)).scalar_one())


def account_by_handle(conn: Connection, handle: str) -> Row[Any] | None:
    return conn.execute(select(accounts).where(accounts.c.handle == handle)).first()


def insert_account(conn: Connection, values: dict[str, Any]) -> int:
    """Insert an account (with its creator counter row when it is a creator)."""
    account_id = inserted_id(conn.execute(insert(accounts).values(values)))
    conn.execute(insert(account_secrets).values(account_id=account_id, secret=new_secret()))
    if values["kind"] == "creator":
        conn.execute(insert(creator_counters).values(creator_id=account_id))
    return account_id


def get_profile(conn: Connection, account_id: int) -> Row[Any] | None:
    return conn.execute(select(profiles).where(profiles.c.account_id == account_id)).first()


def upsert_profile(conn: Connection, account_id: int, values: dict[str, Any]) -> None:
    exists = conn.execute(
        select(profiles.c.account_id).where(profiles.c.account_id == account_id)
    ).first()
    if exists:
        conn.execute(update(profiles).where(profiles.c.account_id == account_id).values(values))
    else:
        conn.execute(insert(profiles).values(account_id=account_id, **values))


def insert_token(conn: Connection, account_id: int, token_hash: bytes, at: datetime) -> None:
    conn.execute(
        insert(account_tokens).values(account_id=account_id, token_hash=token_hash, created_at=at)
    )


class TokenOwner(NamedTuple):
    """Who a valid token belongs to: the account, when it was created, when the token was."""

    account_id: int
    account_created_at: datetime
    token_created_at: datetime


_TOKEN_OWNER = Prepared(
    select(account_tokens.c.account_id, accounts.c.created_at, account_tokens.c.created_at)
    .select_from(account_tokens.join(accounts, accounts.c.id == account_tokens.c.account_id))
    .where(
        and_(
            account_tokens.c.token_hash == bindparam("p_hash"),
            account_tokens.c.revoked_at.is_(None),
        )
    )
)


def token_owner(conn: Connection, token_hash: bytes) -> TokenOwner | None:
    """The owner of a valid (unrevoked) token, or None. One read answers authentication, the
    token's expiry and the account's age (the real-time rules' new-account test)."""
    found = _TOKEN_OWNER.first(conn, {"p_hash": token_hash})
    if found is None:
        return None
    account_id, account_created, token_created = found
    return TokenOwner(int(account_id), stored_time(account_created), stored_time(token_created))


def insert_video(conn: Connection, values: dict[str, Any]) -> int:
    """Insert a video with its zeroed counters and count it for its creator."""
    video_id = inserted_id(conn.execute(insert(videos).values(values)))
    conn.execute(insert(video_counters).values(video_id=video_id))
    col = creator_counters.c.videos
    conn.execute(
        update(creator_counters)
        .where(creator_counters.c.creator_id == values["creator_id"])
        .values({col: col + 1})
    )
    return video_id


# Active likes with a campaign source, through the partial index ix_likes_incentivised.
_INCENTIVISED = (
    select(func.count())
    .where(
        and_(
            likes.c.video_id == videos.c.id,
            likes.c.removed_at.is_(None),
            likes.c.source.like("campaign:%"),
        )
    )
    .scalar_subquery()
)
# Of the likes a verdict revoked (in force, still active), those a campaign incentivised: the
# organic count takes out only the revoked likes that are not already out as incentivised.
_REVOKED_INCENTIVISED = (
    select(func.count())
    .select_from(revocations.join(likes, likes.c.id == revocations.c.like_id))
    .where(
        and_(
            revocations.c.video_id == videos.c.id,
            revocations.c.reinstated_at.is_(None),
            likes.c.removed_at.is_(None),
            likes.c.source.like("campaign:%"),
        )
    )
    .scalar_subquery()
)
_VIDEO_VIEW = select(
    videos,
    video_counters.c.likes,
    video_counters.c.comments,
    video_counters.c.shares,
    video_counters.c.revoked,
    video_counters.c.pending,
    _INCENTIVISED.label("incentivised"),
    _REVOKED_INCENTIVISED.label("revoked_incentivised"),
).join(video_counters, video_counters.c.video_id == videos.c.id)


def get_video(conn: Connection, video_id: int) -> Row[Any] | None:
    """A video with its counters."""
    return conn.execute(_VIDEO_VIEW.where(videos.c.id == video_id)).first()


def list_videos(
    conn: Connection, after_id: int | None, limit: int, creator_id: int | None = None
) -> Sequence[Row[Any]]:
    """Videos in id order with their counters, `limit` rows after the cursor."""
    stmt = _VIDEO_VIEW
    if after_id is not None:
        stmt = stmt.where(videos.c.id > after_id)
    if creator_id is not None:
        stmt = stmt.where(videos.c.creator_id == creator_id)
    return conn.execute(stmt.order_by(videos.c.id).limit(limit)).all()


# ---- tokens and erasure (issue 17) ----------------------------------------------------------


def list_tokens(conn: Connection, account_id: int) -> list[Row[Any]]:
    """An account's tokens (id, created_at, revoked_at), oldest first; never their hashes."""
    stmt = select(account_tokens.c.id, account_tokens.c.created_at, account_tokens.c.revoked_at)
    return list(conn.execute(stmt.where(account_tokens.c.account_id == account_id).order_by("id")))


def revoke_tokens(
    conn: Connection, account_id: int, at: datetime, token_id: int | None = None
) -> int:
    """Revoke one token of the account (or all of them); returns how many were revoked."""
    where = and_(account_tokens.c.account_id == account_id, account_tokens.c.revoked_at.is_(None))
    if token_id is not None:
        where = and_(where, account_tokens.c.id == token_id)
    return int(conn.execute(update(account_tokens).where(where).values(revoked_at=at)).rowcount)


def erase_account(conn: Connection, account_id: int, at: datetime) -> None:
    """Erase the person behind an account, keeping what counts and the log depend on.

    The profile is emptied with consent withdrawn (the persona refresh drops the account
    from every bitmap), every token is revoked, the handle and name are replaced, IP
    prefixes and device links of its interactions are cleared, and the ledger secret is
    destroyed (crypto-shredding: its commitments can no longer be opened or linked). The
    console's password, passkeys and sessions are deleted and its API keys revoked, so no
    way in outlives the person.
    """
    conn.execute(
        update(accounts)
        .where(accounts.c.id == account_id)
        .values(handle=f"deleted-{account_id}", display_name="")
    )
    empty = {
        "birth_year": None,
        "gender": None,
        "province": None,
        "city": None,
        "city_tier": None,
        "spending_band": None,
        "consent_personalisation": False,
        "consent_targeting": False,
        "updated_at": at,
    }
    upsert_profile(conn, account_id, empty)
    revoke_tokens(conn, account_id, at)
    for table in (likes, comments, shares):
        conn.execute(
            update(table)
            .where(table.c.account_id == account_id)
            .values(ip_prefix=None, device_id=None)
        )
    conn.execute(
        update(account_secrets)
        .where(account_secrets.c.account_id == account_id)
        .values(secret=None, shredded_at=at)
    )
    # the console's ways in: password, passkeys and every open session go with the person
    for table in (account_passwords, web_sessions, passkeys, passkey_challenges):
        conn.execute(delete(table).where(table.c.account_id == account_id))
    conn.execute(
        update(api_keys)
        .where(api_keys.c.account_id == account_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
