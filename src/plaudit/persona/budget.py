"""The privacy budget: how much epsilon each organisation (and each creator, and each
brand account) may spend on audience questions in a rolling window.

Sequential composition (Dwork & Roth 2014, theorem 3.16): answers of epsilon_1, ...,
epsilon_n about the same people are together (sum epsilon_i)-differentially private, so
capping the sum per window caps what any sequence of questions in it can reveal, differencing
included. A question is charged once per window: the same question on the same index version
gets the same noise, so asking it again reveals nothing new and costs nothing. Spends are
rows in `privacy_spends` (migration 0007), in micro-epsilon so sums are exact integers.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from plaudit.errors import PrivacyBudgetExhausted
from plaudit.store import Database, utcnow
from plaudit.store import privacy as sql

__all__ = ["MICRO", "PrivacyBudget"]

MICRO = 1_000_000


class PrivacyBudget:
    """Charges questions to principals (`org:<id>`, `account:<id>`) in one transaction."""

    def __init__(self, db: Database, key: bytes, total: float, window_s: int) -> None:
        self.db = db
        self.key = key
        self.total_micro = round(total * MICRO)
        self.window = timedelta(seconds=window_s)

    def _question_id(self, question: str) -> str:
        """Questions are kept as keyed hashes: the store never holds a brand's expressions."""
        return hmac.new(self.key, question.encode(), hashlib.sha256).hexdigest()[:40]

    def charge(self, principals: Sequence[str], question: str, epsilon: float) -> None:
        """Spend `epsilon` on `question` for every principal, or for none of them: a
        PrivacyBudgetExhausted (429, with `retry_after`) when one of them lacks it."""
        cost = round(epsilon * MICRO)
        if cost <= 0 or not principals:
            return
        qid = self._question_id(question)

        def op(conn: Connection) -> None:
            now = utcnow()
            due = [p for p in sorted(set(principals)) if self._due(conn, p, qid, cost, now)]
            for principal in due:
                sql.insert_spend(conn, principal, qid, cost, now)

        self.db.write(op)

    def _due(self, conn: Connection, principal: str, qid: str, cost: int, now: datetime) -> bool:
        """Whether the principal still has to pay for this question (False: paid in the
        window); raises when it cannot."""
        sql.lock_principal(conn, principal, now)
        spends = sql.spends_since(conn, principal, now - self.window)
        if any(row.question == qid for row in spends):
            return False
        spent = sum(int(row.cost_micro) for row in spends)
        if spent + cost <= self.total_micro:
            return True
        raise PrivacyBudgetExhausted(
            f"the privacy budget of {principal} is spent: {spent / MICRO:g} of "
            f"{self.total_micro / MICRO:g} epsilon in the last {self._window_text()}, and "
            f"this question costs {cost / MICRO:g}; questions already answered in the "
            "window are free to ask again",
            retry_after=self._retry_after(spends, spent + cost - self.total_micro, now),
            principal=principal,
        )

    def _retry_after(self, spends: Sequence[Any], excess: int, now: datetime) -> int:
        """Seconds until enough of the oldest spends leave the window."""
        freed = 0
        for row in spends:
            freed += int(row.cost_micro)
            if freed >= excess:
                at: datetime = row.spent_at
                return max(1, math.ceil((at + self.window - now).total_seconds()))
        return max(1, math.ceil(self.window.total_seconds()))

    def _window_text(self) -> str:
        seconds = int(self.window.total_seconds())
        if seconds % 86400 == 0:
            return f"{seconds // 86400} day(s)"
        return f"{seconds} s"

    def spent(self, principal: str) -> float:
        """Epsilon the principal spent in the current window (for docs, CLI and tests)."""
        with self.db.read() as conn:
            rows = sql.spends_since(conn, principal, utcnow() - self.window)
        return sum(int(row.cost_micro) for row in rows) / MICRO
