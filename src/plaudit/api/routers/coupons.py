"""/v1/coupons/redeem: a brand's shop integration redeems a fan's coupon, once."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from plaudit.api.deps import CurrentAccount, PlatformDep

__all__ = ["router"]

router = APIRouter(prefix="/v1/coupons", tags=["campaigns"])


class RedeemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(..., max_length=64, description="The code the fan shows (dashes optional).")


class RedemptionOut(BaseModel):
    reward_id: int
    campaign_id: int
    amount_fen: int
    redeemed_at: datetime


@router.post(
    "/redeem",
    response_model=RedemptionOut,
    summary="Redeem a coupon (owner or manager of the issuing organisation); replays are 409",
)
def redeem(body: RedeemIn, account_id: CurrentAccount, platform: PlatformDep) -> RedemptionOut:
    r = platform.campaigns.redeem(account_id, body.code)
    return RedemptionOut(
        reward_id=r.reward_id,
        campaign_id=r.campaign_id,
        amount_fen=r.amount_fen,
        redeemed_at=r.redeemed_at,
    )
