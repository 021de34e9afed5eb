"""Typed results: the fields a client relies on; unknown fields are ignored (the API may grow)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

__all__ = [
    "Account",
    "ApiKey",
    "Delivery",
    "Like",
    "Tokens",
    "Video",
    "WebhookEndpoint",
    "from_json",
]

T = TypeVar("T")


def from_json(cls: type[T], data: dict[str, Any]) -> T:
    """An instance of the dataclass `cls` from an API document; times become datetimes."""
    values: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        value = data.get(f.name)
        if isinstance(value, str) and f.name.endswith("_at"):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        values[f.name] = value
    return cls(**values)


@dataclass(frozen=True)
class Account:
    id: int
    handle: str
    kind: str
    display_name: str
    created_at: datetime


@dataclass(frozen=True)
class Video:
    id: int
    creator_id: int
    title: str
    category: str
    duration_s: int | None
    published_at: datetime | None
    likes: int
    authentic: int
    incentivised: int
    organic: int


@dataclass(frozen=True)
class Like:
    id: int
    account_id: int
    video_id: int
    source: str
    created_at: datetime
    removed_at: datetime | None


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class WebhookEndpoint:
    id: int
    account_id: int
    organisation_id: int | None
    signature: str
    url: str
    events: list[str]
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True)
class Delivery:
    """One message of an endpoint's delivery log; `attempts` as the API gives them."""

    id: int
    msg_id: str
    event_type: str
    status: str
    payload: dict[str, Any]
    attempts: list[dict[str, Any]]
    created_at: datetime


@dataclass(frozen=True)
class Tokens:
    """An OAuth token answer (RFC 6749 5.1): keep `refresh_token`, it replaces the last one."""

    access_token: str
    refresh_token: str
    scope: str
    expires_in: int
    token_type: str
