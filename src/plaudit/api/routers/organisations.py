"""/v1/organisations: brand organisations, their members (owner, manager, analyst) and their
campaigns. Owners manage members, managers run campaigns, analysts read."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from plaudit.api.deps import CurrentAccount, PlatformDep
from plaudit.api.routers.campaigns import CampaignIn, CampaignOut, campaign_out
from plaudit.campaigns import Member, Organisation

__all__ = ["router"]

router = APIRouter(prefix="/v1/organisations", tags=["campaigns"])


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., min_length=1, max_length=128)


class OrganisationOut(BaseModel):
    id: int
    name: str
    created_at: datetime


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["owner", "manager", "analyst"]


class MemberOut(BaseModel):
    organisation_id: int
    account_id: int
    role: str
    added_at: datetime


def _org_out(org: Organisation) -> OrganisationOut:
    return OrganisationOut(id=org.id, name=org.name, created_at=org.created_at)


def _member_out(m: Member) -> MemberOut:
    return MemberOut(
        organisation_id=m.organisation_id, account_id=m.account_id, role=m.role, added_at=m.added_at
    )


@router.post(
    "",
    response_model=OrganisationOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create an organisation (brand accounts; you become its owner)",
)
def create(
    body: OrganisationIn, account_id: CurrentAccount, platform: PlatformDep
) -> OrganisationOut:
    return _org_out(platform.campaigns.create_organisation(account_id, body.name))


@router.get("/{organisation_id}", response_model=OrganisationOut, summary="An organisation")
def get(organisation_id: int, account_id: CurrentAccount, platform: PlatformDep) -> OrganisationOut:
    return _org_out(platform.campaigns.organisation(account_id, organisation_id))


@router.get("/{organisation_id}/members", response_model=list[MemberOut], summary="Members")
def members(
    organisation_id: int, account_id: CurrentAccount, platform: PlatformDep
) -> list[MemberOut]:
    return [_member_out(m) for m in platform.campaigns.members(account_id, organisation_id)]


@router.put(
    "/{organisation_id}/members/{member_id}",
    response_model=MemberOut,
    summary="Add a brand account or change its role (owners)",
)
def set_member(
    organisation_id: int,
    member_id: int,
    body: MemberIn,
    account_id: CurrentAccount,
    platform: PlatformDep,
) -> MemberOut:
    member = platform.campaigns.set_member(account_id, organisation_id, member_id, body.role)
    return _member_out(member)


@router.delete(
    "/{organisation_id}/members/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Remove a member (owners; the last owner cannot leave)",
)
def remove_member(
    organisation_id: int, member_id: int, account_id: CurrentAccount, platform: PlatformDep
) -> Response:
    platform.campaigns.remove_member(account_id, organisation_id, member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{organisation_id}/campaigns",
    response_model=CampaignOut,
    status_code=status.HTTP_201_CREATED,
    summary="Start a campaign (owners, managers)",
)
def create_campaign(
    organisation_id: int, body: CampaignIn, account_id: CurrentAccount, platform: PlatformDep
) -> CampaignOut:
    campaign = platform.campaigns.create_campaign(account_id, organisation_id, body.spec())
    return campaign_out(campaign)


@router.get(
    "/{organisation_id}/campaigns",
    response_model=list[CampaignOut],
    summary="The organisation's campaigns (members)",
)
def list_campaigns(
    organisation_id: int, account_id: CurrentAccount, platform: PlatformDep
) -> list[CampaignOut]:
    return [campaign_out(c) for c in platform.campaigns.campaigns_of(account_id, organisation_id)]
