"""Likes the real-time rules refused: counted by rule over a time range.

Each refusal is a row written where the rules refuse (``InteractionService``): the rule,
the video and the time, never the account, device or address. The transparency report
counts them as prevented fake likes with the held ones; the operator's rules page shows
them per rule.
"""

from __future__ import annotations

from datetime import datetime

from plaudit.errors import InvalidInput
from plaudit.store import Database
from plaudit.store import refusals as sql

__all__ = ["REFUSING_RULES", "count_refusals_by_rule"]

REFUSING_RULES = ("account_velocity", "device_velocity", "device_accounts")
"""The rules that can refuse a like (ip_velocity and new_account only hold; rules.py)."""


def count_refusals_by_rule(db: Database, start: datetime, end: datetime) -> dict[str, int]:
    """Likes refused by each real-time rule with ``start <= refused at < end``.

    Every refusing rule is a key (0 when it refused none); a rule no longer in this version
    that refused likes in the range is listed too. ``start`` and ``end`` must be aware
    datetimes, ``start`` before ``end``.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput(
            "give the range as aware datetimes (UTC), e.g. datetime(2026, 12, 1, tzinfo=UTC)",
            field="start" if start.tzinfo is None else "end",
        )
    if end <= start:
        raise InvalidInput(f"the range ends ({end}) before it starts ({start})", field="end")
    with db.read() as conn:
        counted = sql.refusals_by_rule(conn, start, end)
    return {rule: counted.get(rule, 0) for rule in REFUSING_RULES} | counted
