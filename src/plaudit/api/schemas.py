"""Request and response bodies of the v1 API (they define the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AccountCreate",
    "AccountCreated",
    "AccountOut",
    "BulkItemIn",
    "BulkRequest",
    "BulkResponse",
    "BulkResultOut",
    "BulkStatus",
    "CommentIn",
    "CommentOut",
    "DeviceIn",
    "FollowOut",
    "LikeIn",
    "LikeOut",
    "LikePage",
    "ProfileOut",
    "ProfilePatch",
    "ShareIn",
    "ShareOut",
    "VideoIn",
    "VideoOut",
    "VideoPage",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeviceIn(_Strict):
    id: str | None = Field(None, max_length=128, description="The client's device id.")
    user_agent: str | None = Field(None, max_length=512)


class LikeIn(_Strict):
    source: str = Field("app", description="app, web, api, assistant or campaign:<id>")
    device: DeviceIn | None = None


class LikeOut(BaseModel):
    id: int
    account_id: int
    video_id: int
    source: str
    created_at: datetime
    removed_at: datetime | None
    ip_prefix: str | None
    seq: int | None = Field(None, description="Place in the interaction sequence (ledger index).")
    status: Literal["accepted", "held"] | None = Field(
        None,
        description="Like responses: accepted, or held by a real-time rule (pending in counts).",
    )
    risk: int | None = Field(None, description="Like responses: the real-time risk score 0-100.")


class LikePage(BaseModel):
    items: list[LikeOut]
    next_cursor: str | None


class VideoIn(_Strict):
    title: str = Field(..., min_length=1, max_length=200)
    category: str
    duration_s: int = Field(0, ge=0, le=86_400)


class VideoOut(BaseModel):
    id: int
    creator_id: int
    title: str
    category: str
    duration_s: int
    published_at: datetime
    likes: int = Field(..., description="Every active like (the total).")
    authentic: int = Field(..., description="Active likes neither revoked nor pending.")
    revoked: int = Field(..., description="Active likes a verdict revoked (see the ledger).")
    pending: int = Field(..., description="Active likes held by a real-time rule.")
    incentivised: int = Field(..., description="Active likes from a campaign (disclosed).")
    organic: int = Field(..., description="Active likes neither from a campaign nor revoked.")
    comments: int
    shares: int


class VideoPage(BaseModel):
    items: list[VideoOut]
    next_cursor: str | None


class CommentIn(_Strict):
    body: str = Field(..., min_length=1, max_length=2000)
    source: str = "app"
    device: DeviceIn | None = None


class CommentOut(BaseModel):
    id: int
    account_id: int
    video_id: int
    body: str
    source: str
    created_at: datetime


class ShareIn(_Strict):
    channel: str = Field(..., description="wechat, weibo, qq, douyin, link or other")
    source: str = "app"
    device: DeviceIn | None = None


class ShareOut(BaseModel):
    id: int
    account_id: int
    video_id: int
    channel: str
    source: str
    created_at: datetime


class FollowOut(BaseModel):
    id: int
    follower_id: int
    creator_id: int
    source: str
    created_at: datetime
    removed_at: datetime | None


class AccountCreate(_Strict):
    handle: str = Field(..., min_length=3, max_length=64)
    kind: Literal["fan", "creator"] = "fan"
    display_name: str = Field("", max_length=128)


class AccountOut(BaseModel):
    id: int
    handle: str
    kind: str
    display_name: str
    created_at: datetime


class AccountCreated(AccountOut):
    token: str = Field(..., description="Bearer token; shown only this once.")


class ProfileOut(BaseModel):
    account_id: int
    birth_year: int | None
    gender: str | None
    province: str | None
    city: str | None
    city_tier: str | None
    spending_band: str | None
    consent_personalisation: bool
    consent_targeting: bool


class ProfilePatch(_Strict):
    birth_year: int | None = None
    gender: str | None = None
    province: str | None = Field(None, max_length=8)
    city: str | None = Field(None, max_length=64)
    city_tier: str | None = None
    spending_band: str | None = None
    consent_personalisation: bool | None = None
    consent_targeting: bool | None = None


class BulkItemIn(_Strict):
    kind: Literal["like", "unlike", "comment", "follow", "unfollow", "share"]
    account_id: int = Field(..., ge=1)
    target_id: int = Field(..., ge=1, description="Video id; creator account id for follows.")
    at: datetime = Field(..., description="When it happened, ISO 8601 with a time zone.")
    source: str = "app"
    device_id: str | None = Field(None, max_length=128)
    user_agent: str | None = Field(None, max_length=512)
    ip: str | None = Field(None, description="Client IP; only its prefix is kept.")
    body: str | None = Field(None, max_length=2000)
    channel: str | None = None


class BulkRequest(_Strict):
    items: list[BulkItemIn] = Field(..., min_length=1)


class BulkError(BaseModel):
    type: str
    detail: str


BulkStatus = Literal["created", "existing", "removed", "error"]


class BulkResultOut(BaseModel):
    index: int
    status: BulkStatus
    id: int | None = None
    seq: int | None = None
    held: bool = Field(False, description="A like created behind a real-time rule's hold.")
    risk: int | None = Field(None, description="Likes: the real-time risk score 0-100.")
    error: BulkError | None = None


class BulkResponse(BaseModel):
    accepted: int
    rejected: int
    results: list[BulkResultOut]
