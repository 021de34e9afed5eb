"""Bulk ingest for trusted gateways: up to `bulk_max_items` interactions, a result per item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

from fastapi import APIRouter

from plaudit.api.deps import CurrentAccount, PlatformDep
from plaudit.api.guard import check_text
from plaudit.api.schemas import (
    BulkError,
    BulkItemIn,
    BulkItemInvalid,
    BulkRequest,
    BulkResponse,
    BulkResultOut,
    BulkStatus,
)
from plaudit.errors import Forbidden, InvalidInput, PayloadTooLarge
from plaudit.interactions import BulkItem, ItemResult, ip_prefix
from plaudit.interactions.bulk import TimeWindow

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["bulk"])


_TEXTS = ("source", "device_id", "user_agent", "ip", "body", "channel")


def _item(
    given: BulkItemIn | BulkItemInvalid, window: TimeWindow, now: datetime
) -> BulkItem | ItemResult:
    if isinstance(given, BulkItemInvalid):
        return ItemResult("error", error_type=InvalidInput.type, detail=given.detail)
    try:
        for name in _TEXTS:
            value = getattr(given, name)
            if value is not None:
                check_text(value, name)
        prefix = ip_prefix(given.ip) if given.ip else None
        at = window.check(given.at, now)  # before the real-time rules read it
    except InvalidInput as exc:
        return ItemResult("error", error_type=exc.type, detail=exc.detail)
    return BulkItem(
        given.kind,
        given.account_id,
        given.target_id,
        at,
        given.source,
        given.device_id,
        given.user_agent,
        prefix,
        given.body,
        given.channel,
    )


def _out(index: int, result: ItemResult) -> BulkResultOut:
    error = None
    if result.error_type is not None:
        error = BulkError(type=result.error_type, detail=result.detail or "")
    return BulkResultOut(
        index=index,
        status=cast(BulkStatus, result.status),
        id=result.id,
        seq=result.seq,
        held=result.held,
        risk=result.risk,
        error=error,
    )


@router.post(
    "/interactions/bulk",
    response_model=BulkResponse,
    summary="Ingest many interactions at once (gateway accounts only)",
)
async def bulk_ingest(
    body: BulkRequest, account_id: CurrentAccount, platform: PlatformDep
) -> BulkResponse:
    if platform.accounts.get(account_id).kind != "gateway":
        raise Forbidden(
            "bulk ingest is for gateway accounts; an operator creates one with "
            "`plaudit accounts create --kind gateway`"
        )
    limit = platform.settings.bulk_max_items
    if len(body.items) > limit:
        raise PayloadTooLarge(
            f"{len(body.items)} items in one request; the most is {limit}", max_items=limit
        )
    settings = platform.settings
    window = TimeWindow(settings.epoch, timedelta(seconds=settings.clock_skew_s))
    now = datetime.now(UTC)
    prepared = [_item(item, window, now) for item in body.items]
    kept = [p for p in prepared if isinstance(p, BulkItem)]
    results = await platform.interactions.bulk(kept, window)
    merged = iter(results)
    final = [p if isinstance(p, ItemResult) else next(merged) for p in prepared]
    accepted = sum(1 for r in final if r.status != "error")
    return BulkResponse(
        accepted=accepted,
        rejected=len(final) - accepted,
        results=[_out(i, r) for i, r in enumerate(final)],
    )
