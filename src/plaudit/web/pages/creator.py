"""A creator's working pages beside the dashboard: the engagement plan, the inbox with bulk
approval (each action runs as an `assistant` interaction), revocations on my videos, quality
scores, fund statements, experiments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from plaudit.errors import Conflict, Forbidden, InvalidInput, NotFound
from plaudit.persona.taxonomy import TAGS_BY_ID
from plaudit.web.i18n import Formats
from plaudit.web.render import ConsoleRoute, Page, page_of
from plaudit.web.signin import Viewer, require

__all__ = ["router"]

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PageDep = Annotated[Page, Depends(page_of)]
INBOX_SHOWN = 30
REVOKED_VIDEOS = 20
QUALITY_VIDEOS = 50


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


@router.get("/creator/plan")
def plan(page: PageDep) -> Any:
    """Today's engagement plan as the strategy engine stored it (computed first if none)."""
    viewer = _creator(page)
    stored = page.platform.strategy.plan(viewer.account_id)
    computed = datetime.fromisoformat(stored["computed_at"])
    figures = _plan_figures(stored, page.fmt, page.locale)
    return page.render("plan.html", plan=stored, computed=computed, figures=figures)


def _category(category: str, locale: str) -> str:
    """A video category in the reader's language (the interest tag's name)."""
    tag = TAGS_BY_ID.get(f"interest.{category}")
    return category if tag is None else str(getattr(tag, locale))


def _plan_figures(plan: dict[str, Any], fmt: Formats, locale: str) -> dict[str, Any]:
    """Chart specs and table rows of the plan: best hours and how each category resonates."""
    hours = plan["posting_hours"].get("hours", [])
    resonating = plan["content"]["resonating"]
    return {
        "hours": {
            "x": [f"{h['hour']:02d}:00" for h in hours],
            "values": [round(100 * h["share"], 1) for h in hours],
        },
        "hour_rows": [(f"{h['hour']:02d}:00", fmt.percent(h["share"])) for h in hours],
        "content": {
            "x": [_category(r["category"], locale) for r in resonating],
            "values": [r["index"] or 0 for r in resonating],
        },
        "content_rows": [
            (
                _category(r["category"], locale),
                fmt.number(r["videos"]),
                fmt.number(r["likes_per_video"]),
                r["index"],
            )
            for r in resonating
        ],
    }


@router.get("/creator/quality")
def quality(page: PageDep) -> Any:
    """The quality score of each of my videos (the same public score as the API's)."""
    viewer = _creator(page)
    videos = page.platform.videos.page(None, QUALITY_VIDEOS, creator_id=viewer.account_id)
    scores = page.platform.quality.videos([v.id for v in videos])
    rows = sorted(zip(videos, scores, strict=True), key=lambda pair: -(pair[1].score or 0))
    spec = {
        "x": [_short(video.title) for video, _score in rows],
        "values": [score.score or 0 for _video, score in rows],
    }
    chart_rows = [(video.title, page.fmt.number(score.score or 0)) for video, score in rows]
    return page.render("quality.html", rows=rows, spec=spec, chart_rows=chart_rows)


def _short(title: str, most: int = 14) -> str:
    return title if len(title) <= most else title[: most - 1] + "…"
