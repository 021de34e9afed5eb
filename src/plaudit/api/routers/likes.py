"""Likes: like and unlike a video; list an account's likes."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from plaudit.api.clients import device_of
from plaudit.api.deps import (
    CurrentAccount,
    PlatformDep,
    authenticate,
    count_account_quota,
    platform_of,
)
from plaudit.api.guard import BODY_KEY
from plaudit.api.pagination import decode_cursor, encode_cursor
from plaudit.api.schemas import LikeIn, LikeOut, LikePage
from plaudit.errors import Forbidden
from plaudit.interactions import Like
from plaudit.platform import Platform

__all__ = ["LIKE_PATH", "like_fast_path", "router"]

router = APIRouter(prefix="/v1", tags=["likes"])


def like_out(like: Like, seq: int | None = None) -> LikeOut:
    return LikeOut.model_validate(_like_json(like, seq))


def _like_json(like: Like, seq: int | None) -> dict[str, object]:
    """The LikeOut document as a plain dict (orjson writes it several times faster)."""
    return {
        "id": like.id,
        "account_id": like.account_id,
        "video_id": like.video_id,
        "source": like.source,
        "created_at": like.created_at,
        "removed_at": like.removed_at,
        "ip_prefix": like.ip_prefix,
        "seq": seq,
    }


async def _caller(request: Request, platform: Platform) -> int:
    """`authenticate` without reading the database on the event loop: a token validated
    lately is answered from the cache, any other credential is checked in a thread."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        account_id = platform.accounts.cached_account(token.strip())
        if account_id is not None:
            count_account_quota(request, account_id)
            return account_id
    return await run_in_threadpool(authenticate, request, platform)


async def _like_body(request: Request) -> LikeIn | None:
    """The optional body: as the request guard left it in the scope (read once, checked),
    else read (an app built without the guard)."""
    raw = request.scope.get(BODY_KEY)
    if raw is None:
        raw = await request.body()
    if not raw.strip():
        return None
    try:
        return LikeIn.model_validate_json(raw)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise RequestValidationError(errors) from None


# The hottest endpoint of the platform does by hand what dependency injection and response
# models would do (authenticate, parse the optional body, serialise once), and the app serves
# it through `like_fast_path`, a plain Starlette route placed before every other: FastAPI's
# per-request dependency resolution and validation of `video_id` cost more than the rest of
# the like's work on the event loop. The operation below is what the OpenAPI document
# describes, and what answers a path the fast route does not match (`/v1/videos/x/likes` is
# its 422); both run `_like`.
_LIKE_BODY_DOC = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {
                "schema": LikeIn.model_json_schema(ref_template="#/components/schemas/{model}")
            }
        },
    }
}
LIKE_PATH = "/v1/videos/{video_id}/likes"


@router.post(
    "/videos/{video_id}/likes",
    response_model=LikeOut,
    status_code=status.HTTP_201_CREATED,
    summary="Like a video (idempotent: 200 with the existing like when already liked)",
    openapi_extra=_LIKE_BODY_DOC,
)
async def like_video(video_id: int, request: Request) -> Response:
    return await _like(video_id, request)


_DOCUMENTED = next(r for r in router.routes if getattr(r, "endpoint", None) is like_video)


async def like_fast_path(request: Request) -> Response:
    """`like_video` as a Starlette endpoint (route `/v1/videos/{video_id:int}/likes`)."""
    request.scope["route"] = _DOCUMENTED  # the operation it serves: API key scopes, telemetry
    video_id: int = request.path_params["video_id"]
    return await _like(video_id, request)


async def _like(video_id: int, request: Request) -> Response:
    platform = platform_of(request)
    account_id = await _caller(request, platform)
    body = await _like_body(request)
    source = body.source if body else "app"
    device = device_of(request, body.device if body else None)
    outcome = await platform.interactions.like(account_id, video_id, source, device)
    document = _like_json(outcome.like, outcome.seq)
    document["status"] = "held" if outcome.held else "accepted"
    document["risk"] = outcome.risk
    payload = orjson.dumps(document, option=orjson.OPT_UTC_Z)
    code = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
    return Response(payload, status_code=code, media_type="application/json")


@router.delete("/videos/{video_id}/likes", response_model=LikeOut, summary="Unlike a video")
async def unlike_video(video_id: int, account_id: CurrentAccount, platform: PlatformDep) -> LikeOut:
    return like_out(await platform.interactions.unlike(account_id, video_id, "app"))


@router.get(
    "/accounts/{account_id}/likes",
    response_model=LikePage,
    summary="An account's likes, newest first (only the account itself may read them)",
)
async def list_likes(
    account_id: int,
    caller: CurrentAccount,
    platform: PlatformDep,
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = None,
) -> LikePage:
    if caller != account_id:
        raise Forbidden("an account's likes are visible only to that account")
    likes = platform.interactions.likes_of(account_id, decode_cursor(cursor), limit)
    next_cursor = encode_cursor(likes[-1].id) if len(likes) == limit else None
    return LikePage(items=[like_out(like) for like in likes], next_cursor=next_cursor)
