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
from plaudit.authenticity.rules import Admission
from plaudit.errors import Forbidden, InvalidInput, PayloadTooLarge, PlauditError
from plaudit.interactions import BulkItem, ItemResult, ip_prefix
from plaudit.interactions.bulk import TimeWindow
from plaudit.interactions.service import Hold
from plaudit.platform import Platform

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


def _out(index: int, result: ItemResult, risk: int | None) -> BulkResultOut:
    error = None
    if result.error_type is not None:
        error = BulkError(type=result.error_type, detail=result.detail or "")
    return BulkResultOut(
        index=index,
        status=cast(BulkStatus, result.status),
        id=result.id,
        seq=result.seq,
        held=result.held,
        risk=risk,
        error=error,
    )


def _screen(
    platform: Platform, prepared: list[BulkItem | ItemResult]
) -> tuple[list[BulkItem | ItemResult], dict[int, Admission]]:
    """The real-time rules, item by item at each item's own time, as for single likes: a
    refused like becomes that item's error result."""
    admitted: dict[int, Admission] = {}
    screened: list[BulkItem | ItemResult] = []
    for item in prepared:
        if isinstance(item, BulkItem) and item.kind == "like":
            try:
                admitted[len(screened)] = platform.rules.admit(
                    item.account_id, item.device_key, item.ip_prefix, item.at
                )
            except PlauditError as exc:
                screened.append(ItemResult("error", error_type=exc.type, detail=exc.detail))
                continue
        screened.append(item)
    return screened, admitted


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
    prepared, admitted = _screen(platform, [_item(item, window, now) for item in body.items])
    items: list[BulkItem] = []
    holds: dict[int, Hold] = {}
    for index, entry in enumerate(prepared):
        if isinstance(entry, BulkItem):
            admission = admitted.get(index)
            if admission is not None and admission.held:
                holds[len(items)] = Hold(admission.rule or "", admission.risk)
            items.append(entry)
    try:
        results = await platform.interactions.bulk(items, holds, window)
    except BaseException:
        for admission in admitted.values():
            platform.rules.cancel(admission)
        raise
    merged = iter(results)
    final = [p if isinstance(p, ItemResult) else next(merged) for p in prepared]
    for index, admission in admitted.items():
        if final[index].status != "created":
            platform.rules.cancel(admission)
    accepted = sum(1 for r in final if r.status != "error")
    return BulkResponse(
        accepted=accepted,
        rejected=len(final) - accepted,
        results=[
            _out(i, r, admitted[i].risk if i in admitted else None) for i, r in enumerate(final)
        ],
    )
