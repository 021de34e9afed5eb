"""Settlement: a pending completion is released, voided or left waiting, exactly once.

The authenticity hold (setting `reward_hold`): every like behind a completion must be active
(not unliked), not revoked by a verdict, not held by a real-time rule, and (`scan`) covered by
a finished authenticity scan (its event seq <= the scan's `through_seq`). A removed or
revoked like voids the completion. Release is one transaction: the completion moves from
pending (a conditional UPDATE, so a second settler finds nothing to do), the spend moves
within the budget (a conditional UPDATE; when it cannot, the completion is `unfunded`), and
the reward row is inserted (unique per completion).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Row

from plaudit.store import campaigns as sql
from plaudit.store.writer import WriteFn

__all__ = ["Decision", "judge", "release_op"]

REWARD_KIND = {"coupon": "coupon", "streak": "coupon", "donate": "donation"}


@dataclass(frozen=True)
class Decision:
    """`clear` (pay), `wait` (the hold has not cleared) or `void`, with the reason."""

    verdict: str
    reason: str | None = None


def judge(like_rows: Sequence[Row[Any]], scanned_through: int | None, mode: str) -> Decision:
    """The hold's decision over the likes behind one completion."""
    if not like_rows:
        return Decision("void", "no like behind the completion")
    waiting: str | None = None
    for row in like_rows:
        if row.removed_at is not None:
            return Decision("void", f"like {row.like_id} was removed")
        if row.revoked_by is not None:
            return Decision("void", f"like {row.like_id} was revoked (verdict {row.revoked_by})")
        if row.held is not None and row.hold_outcome == "revoked":
            return Decision("void", f"like {row.like_id} was revoked after a hold")
        if row.held is not None and row.hold_released_at is None:
            waiting = waiting or f"like {row.like_id} is held by a real-time rule"
        elif mode == "scan" and (scanned_through is None or row.seq > scanned_through):
            waiting = waiting or f"like {row.like_id} awaits the next authenticity scan"
    return Decision("wait", waiting) if waiting else Decision("clear")


def release_op(completion_id: int, mode: str, at: datetime) -> WriteFn[str]:
    """The transaction that settles one completion; returns what this call did: released,
    voided, unfunded, pending (the hold has not cleared), settled (nothing: settled before)."""

    def op(conn: Connection) -> str:
        completion = sql.get_completion(conn, completion_id)
        if completion is None:
            return "missing"
        if completion.status != "pending":
            return "settled"  # settled before (by this or another settler): nothing to do
        # The scan mark BEFORE the likes: a scan commits its revocations with its mark, so
        # under READ COMMITTED (PostgreSQL) seeing the mark implies seeing the revocations.
        # The other order could read a like unrevoked, then the scan that revoked it, and pay.
        scanned = sql.scanned_through(conn)
        decision = judge(sql.completion_likes(conn, completion_id), scanned, mode)
        if decision.verdict == "wait":
            return "pending"
        if decision.verdict == "void":
            voided = sql.mark_completion(conn, completion_id, "voided", at, decision.reason)
            return "voided" if voided else "settled"
        return _release(conn, completion, at)

    return op


def _release(conn: Connection, completion: Row[Any], at: datetime) -> str:
    if not sql.mark_completion(conn, completion.id, "released", at):
        return "settled"  # another settler got there first
    if not sql.spend(conn, completion.campaign_id, int(completion.amount_fen)):
        reason = "the campaign budget was spent before this completion cleared"
        sql.mark_completion(conn, completion.id, "unfunded", at, reason, from_status="released")
        return "unfunded"
    sql.insert_reward(
        conn,
        {
            "completion_id": completion.id,
            "campaign_id": completion.campaign_id,
            "account_id": completion.account_id,
            "kind": REWARD_KIND[completion.task],
            "amount_fen": completion.amount_fen,
            "released_at": at,
        },
    )
    return "released"
