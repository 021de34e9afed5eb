"""An operator's pages (运营): the appeals queue, decided here with the affected video's
counts before and after (a reinstatement moves a like from revoked back to authentic).
Thin over `platform.authenticity`, as the API's verdict routes are."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from plaudit.errors import Forbidden
from plaudit.web.queries import ConsoleQueries
from plaudit.web.render import ConsoleRoute, Page, page_of
from plaudit.web.signin import Viewer, require

__all__ = ["router"]

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PageDep = Annotated[Page, Depends(page_of)]
QUEUE = 100


def _operator(page: Page) -> Viewer:
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
    viewer = _operator(page)
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
    viewer = _operator(page)
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
