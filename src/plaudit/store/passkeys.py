"""SQL of passkeys (WebAuthn): credentials per account and one-time challenges."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Row

from plaudit.store.sequence import inserted_id
from plaudit.store.tables import accounts, passkey_challenges, passkeys

__all__ = [
    "credential",
    "credential_ids_of",
    "delete_passkey",
    "delete_passkeys_of",
    "insert_challenge",
    "insert_passkey",
    "passkeys_of",
    "record_use",
    "take_challenge",
]


def insert_challenge(
    conn: Connection, challenge: bytes, purpose: str, account_id: int | None, expires_at: datetime
) -> None:
    """Store a challenge (and drop the expired ones, so the table stays small)."""
    conn.execute(delete(passkey_challenges).where(passkey_challenges.c.expires_at < expires_at))
    conn.execute(
        insert(passkey_challenges).values(
            challenge=challenge, purpose=purpose, account_id=account_id, expires_at=expires_at
        )
    )


def take_challenge(conn: Connection, challenge: bytes, now: datetime) -> Row[Any, Any] | None:
    """The live challenge row, deleted in the same transaction: each challenge serves once."""
    c = passkey_challenges.c
    row = conn.execute(
        select(c.purpose, c.account_id).where(c.challenge == challenge, c.expires_at > now)
    ).first()
    conn.execute(delete(passkey_challenges).where(c.challenge == challenge))
    return row


def insert_passkey(conn: Connection, values: dict[str, Any]) -> int:
    return inserted_id(conn.execute(insert(passkeys).values(**values)))


def credential(conn: Connection, credential_id: bytes) -> Row[Any, Any, Any, Any, Any] | None:
    """A passkey with its account's handle, by the credential id the browser sent."""
    p = passkeys.c
    return conn.execute(
        select(p.id, p.account_id, p.public_key, p.sign_count, accounts.c.handle)
        .join(accounts, accounts.c.id == p.account_id)
        .where(p.credential_id == credential_id)
    ).first()


def credential_ids_of(conn: Connection, account_id: int) -> list[bytes]:
    rows = conn.execute(select(passkeys.c.credential_id).where(passkeys.c.account_id == account_id))
    return [bytes(row[0]) for row in rows]


def passkeys_of(
    conn: Connection, account_id: int
) -> Sequence[Row[Any, Any, Any, Any, Any, Any, Any]]:
    p = passkeys.c
    return conn.execute(
        select(p.id, p.name, p.aaguid, p.backed_up, p.sign_count, p.created_at, p.last_used_at)
        .where(p.account_id == account_id)
        .order_by(p.id)
    ).all()


def record_use(conn: Connection, passkey_id: int, sign_count: int, at: datetime) -> None:
    conn.execute(
        update(passkeys)
        .where(passkeys.c.id == passkey_id)
        .values(sign_count=sign_count, last_used_at=at)
    )


def delete_passkey(conn: Connection, account_id: int, passkey_id: int) -> bool:
    """Remove one of the account's passkeys; False when it has no such passkey."""
    result = conn.execute(
        delete(passkeys).where(passkeys.c.id == passkey_id, passkeys.c.account_id == account_id)
    )
    return bool(result.rowcount)


def delete_passkeys_of(conn: Connection, account_id: int) -> None:
    conn.execute(delete(passkeys).where(passkeys.c.account_id == account_id))
    conn.execute(delete(passkey_challenges).where(passkey_challenges.c.account_id == account_id))
