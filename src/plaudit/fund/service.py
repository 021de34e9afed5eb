"""The creator fund's use cases: create periods, preview, close (freeze), read statements.

Closing is the only write that matters for money: it computes the statements from one
snapshot and stores them with the period's `through_seq` in one transaction, guarded by
`closed_at IS NULL`, so a period is frozen exactly once; closing again is a 409 that says
when it was closed. `plaudit fund verify` (verify.py) recomputes the frozen payouts from the
ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from plaudit.errors import Conflict, NotFound
from plaudit.fund.compute import Computation, compute_from_store
from plaudit.fund.model import Period, PeriodTotals, Statement
from plaudit.fund.periods import (
    period_from_row,
    rule_values,
    statement_from_row,
    validate_period,
)
from plaudit.fund.rules import Rule
from plaudit.store import Database, utcnow
from plaudit.store import fund as sql

__all__ = ["FundService", "load_period"]

_MAX_ID_DIGITS = 18  # every id fits a signed 64-bit integer


def load_period(conn: Connection, ref: str | int) -> Period:
    """A period by id (a number) or by name; NotFound that says which."""
    text = str(ref).strip()
    if text.isdigit():
        row = sql.get_period(conn, int(text)) if len(text) <= _MAX_ID_DIGITS else None
    else:
        row = sql.period_by_name(conn, text)
    if row is None:
        raise NotFound(
            f"no fund period {text!r}; list them with `plaudit fund periods`", period=text
        )
    return period_from_row(row)


def _payout_row(statement: Statement) -> dict[str, int]:
    return {
        "period_id": statement.period_id,
        "creator_id": statement.creator_id,
        "likes": statement.likes,
        "comments": statement.comments,
        "shares": statement.shares,
        "follows": statement.follows,
        "fans": statement.fans,
        "excluded_revoked": statement.excluded_revoked,
        "excluded_incentivised": statement.excluded_incentivised,
        "score_units": statement.score_units,
        "payout_fen": statement.payout_fen,
    }


def _check_closable(computation: Computation, now: datetime) -> None:
    period = computation.period
    if now < period.ends_at:
        raise Conflict(
            f"period {period.name!r} runs until {period.ends_at.isoformat()}; close it after "
            "it has ended",
            period=period.name,
        )
    if computation.pending_likes:
        raise Conflict(
            f"{computation.pending_likes} likes in period {period.name!r} are still held "
            "(pending) by a real-time rule; release or revoke them (an authenticity scan "
            "does) before closing",
            period=period.name,
        )
    if not computation.scan_covers_period:
        covered = (
            "no authenticity scan has finished yet"
            if computation.cleared_through is None
            else f"finished authenticity scans cover only up to {computation.cleared_through}"
        )
        raise Conflict(
            f"the period's likes run up to event seq {computation.last_like_seq}, but "
            f"{covered}; run `plaudit authenticity scan` (the platform scan) so every like is "
            "judged before money is paid for it, then close again",
            period=period.name,
        )


class FundService:
    """Creator-fund periods and statements over one Database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create_period(
        self, name: str, starts_at: datetime, ends_at: datetime, pool_fen: int, rule: Rule
    ) -> Period:
        """A new open period; its name is unique and it overlaps no other period."""
        name = validate_period(name, starts_at, ends_at, pool_fen)
        created = utcnow()

        def op(conn: Connection) -> int:
            sql.lock_periods(conn)  # the overlap check below must see concurrent creations
            if sql.period_by_name(conn, name) is not None:
                raise Conflict(f"a fund period named {name!r} exists; pick another name")
            for other in map(period_from_row, sql.list_periods(conn)):
                if other.starts_at < ends_at and starts_at < other.ends_at:
                    raise Conflict(
                        f"the period overlaps period {other.name!r} "
                        f"({other.starts_at.isoformat()} to {other.ends_at.isoformat()}); "
                        "an interaction is paid by one period at most",
                        period=other.name,
                    )
            values = {
                "name": name,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "pool_fen": pool_fen,
                "created_at": created,
                **rule_values(rule),
            }
            return sql.insert_period(conn, values)

        period_id = self._db.write(op)
        return Period(period_id, name, starts_at, ends_at, pool_fen, rule, created)

    def periods(self) -> list[Period]:
        """Every period, latest first."""
        with self._db.read() as conn:
            return [period_from_row(row) for row in sql.list_periods(conn)]

    def period(self, ref: str | int) -> Period:
        with self._db.read() as conn:
            return load_period(conn, ref)

    def compute(self, ref: str | int) -> Computation:
        """The payouts the period would get if it closed now (an open period's preview)."""
        with self._db.read() as conn:
            sql.snapshot(conn)
            period = load_period(conn, ref)
            if period.closed:
                raise Conflict(
                    f"period {period.name!r} was closed at {period.closed_at}; its payouts "
                    "are frozen: read them with `plaudit fund statement`",
                    period=period.name,
                )
            return compute_from_store(conn, period)

    def close(self, ref: str | int, now: datetime | None = None) -> Computation:
        """Freeze the period's payouts; a second close is a Conflict saying when it closed."""
        at = now or utcnow()
        computation = self.compute(ref)
        _check_closable(computation, at)
        period = computation.period
        rows = [_payout_row(s) for s in computation.statements]

        def op(conn: Connection) -> None:
            closed = sql.close_period(
                conn, period.id, at, computation.through_seq, computation.total_units
            )
            if not closed:
                raise Conflict(
                    f"period {period.name!r} was closed while this close ran; its payouts "
                    "are the ones stored by that close",
                    period=period.name,
                )
            sql.insert_payouts(conn, rows)

        self._db.write(op)
        frozen = replace(
            period,
            closed_at=at,
            through_seq=computation.through_seq,
            total_units=computation.total_units,
        )
        return replace(computation, period=frozen)

    def statements(self, ref: str | int, creator_id: int | None = None) -> list[Statement]:
        """The frozen statements of a closed period (one creator's, when given)."""
        with self._db.read() as conn:
            period = self._closed(conn, ref)
            rows = sql.payouts(conn, period.id, creator_id)
        return [statement_from_row(row, period) for row in rows]

    def statement(self, ref: str | int, creator_id: int) -> Statement:
        found = self.statements(ref, creator_id)
        if not found:
            raise NotFound(
                f"creator {creator_id} has no statement in this period: no interaction "
                "with their videos was counted or excluded",
                creator_id=creator_id,
            )
        return found[0]

    def totals(self, ref: str | int) -> PeriodTotals:
        """The public figures of a period (zeros while it is open)."""
        with self._db.read() as conn:
            period = load_period(conn, ref)
            rows = sql.payouts(conn, period.id) if period.closed else []
        return _totals(period, rows)

    @staticmethod
    def _closed(conn: Connection, ref: str | int) -> Period:
        period = load_period(conn, ref)
        if not period.closed:
            raise Conflict(
                f"period {period.name!r} is not closed, so it has no statements yet; "
                "preview them with `plaudit fund compute`",
                period=period.name,
            )
        return period


def _totals(period: Period, rows: Sequence[Any]) -> PeriodTotals:
    return PeriodTotals(
        period=period,
        creators=sum(1 for r in rows if r.payout_fen > 0),
        payout_fen=sum(int(r.payout_fen) for r in rows),
        likes=sum(int(r.likes) for r in rows),
        comments=sum(int(r.comments) for r in rows),
        shares=sum(int(r.shares) for r in rows),
        follows=sum(int(r.follows) for r in rows),
    )
