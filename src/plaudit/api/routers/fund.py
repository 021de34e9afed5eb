"""/v1/fund: creator-fund periods, their public totals, and a creator's statement.

Periods and totals are public (no fan appears in them); a statement is shown to the creator
it is about and to operators; operators create periods.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict, Field

from plaudit.api.deps import CurrentAccount, PlatformDep, require_kind
from plaudit.errors import Forbidden
from plaudit.fund import PeriodTotals, Rule, Statement

__all__ = ["router"]

router = APIRouter(prefix="/v1/fund", tags=["fund"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


class WeightsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    like: int = Rule.like
    comment: int = Rule.comment
    share: int = Rule.share
    follow: int = Rule.follow


class PeriodIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Unique name, e.g. 2026-11")
    starts_at: datetime = Field(description="First instant (ISO 8601 with zone; UTC stored)")
    ends_at: datetime = Field(description="End, exclusive")
    pool_fen: int = Field(description="The pool in fen (1 CNY = 100 fen)")
    weights: WeightsIn = Field(default_factory=WeightsIn)
    daily_cap: int = Field(Rule.daily_cap, description="Interactions of a fan per creator per day")


class PeriodOut(BaseModel):
    id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    pool_fen: int
    weights: dict[str, int]
    daily_cap: int
    closed_at: datetime | None
    creators_paid: int = Field(description="Creators with a payout (0 while open)")
    paid_fen: int = Field(description="Sum of the payouts (the pool once closed)")
    likes: int
    comments: int
    shares: int
    follows: int


class StatementOut(BaseModel):
    period_id: int
    creator_id: int
    likes: int
    comments: int
    shares: int
    follows: int
    fans: int
    excluded_revoked: int
    excluded_incentivised: int
    score_points: str = Field(description="Weighted score, 4 decimals (exact: units/per point)")
    score_units: int
    units_per_point: int
    share_percent: str
    payout_fen: int


def period_out(totals: PeriodTotals) -> PeriodOut:
    period = totals.period
    return PeriodOut(
        id=period.id,
        name=period.name,
        starts_at=period.starts_at,
        ends_at=period.ends_at,
        pool_fen=period.pool_fen,
        weights={k: period.rule.weight(k) for k in ("like", "comment", "share", "follow")},
        daily_cap=period.rule.daily_cap,
        closed_at=period.closed_at,
        creators_paid=totals.creators,
        paid_fen=totals.payout_fen,
        likes=totals.likes,
        comments=totals.comments,
        shares=totals.shares,
        follows=totals.follows,
    )


def statement_out(s: Statement) -> StatementOut:
    return StatementOut.model_validate(s, from_attributes=True)


@router.get("/periods", response_model=list[PeriodOut], summary="Periods with public totals")
def list_periods(platform: PlatformDep) -> list[PeriodOut]:
    return [period_out(platform.fund.totals(p.id)) for p in platform.fund.periods()]


@router.get("/periods/{period_id}", response_model=PeriodOut, summary="A period's public totals")
def get_period(period_id: Id, platform: PlatformDep) -> PeriodOut:
    return period_out(platform.fund.totals(period_id))


@router.post(
    "/periods",
    response_model=PeriodOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a period (operators)",
)
def create_period(body: PeriodIn, account_id: CurrentAccount, platform: PlatformDep) -> PeriodOut:
    require_kind(platform, account_id, "operator")
    rule = Rule(daily_cap=body.daily_cap, **body.weights.model_dump())
    period = platform.fund.create_period(
        body.name, body.starts_at, body.ends_at, body.pool_fen, rule
    )
    return period_out(platform.fund.totals(period.id))


@router.get(
    "/periods/{period_id}/statements/{creator_id}",
    response_model=StatementOut,
    summary="A creator's statement in a closed period (the creator or an operator)",
)
def get_statement(
    period_id: Id, creator_id: Id, account_id: CurrentAccount, platform: PlatformDep
) -> StatementOut:
    if account_id != creator_id:
        kind = platform.accounts.get(account_id).kind
        if kind != "operator":
            raise Forbidden("a statement is shown only to its creator and to operators")
    return statement_out(platform.fund.statement(period_id, creator_id))
