"""A creator's working pages beside the dashboard: the inbox with bulk approval (each action
runs as an `assistant` interaction), revocations on my videos, fund statements."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from plaudit.errors import Conflict, Forbidden, InvalidInput, NotFound
from plaudit.web.render import ConsoleRoute, Page, page_of
from plaudit.web.signin import Viewer, require

__all__ = ["router"]

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PageDep = Annotated[Page, Depends(page_of)]
INBOX_SHOWN = 30
REVOKED_VIDEOS = 20


def _creator(page: Page) -> Viewer:
    viewer = require(page.viewer)
    if viewer.kind != "creator":
        raise Forbidden(f"the creator centre is for creator accounts; you are a {viewer.kind}")
    return viewer


@router.get("/creator/inbox")
def inbox(page: PageDep) -> Any:
    viewer = _creator(page)
    items = page.platform.strategy.inbox(viewer.account_id)["items"][:INBOX_SHOWN]
    return page.render("inbox.html", items=items, results=None)


@router.post("/creator/inbox")
async def approve(page: PageDep) -> Any:
    await page.form()  # checks the CSRF token
    viewer = _creator(page)
    ids = [str(v) for v in (await page.request.form()).getlist("ids")]
    if not ids:
        raise InvalidInput("tick at least one inbox item to approve", field="ids")
    results = await page.platform.strategy.approve(viewer.account_id, viewer.account_id, ids)
    items = page.platform.strategy.inbox(viewer.account_id)["items"][:INBOX_SHOWN]
    return page.render("inbox.html", items=items, results=results)


@router.get("/creator/revocations")
def revocations(page: PageDep) -> Any:
    viewer = _creator(page)
    videos = page.platform.videos.page(None, 1000, creator_id=viewer.account_id)
    revoked = sorted((v for v in videos if v.revoked), key=lambda v: -v.revoked)
    of_video = page.platform.authenticity.revocations_of_video
    rows = [
        (video, of_video(video.id, viewer.account_id, None, 20))
        for video in revoked[:REVOKED_VIDEOS]
    ]
    return page.render("revocations.html", rows=rows)


@router.get("/creator/fund")
def fund(page: PageDep) -> Any:
    viewer = _creator(page)
    periods = page.platform.fund.periods()
    statements = {}
    for period in periods:
        if period.closed_at is None:
            continue
        try:
            statements[period.id] = page.platform.fund.statement(period.id, viewer.account_id)
        except NotFound:  # no counted interaction in that period
            continue
    return page.render("fund.html", periods=periods, statements=statements)


@router.get("/creator/experiments")
def experiments(page: PageDep) -> Any:
    """My experiments, each with its report when it has run (difference, 95% CI, CUPED)."""
    viewer = _creator(page)
    rows = []
    for experiment in page.platform.experiments.list(viewer.account_id):
        try:
            report = page.platform.experiments.report(experiment.id, viewer.account_id)
        except Conflict:  # not started yet: nothing to report
            report = None
        rows.append((experiment, report))
    return page.render("experiments.html", rows=rows)
