"""A creator's strategy assistant: insights, the daily plan, the inbox and approvals.

Only the creator themself (or an operator, read-only) may read these. Insights and plans are
served as stored by the daily refresh (`plaudit creator plans refresh`), so a request is one
primary-key read; the inbox is read live. Nothing acts until the creator approves it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from plaudit.api.deps import CurrentAccount, PlatformDep
from plaudit.platform import Platform
from plaudit.strategy import MAX_APPROVALS

__all__ = ["router"]

router = APIRouter(prefix="/v1/creators", tags=["creators"])

_JSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}}, "description": "The stored document"}
}


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(
        ..., min_length=1, description=f"Inbox item ids to run, at most {MAX_APPROVALS}"
    )
    bodies: dict[str, str] = Field(
        default_factory=dict, description="Edited reply texts by item id (default: suggestion)"
    )


class ApproveOut(BaseModel):
    creator_id: int
    results: list[dict[str, Any]]


def _stored_document(
    platform: Platform, creator_id: int, account_id: int, read: Callable[[int], str]
) -> Response:
    """A document the daily refresh stored, served as it is (already JSON, not re-encoded)."""
    platform.strategy.check_reader(creator_id, account_id)
    return Response(read(creator_id), media_type="application/json")


# Plain `def`s: reads block on the database, so FastAPI runs them in its thread pool.
@router.get(
    "/{creator_id}/insights",
    summary="Who your fans are, how they grow, when they are active (stored daily)",
    response_class=Response,
    responses=_JSON,
)
def insights(creator_id: int, account_id: CurrentAccount, platform: PlatformDep) -> Response:
    return _stored_document(platform, creator_id, account_id, platform.strategy.insights_json)


@router.get(
    "/{creator_id}/plan",
    summary="Today's engagement plan: fans to answer or thank, hours, content, audiences",
    response_class=Response,
    responses=_JSON,
)
def plan(creator_id: int, account_id: CurrentAccount, platform: PlatformDep) -> Response:
    return _stored_document(platform, creator_id, account_id, platform.strategy.plan_json)


@router.get(
    "/{creator_id}/inbox",
    summary="Fans' comments in plan order with reply suggestions, then thank-you notes",
)
def inbox(creator_id: int, account_id: CurrentAccount, platform: PlatformDep) -> dict[str, Any]:
    platform.strategy.check_reader(creator_id, account_id)
    return platform.strategy.inbox(creator_id)


@router.post(
    "/{creator_id}/actions/approve",
    response_model=ApproveOut,
    summary="Approve inbox actions in bulk; each runs as an `assistant` interaction",
)
async def approve(
    creator_id: int, body: ApproveIn, account_id: CurrentAccount, platform: PlatformDep
) -> ApproveOut:
    platform.strategy.check_reader(creator_id, account_id)
    results = await platform.strategy.approve(creator_id, account_id, body.ids, body.bodies)
    return ApproveOut(creator_id=creator_id, results=results)


@router.get("/{creator_id}/actions", summary="The record of approved actions, newest first")
def actions(creator_id: int, account_id: CurrentAccount, platform: PlatformDep) -> dict[str, Any]:
    platform.strategy.check_reader(creator_id, account_id)
    return {"creator_id": creator_id, "actions": platform.strategy.actions(creator_id)}
