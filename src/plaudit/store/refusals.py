"""SQL of the likes the real-time rules refused (table ``rule_refusals``).

A refusal is written where the rules refuse (``InteractionService``): alone for a single
like, inside the batch's transaction for bulk items. Counted by rule over ``[start, end)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, func, insert, select
from sqlalchemy.engine import Connection

from plaudit.store.tables import rule_refusals

__all__ = ["Refusal", "insert_refusals", "refusals_by_rule"]


class Refusal(NamedTuple):
    """One refused like: the rule that refused it, the video it was for, when."""

    rule: str
    video_id: int
    at: datetime


def insert_refusals(conn: Connection, refusals: Iterable[Refusal]) -> None:
    rows = [{"rule": r.rule, "video_id": r.video_id, "refused_at": r.at} for r in refusals]
    if rows:
        conn.execute(insert(rule_refusals), rows)


def refusals_by_rule(conn: Connection, start: datetime, end: datetime) -> dict[str, int]:
    """Refusals with ``start <= refused_at < end``, by rule (rules with none are absent)."""
    rows = conn.execute(
        select(rule_refusals.c.rule, func.count())
        .where(and_(rule_refusals.c.refused_at >= start, rule_refusals.c.refused_at < end))
        .group_by(rule_refusals.c.rule)
    ).all()
    return {str(rule): int(count) for rule, count in sorted(rows)}
