"""/v1/videos: publish, list and read videos with their counts."""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from plaudit.api.deps import CurrentAccount, PlatformDep
from plaudit.api.pagination import decode_cursor, encode_cursor
from plaudit.api.schemas import VideoIn, VideoOut, VideoPage
from plaudit.catalog import Video

__all__ = ["router", "video_out"]

router = APIRouter(prefix="/v1/videos", tags=["videos"])


def video_out(video: Video) -> VideoOut:
    return VideoOut(
        id=video.id,
        creator_id=video.creator_id,
        title=video.title,
        category=video.category,
        duration_s=video.duration_s,
        published_at=video.published_at,
        likes=video.likes,
        authentic=video.authentic,
        revoked=video.revoked,
        pending=video.pending,
        incentivised=video.incentivised,
        organic=video.organic,
        comments=video.comments,
        shares=video.shares,
    )


@router.get("", response_model=VideoPage, summary="List videos, oldest first")
async def list_videos(
    platform: PlatformDep,
    limit: int = Query(20, ge=1, le=200),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
    creator_id: int | None = Query(None, ge=1),
) -> VideoPage:
    videos = platform.videos.page(decode_cursor(cursor), limit, creator_id)
    next_cursor = encode_cursor(videos[-1].id) if len(videos) == limit else None
    return VideoPage(items=[video_out(v) for v in videos], next_cursor=next_cursor)


@router.get("/{video_id}", response_model=VideoOut, summary="A video with its counts")
async def get_video(video_id: int, platform: PlatformDep) -> VideoOut:
    return video_out(platform.videos.get(video_id))


# A plain `def`: the service waits for the writer's commit, so FastAPI runs this in its
# thread pool instead of blocking the event loop.
@router.post(
    "",
    response_model=VideoOut,
    status_code=status.HTTP_201_CREATED,
    summary="Publish a video (creator accounts)",
)
def publish_video(body: VideoIn, account_id: CurrentAccount, platform: PlatformDep) -> VideoOut:
    video = platform.videos.publish(account_id, body.title, body.category, body.duration_s)
    return video_out(video)
