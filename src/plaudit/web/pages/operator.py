"""An operator's pages (运营): the appeals queue, decided here with the affected video's
counts before and after (a reinstatement moves a like from revoked back to authentic).
Thin over `platform.authenticity`, as the API's verdict routes are."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends

from plaudit.errors import Forbidden, InvalidInput, PlauditError
from plaudit.fund.rules import Rule
from plaudit.ledgerstore.service import WitnessSeen
from plaudit.web.queries import ConsoleQueries
from plaudit.web.render import ConsoleRoute, Page, page_of
from plaudit.web.signin import Viewer, require

__all__ = ["operator_only", "router"]

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PageDep = Annotated[Page, Depends(page_of)]
QUEUE = 100


def operator_only(page: Page) -> Viewer:
    """The signed-in operator; 401 without one, 403 for any other kind of account."""
    viewer = require(page.viewer)
    if viewer.kind != "operator":
        raise Forbidden(f"the operator pages are for operator accounts; you are a {viewer.kind}")
    return viewer


def _videos_of(page: Page, account_id: int, verdict_id: int) -> list[Any]:
    """The videos whose likes by `account_id` the verdict revoked, with their live counts."""
    rows = ConsoleQueries(page.platform.db).revoked_likes(account_id, 500)
    ids = sorted({int(r["video_id"]) for r in rows if r["verdict_id"] == verdict_id})
    return [page.platform.videos.get(video_id) for video_id in ids]


@router.get("/operator/appeals")
def appeals(page: PageDep, status: str = "open") -> Any:
    viewer = operator_only(page)
    found = page.platform.authenticity.appeals(status or None, QUEUE)
    rows = [
        (
            appeal,
            page.platform.authenticity.verdict(appeal.verdict_id, viewer.account_id),
            _videos_of(page, appeal.account_id, appeal.verdict_id),
        )
        for appeal in found
    ]
    return page.render("operator_appeals.html", rows=rows, shown=status, decided=None)


@router.post("/operator/appeals/{appeal_id:int}/decide")
async def decide(appeal_id: int, page: PageDep) -> Any:
    fields = await page.form()
    viewer = operator_only(page)
    appeal = next(
        (a for a in page.platform.authenticity.appeals(None, 10_000) if a.id == appeal_id), None
    )
    before = [] if appeal is None else _videos_of(page, appeal.account_id, appeal.verdict_id)
    decision = page.platform.authenticity.decide(
        appeal_id, fields.get("decision", ""), fields.get("note", ""), viewer.account_id
    )
    after = [page.platform.videos.get(v.id) for v in before]
    found = page.platform.authenticity.appeals("open", QUEUE)
    rows = [
        (
            a,
            page.platform.authenticity.verdict(a.verdict_id, viewer.account_id),
            _videos_of(page, a.account_id, a.verdict_id),
        )
        for a in found
    ]
    return page.render(
        "operator_appeals.html",
        rows=rows,
        shown="open",
        decided=(decision, list(zip(before, after, strict=True))),
    )


def _hub(page: Page, **done: Any) -> Any:
    ledger = page.platform.ledger
    try:
        checkpoint = ledger.checkpoint()
    except PlauditError:  # nothing signed yet
        checkpoint = None
    periods = [page.platform.fund.totals(p.id) for p in page.platform.fund.periods()]
    return page.render(
        "operator.html",
        size=ledger.size(),
        pending=ledger.pending(),
        checkpoint=checkpoint,
        witnesses=_witnesses(page),
        audit_job=page.request.app.state.jobs.state("ledger-audit"),
        periods=periods,
        now=datetime.now(UTC),
        **{"settled": None, "closed": None, **done},
    )


def _witnesses(page: Page) -> list[tuple[str, WitnessSeen | None]]:
    """Each configured witness (ledger_witnesses) and any other that cosigned, with its
    newest cosignature (None: none yet)."""
    seen = {w.witness: w for w in page.platform.ledger.witnesses()}
    configured = ["+".join(key.split("+")[:2]) for key in page.platform.settings.witness_keys]
    names = dict.fromkeys([*configured, *seen])
    return [(name, seen.get(name)) for name in names]


@router.get("/operator")
def hub(page: PageDep) -> Any:
    """Ledger health, campaign settlement and the creator fund's periods."""
    operator_only(page)
    return _hub(page)


@router.post("/operator/campaigns/settle")
async def settle(page: PageDep) -> Any:
    await page.form()
    operator_only(page)
    summary = page.platform.campaigns.settle()
    return _hub(page, settled=summary.counts)


@router.post("/operator/fund/periods")
async def create_period(page: PageDep) -> Any:
    fields = await page.form()
    operator_only(page)
    starts = _date(fields.get("starts", ""), "starts")
    ends = _date(fields.get("ends", ""), "ends")
    pool = _fen(fields.get("pool", ""))
    page.platform.fund.create_period(fields.get("name", ""), starts, ends, pool, Rule())
    return page.redirect("/operator")


@router.post("/operator/fund/periods/{period_id:int}/close")
async def close_period(period_id: int, page: PageDep) -> Any:
    await page.form()
    operator_only(page)
    computation = page.platform.fund.close(period_id)
    return _hub(page, closed=(computation.period.name, len(computation.statements)))


def _date(text: str, field: str) -> datetime:
    """A day (YYYY-MM-DD) as its midnight in China time, where fund periods are counted."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{field}: a date as YYYY-MM-DD", field=field) from None
    return datetime.combine(day, time(), tzinfo=ZoneInfo("Asia/Shanghai"))


def _fen(text: str) -> int:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidInput("pool: an amount in yuan, like 10000", field="pool") from None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise InvalidInput("pool: a positive amount with at most 2 decimals", field="pool")
    return int(value * 100)
