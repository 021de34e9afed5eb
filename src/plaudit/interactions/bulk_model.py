"""The item and result types of bulk ingest (trusted gateways and the demo loader)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

__all__ = ["KINDS", "BulkItem", "ItemResult"]

KINDS = ("like", "unlike", "comment", "follow", "unfollow", "share")


class BulkItem(NamedTuple):
    """One interaction as a gateway reports it.

    `target_id` is a video id for like, unlike, comment and share, and a creator's account id
    for follow and unfollow. `at` is when it happened (aware, UTC). A NamedTuple keeps the
    per-item cost low enough for 100,000 items a second.
    """

    kind: str
    account_id: int
    target_id: int
    at: datetime
    source: str = "app"
    device_key: str | None = None
    user_agent: str | None = None
    ip_prefix: str | None = None
    body: str | None = None
    channel: str | None = None


class ItemResult(NamedTuple):
    """The outcome of one bulk item: `status` is created, existing, removed or error;
    `held` is True for a like created behind a real-time rule's hold (pending); `risk` is the
    real-time rules' score of a like they admitted (None for other items)."""

    status: str
    id: int | None = None
    seq: int | None = None
    error_type: str | None = None
    detail: str | None = None
    held: bool = False
    risk: int | None = None
