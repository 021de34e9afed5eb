"""Comments, shares and follows."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from plaudit.api.clients import device_of
from plaudit.api.deps import CurrentAccount, PlatformDep
from plaudit.api.schemas import CommentIn, CommentOut, FollowOut, ShareIn, ShareOut
from plaudit.interactions import Follow

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["social"])


def follow_out(follow: Follow) -> FollowOut:
    return FollowOut.model_validate(follow, from_attributes=True)


@router.post(
    "/videos/{video_id}/comments",
    response_model=CommentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Comment on a video",
)
async def comment(
    video_id: int,
    body: CommentIn,
    request: Request,
    account_id: CurrentAccount,
    platform: PlatformDep,
) -> CommentOut:
    device = device_of(request, body.device)
    made = await platform.interactions.comment(account_id, video_id, body.body, body.source, device)
    return CommentOut.model_validate(made, from_attributes=True)


@router.post(
    "/videos/{video_id}/shares",
    response_model=ShareOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record a share of a video",
)
async def share(
    video_id: int,
    body: ShareIn,
    request: Request,
    account_id: CurrentAccount,
    platform: PlatformDep,
) -> ShareOut:
    device = device_of(request, body.device)
    made = await platform.interactions.share(
        account_id, video_id, body.channel, body.source, device
    )
    return ShareOut.model_validate(made, from_attributes=True)


@router.post(
    "/creators/{creator_id}/follows",
    response_model=FollowOut,
    status_code=status.HTTP_201_CREATED,
    summary="Follow a creator (idempotent: 200 when already following)",
)
async def follow(
    creator_id: int, response: Response, account_id: CurrentAccount, platform: PlatformDep
) -> FollowOut:
    outcome = await platform.interactions.follow(account_id, creator_id)
    if not outcome.created:
        response.status_code = status.HTTP_200_OK
    return follow_out(outcome.follow)


@router.delete(
    "/creators/{creator_id}/follows", response_model=FollowOut, summary="Unfollow a creator"
)
async def unfollow(creator_id: int, account_id: CurrentAccount, platform: PlatformDep) -> FollowOut:
    return follow_out(await platform.interactions.unfollow(account_id, creator_id))
