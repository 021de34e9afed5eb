"""Segments (星图): counts, insights, overlaps, lookalikes, saved segments and fan bases.

Thin: every answer comes from `platform.persona`. Who may ask what:

- fans and gateways: nothing (403);
- creators and brands: differentially private aggregates (noisy, rounded, "<k" below
  `privacy_k`) charged to their privacy budget (429 privacy-budget-exhausted when spent),
  the saved segments of their namespace (a brand: its organisation's, chosen with
  `?organisation_id=` when it has several), lookalikes saved under a name (never a list of
  accounts); a creator sees the fan base of their own account only;
- operators: the same answers without a budget, every saved segment, and exact counts (each
  one logged).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from plaudit.api.deps import CurrentAccount, PlatformDep, require_kind
from plaudit.errors import Forbidden, InvalidInput, NotFound
from plaudit.persona.asker import Asker
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


OrganisationParam = Annotated[
    int | None,
    Query(
        ge=1,
        le=2**63 - 1,
        description="Brands in several organisations: the one asking (names and budget).",
    ),
]


def _caller(
    platform: Platform, account_id: int, organisation_id: int | None = None
) -> tuple[str, Asker]:
    """The caller's kind and who asks: the namespace of their saved segments and the
    budgets charged (a brand: its organisation's and its own; a creator: their own;
    operators: every namespace, no budget)."""
    kind = require_kind(platform, account_id, *_ASKERS)
    if kind == "operator":
        return kind, Asker()
    if kind == "brand":
        org = platform.campaigns.acting_organisation(account_id, organisation_id)
        if org is not None:
            return kind, Asker.organisation(org, account_id)
    return kind, Asker.account(account_id)


@router.post("/segments/count", summary="How many accounts a segment has")
def count(
    body: CountIn,
    account_id: CurrentAccount,
    platform: PlatformDep,
    organisation_id: OrganisationParam = None,
) -> dict[str, Any]:
    kind, asker = _caller(platform, account_id, organisation_id)
    if not body.exact:
        return platform.persona.count(body.expression, asker)
    if kind != "operator":
        raise Forbidden("exact counts are for operators; others see counts below k as <k")
    n = platform.persona.exact_count(body.expression, f"account:{account_id}", asker)
    return {"expression": body.expression, "count": n, "exact": True}


@router.post("/segments/insights", summary="Every tag family inside a segment, with its TGI")
def insights(
    body: ExpressionIn,
    account_id: CurrentAccount,
    platform: PlatformDep,
    organisation_id: OrganisationParam = None,
) -> dict[str, Any]:
    _kind, asker = _caller(platform, account_id, organisation_id)
    return platform.persona.insights(body.expression, asker)


@router.post("/segments/overlap", summary="Sizes and intersections of 2 to 5 segments")
def overlap(
    body: OverlapIn,
    account_id: CurrentAccount,
    platform: PlatformDep,
    organisation_id: OrganisationParam = None,
) -> dict[str, Any]:
    _kind, asker = _caller(platform, account_id, organisation_id)
    return platform.persona.overlap(body.expressions, asker)


@router.post(
    "/segments/lookalike",
    status_code=status.HTTP_201_CREATED,
    summary="Expand a seed to a similar audience, saved as a named segment",
)
def lookalike(
    body: LookalikeIn,
    account_id: CurrentAccount,
    platform: PlatformDep,
    organisation_id: OrganisationParam = None,
) -> dict[str, Any]:
    kind, asker = _caller(platform, account_id, organisation_id)
    if (body.expression is None) == (body.creator_id is None):
        raise InvalidInput("give the seed as either `expression` or `creator_id`", field="seed")
    if body.creator_id is not None:
        _fan_base_allowed(platform, kind, account_id, body.creator_id)
    return platform.persona.lookalike(
        body.size,
        expression=body.expression,
        creator_id=body.creator_id,
        asker=asker,
        save_as=body.name,
    )


def _saved_out(platform: Platform, entry: SavedSegment, asker: Asker) -> dict[str, Any]:
    return {**entry.public(), **platform.persona.count(f"segment:{entry.name}", asker)}


@router.post(
    "/segments/saved", status_code=status.HTTP_201_CREATED, summary="Save a segment by name"
)
def save(
    body: SavedIn,
    account_id: CurrentAccount,
    platform: PlatformDep,
    organisation_id: OrganisationParam = None,
) -> dict[str, Any]:
    _kind, asker = _caller(platform, account_id, organisation_id)
    entry = platform.persona.save_segment(body.name, body.expression, asker)
    return entry.public()


@router.get("/segments/saved", summary="Your saved segments")
def list_saved(
    account_id: CurrentAccount, platform: PlatformDep, organisation_id: OrganisationParam = None
) -> dict[str, Any]:
    _kind, asker = _caller(platform, account_id, organisation_id)
    return {"segments": [e.public() for e in platform.persona.saved_segments(asker)]}


@router.get("/segments/saved/{name}", summary="One saved segment and its current size")
def read_saved(
    name: str,
    account_id: CurrentAccount,
    platform: PlatformDep,
    organisation_id: OrganisationParam = None,
) -> dict[str, Any]:
    _kind, asker = _caller(platform, account_id, organisation_id)
    return _saved_out(platform, platform.persona.saved_segment(name, asker), asker)


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
    kind, asker = _caller(platform, account_id)
    _fan_base_allowed(platform, kind, account_id, creator_id)
    return platform.persona.fan_base(creator_id, asker)
