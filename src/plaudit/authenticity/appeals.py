"""Appeals: an account asks for its revoked likes back; an operator reinstates or upholds.

Who may appeal a verdict: an account whose like it revoked, or the creator of a video on
which it revoked likes. A reinstatement gives back the likes the appeal is about (the
appellant's own likes under the verdict, or the likes on the appellant's videos): each gets
`reinstated_at`, a 'reinstate' event (a REINSTATE ledger entry) and its video's `revoked`
count goes down. A decision is final; each (verdict, account) may appeal once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Row

from plaudit.errors import (
    AlreadyAppealed,
    AlreadyDecided,
    AppealNotFound,
    Conflict,
    Forbidden,
    InvalidInput,
    VerdictNotFound,
)
from plaudit.store import authenticity as sql
from plaudit.store.writer import WriteFn

__all__ = [
    "DECISIONS",
    "MAX_TEXT",
    "Appeal",
    "Decision",
    "appeal_from_row",
    "appeal_op",
    "decide_op",
    "validate_decision",
    "validate_text",
]

MAX_TEXT = 2000
DECISIONS = {"reinstate": "reinstated", "uphold": "upheld"}


@dataclass(frozen=True)
class Appeal:
    id: int
    verdict_id: int
    account_id: int
    reason: str
    status: str  # open | reinstated | upheld
    created_at: datetime
    decided_at: datetime | None
    decision: str | None


@dataclass(frozen=True)
class Decision:
    """The decided appeal and how many likes it gave back."""

    appeal: Appeal
    likes_reinstated: int


def appeal_from_row(row: Row[Any]) -> Appeal:
    return Appeal(
        row.id,
        row.verdict_id,
        row.account_id,
        row.reason,
        row.status,
        row.created_at,
        row.decided_at,
        row.decision,
    )


def validate_text(text: str, field: str, *, required: bool) -> str:
    value = text.strip()
    if required and not value:
        raise InvalidInput(f"{field} is empty; say in a few words why", field=field)
    if len(value) > MAX_TEXT:
        raise InvalidInput(
            f"{field} has {len(value)} characters; the most is {MAX_TEXT}", field=field
        )
    return value


def validate_decision(decision: str) -> str:
    if decision not in DECISIONS:
        raise InvalidInput(
            f"decision {decision!r} is not one of {', '.join(DECISIONS)}", field="decision"
        )
    return decision


def _in_scope(
    conn: Connection, verdict_id: int, account_id: int, *, lock: bool = False
) -> list[Row[Any]]:
    """The revocations in force on still-active likes that an appeal by this account is
    about (an unliked like ended with its revocation; there is nothing to give back).
    `lock`: a reinstatement locks those likes against a concurrent unlike (PostgreSQL)."""
    own = sql.in_force_revocations(conn, verdict_id, account_id=account_id, lock=lock)
    on_videos = sql.in_force_revocations(conn, verdict_id, creator_id=account_id, lock=lock)
    seen = {row.id for row in own}
    rows = own + [row for row in on_videos if row.id not in seen]
    return [row for row in rows if row.like_removed_at is None]


def appeal_op(verdict_id: int, account_id: int, reason: str, at: datetime) -> WriteFn[Appeal]:
    """The transaction of an appeal (checked against the state inside it)."""

    def op(conn: Connection) -> Appeal:
        if sql.verdict(conn, verdict_id) is None:
            raise VerdictNotFound(f"verdict {verdict_id} does not exist", verdict_id=verdict_id)
        own, on_videos = sql.verdict_involves(conn, verdict_id, account_id)
        if not (own or on_videos):
            raise Forbidden(
                f"verdict {verdict_id} revoked no like of account {account_id} nor on its "
                "videos; only those accounts may appeal it"
            )
        existing = sql.appeal_by(conn, verdict_id, account_id)
        if existing is not None:
            raise AlreadyAppealed(
                f"account {account_id} appealed verdict {verdict_id} already (appeal "
                f"{existing.id}, {existing.status}); GET /v1/verdicts/{verdict_id} shows it",
                appeal_id=existing.id,
            )
        if not _in_scope(conn, verdict_id, account_id):
            raise Conflict(
                f"verdict {verdict_id} no longer revokes any like this appeal could concern "
                "(they were reinstated or unliked)"
            )
        appeal_id = sql.insert_appeal(conn, verdict_id, account_id, reason, at)
        return Appeal(appeal_id, verdict_id, account_id, reason, "open", at, None, None)

    return op


def decide_op(
    appeal_id: int, decision: str, note: str, operator_id: int | None, at: datetime
) -> WriteFn[Decision]:
    """The transaction of an operator's decision on an open appeal."""

    def op(conn: Connection) -> Decision:
        row = sql.appeal(conn, appeal_id)
        if row is None:
            raise AppealNotFound(f"appeal {appeal_id} does not exist", appeal_id=appeal_id)
        if row.status != "open":
            raise AlreadyDecided(
                f"appeal {appeal_id} was decided already ({row.status} at "
                f"{row.decided_at.isoformat()}); a decision is final",
                appeal_id=appeal_id,
                status=row.status,
            )
        status = DECISIONS[decision]
        count = 0
        if decision == "reinstate":
            scope = _in_scope(conn, row.verdict_id, row.account_id, lock=True)
            count = sql.reinstate(conn, scope, at)
        if not sql.decide_appeal(conn, appeal_id, status, operator_id, note, at):
            raise AlreadyDecided(f"appeal {appeal_id} was decided meanwhile", appeal_id=appeal_id)
        decided = Appeal(
            row.id, row.verdict_id, row.account_id, row.reason, status, row.created_at, at, note
        )
        return Decision(decided, count)

    return op
