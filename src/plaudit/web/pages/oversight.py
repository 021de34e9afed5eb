"""An operator's authenticity pages (真实性): scans with their figures, a scan's verdicts, a
verdict's evidence drawn (the accounts x videos block, the window, observed vs expected),
every revocation, and the real-time rules' limits beside their recent hold counts.
Thin over `platform.authenticity.oversight`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from plaudit.authenticity.oversight import ACTIVITY_COLUMNS, VerdictBlock
from plaudit.web.pages.operator import operator_only
from plaudit.web.render import ConsoleRoute, Page, page_of

__all__ = ["router"]

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PageDep = Annotated[Page, Depends(page_of)]
WINDOWS = (1, 24, 168)  # hours the rules table offers
PAGE = 100  # revocations per page


@router.get("/operator/authenticity")
def authenticity(page: PageDep, hours: int = 24) -> Any:
    """Scans, and the rules' limits with what each held in the last `hours`."""
    operator_only(page)
    oversight = page.platform.authenticity.oversight
    activity = oversight.rule_activity(page.platform.rules.settings, hours)
    return page.render(
        "operator_authenticity.html",
        scans=oversight.scans(),
        activity=activity,
        columns=ACTIVITY_COLUMNS,
        hours=hours,
        windows=WINDOWS,
        rules_on=page.platform.rules.settings.enabled,
    )


@router.get("/operator/verdicts")
def verdicts(page: PageDep, scan: int | None = None) -> Any:
    """A scan's verdicts, highest score first; without `scan`, the verdicts made by hand."""
    operator_only(page)
    found = page.platform.authenticity.oversight.verdicts(scan)
    return page.render("operator_verdicts.html", verdicts=found, scan=scan)


@router.get("/operator/revocations")
def revocations(page: PageDep, before: int | None = None) -> Any:
    operator_only(page)
    rows = page.platform.authenticity.oversight.revocations(before, PAGE)
    older = rows[-1][0].id if len(rows) == PAGE else None
    return page.render("operator_revocations.html", rows=rows, older=older)


@router.get("/operator/verdicts/{verdict_id:int}")
def verdict(verdict_id: int, page: PageDep) -> Any:
    """A verdict with its evidence drawn, and in full (operators only see it whole)."""
    viewer = operator_only(page)
    found = page.platform.authenticity.verdict(verdict_id, viewer.account_id)
    block = page.platform.authenticity.oversight.block(verdict_id)
    summary = found.summary
    return page.render(
        "operator_verdict.html",
        verdict=found,
        block=block,
        block_chart=_block_chart(block),
        block_rows=_block_rows(block),
        window=summary.get("window") or {},
        observed=summary.get("observed"),
        expected=summary.get("expected"),
    )


def _block_chart(block: VerdictBlock) -> dict[str, Any]:
    """The heatmap of charts.js: videos across, accounts down, a filled cell per like."""
    return {
        "x": [f"#{v}" for v in block.videos],
        "y": [f"#{a}" for a in block.accounts],
        "values": [[column, row, 1] for row, column in block.cells],
    }


def _block_rows(block: VerdictBlock) -> list[list[str]]:
    """The table fallback: each drawn account with the drawn videos it liked."""
    liked: dict[int, list[str]] = {row: [] for row in range(len(block.accounts))}
    for row, column in block.cells:
        liked[row].append(f"#{block.videos[column]}")
    return [
        [f"#{account}", str(len(liked[row])), " ".join(liked[row])]
        for row, account in enumerate(block.accounts)
    ]
