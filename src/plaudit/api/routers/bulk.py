"""Bulk ingest for trusted gateways: up to `bulk_max_items` interactions, a result per item."""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter

from plaudit.api.deps import CurrentAccount, PlatformDep
from plaudit.api.schemas import (
    BulkError,
    BulkItemIn,
    BulkRequest,
    BulkResponse,
    BulkResultOut,
    BulkStatus,
)
from plaudit.errors import Forbidden, InvalidInput, PayloadTooLarge
from plaudit.interactions import BulkItem, ItemResult, ip_prefix

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["bulk"])


def _item(given: BulkItemIn) -> BulkItem | ItemResult:
    try:
        prefix = ip_prefix(given.ip) if given.ip else None
    except InvalidInput as exc:
        return ItemResult("error", error_type=exc.type, detail=exc.detail)
    return BulkItem(
        given.kind,
        given.account_id,
        given.target_id,
        given.at,
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
    prepared = [_item(item) for item in body.items]
    results = await platform.interactions.bulk([p for p in prepared if isinstance(p, BulkItem)])
    merged = iter(results)
    final = [p if isinstance(p, ItemResult) else next(merged) for p in prepared]
    accepted = sum(1 for r in final if r.status != "error")
    return BulkResponse(
        accepted=accepted,
        rejected=len(final) - accepted,
        results=[_out(i, r) for i, r in enumerate(final)],
    )
