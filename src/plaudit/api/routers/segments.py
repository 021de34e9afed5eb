"""Segments (星图): counts, insights, overlaps, lookalikes, saved segments and fan bases.

Thin: every answer comes from `platform.persona`. Who may ask what:

- fans and gateways: nothing (403);
- creators and brands: aggregates with the privacy floor (counts below `privacy_k` shown as
  "<k"), their own saved segments, lookalikes saved under a name (never a list of accounts);
  a creator sees the fan base of their own account only;
- operators: the same, every saved segment, and exact counts (each one logged).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from plaudit.api.deps import CurrentAccount, PlatformDep, require_kind
from plaudit.errors import Forbidden, InvalidInput, NotFound
from plaudit.persona.saved import SavedSegment
from plaudit.platform import Platform

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["segments"])

_ASKERS = ("creator", "brand", "operator")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CountIn(_Strict):
    expression: str = Field(..., description="A segment expression (docs/segments.md).")
    exact: bool = Field(False, description="Operators only: the exact count (logged).")


class ExpressionIn(_Strict):
    expression: str = Field(..., description="A segment expression (docs/segments.md).")


class OverlapIn(_Strict):
    expressions: list[str] = Field(..., description="2 to 5 segment expressions.")


class LookalikeIn(_Strict):
    name: str = Field(..., description="The saved segment the audience is kept as.")
    size: int = Field(..., ge=1, description="Accounts wanted, at least privacy_k.")
    expression: str | None = Field(None, description="Seed: a segment expression.")
    creator_id: int | None = Field(None, ge=1, description="Seed: this creator's fans.")


class SavedIn(_Strict):
    name: str = Field(..., description="1-64 letters, digits or _; used as segment:NAME.")
    expression: str


def _caller(platform: Platform, account_id: int) -> tuple[str, int | None]:
    """The caller's kind and the owner their saved segments are filed under (operators:
    None, which sees every saved segment)."""
    kind = require_kind(platform, account_id, *_ASKERS)
    return kind, (None if kind == "operator" else account_id)


@router.post("/segments/count", summary="How many accounts a segment has")
def count(body: CountIn, account_id: CurrentAccount, platform: PlatformDep) -> dict[str, Any]:
    kind, owner = _caller(platform, account_id)
    if not body.exact:
        return platform.persona.count(body.expression, owner)
    if kind != "operator":
        raise Forbidden("exact counts are for operators; others see counts below k as <k")
    n = platform.persona.exact_count(body.expression, f"account:{account_id}", owner)
    return {"expression": body.expression, "count": n, "exact": True}


@router.post("/segments/insights", summary="Every tag family inside a segment, with its TGI")
def insights(
    body: ExpressionIn, account_id: CurrentAccount, platform: PlatformDep
) -> dict[str, Any]:
    _kind, owner = _caller(platform, account_id)
    return platform.persona.insights(body.expression, owner)


@router.post("/segments/overlap", summary="Sizes and intersections of 2 to 5 segments")
def overlap(body: OverlapIn, account_id: CurrentAccount, platform: PlatformDep) -> dict[str, Any]:
    _kind, owner = _caller(platform, account_id)
    return platform.persona.overlap(body.expressions, owner)


@router.post(
    "/segments/lookalike",
    status_code=status.HTTP_201_CREATED,
    summary="Expand a seed to a similar audience, saved as a named segment",
)
def lookalike(
    body: LookalikeIn, account_id: CurrentAccount, platform: PlatformDep
) -> dict[str, Any]:
    kind, owner = _caller(platform, account_id)
    if (body.expression is None) == (body.creator_id is None):
        raise InvalidInput("give the seed as either `expression` or `creator_id`", field="seed")
    if body.creator_id is not None:
        _fan_base_allowed(platform, kind, account_id, body.creator_id)
    return platform.persona.lookalike(
        body.size,
        expression=body.expression,
        creator_id=body.creator_id,
        owner=owner,
        save_as=body.name,
    )


def _saved_out(platform: Platform, entry: SavedSegment, owner: int | None) -> dict[str, Any]:
    return {**entry.public(), **platform.persona.count(f"segment:{entry.name}", owner)}


@router.post(
    "/segments/saved", status_code=status.HTTP_201_CREATED, summary="Save a segment by name"
)
def save(body: SavedIn, account_id: CurrentAccount, platform: PlatformDep) -> dict[str, Any]:
    _kind, owner = _caller(platform, account_id)
    entry = platform.persona.save_segment(body.name, body.expression, owner)
    return entry.public()


@router.get("/segments/saved", summary="Your saved segments")
def list_saved(account_id: CurrentAccount, platform: PlatformDep) -> dict[str, Any]:
    _kind, owner = _caller(platform, account_id)
    return {"segments": [e.public() for e in platform.persona.saved_segments(owner)]}


@router.get("/segments/saved/{name}", summary="One saved segment and its current size")
def read_saved(name: str, account_id: CurrentAccount, platform: PlatformDep) -> dict[str, Any]:
    _kind, owner = _caller(platform, account_id)
    return _saved_out(platform, platform.persona.saved_segment(name, owner), owner)


def _fan_base_allowed(platform: Platform, kind: str, caller: int, creator_id: int) -> None:
    if kind == "creator" and caller != creator_id:
        raise Forbidden("a creator sees the fan base of their own account only")
    if platform.accounts.get(creator_id).kind != "creator":
        raise NotFound(f"account {creator_id} is not a creator", creator_id=creator_id)


@router.get(
    "/creators/{creator_id}/fan-base",
    summary="Who a creator's fans are: numbers and one sentence in Chinese and English",
)
def fan_base(creator_id: int, account_id: CurrentAccount, platform: PlatformDep) -> dict[str, Any]:
    kind, _owner = _caller(platform, account_id)
    _fan_base_allowed(platform, kind, account_id, creator_id)
    return platform.persona.fan_base(creator_id)
