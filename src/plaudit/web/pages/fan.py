"""A fan's own pages: tasks (互动任务) to opt in to, rewards, privacy (consents and export)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from plaudit.subjects import export_data
from plaudit.web.queries import ConsoleQueries
from plaudit.web.render import ConsoleRoute, Page, page_of
from plaudit.web.signin import require

__all__ = ["router"]

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PageDep = Annotated[Page, Depends(page_of)]
CONSENTS = ("consent_personalisation", "consent_targeting")


@router.get("/me/tasks")
def tasks(page: PageDep) -> Any:
    viewer = require(page.viewer)
    found = page.platform.campaigns.tasks_for(viewer.account_id)
    return page.render("my_tasks.html", tasks=found)


@router.post("/me/tasks/{campaign_id}/join")
async def join(campaign_id: int, page: PageDep) -> Any:
    await page.form()
    viewer = require(page.viewer)
    page.platform.campaigns.opt_in(viewer.account_id, campaign_id)
    return page.redirect("/me/tasks")


@router.get("/me/rewards")
def rewards(page: PageDep) -> Any:
    viewer = require(page.viewer)
    found = page.platform.campaigns.rewards_of(viewer.account_id)
    return page.render("my_rewards.html", rewards=found, revealed=None)


@router.post("/me/rewards/{reward_id}/reveal")
async def reveal(reward_id: int, page: PageDep) -> Any:
    await page.form()
    viewer = require(page.viewer)
    code = page.platform.campaigns.reveal_coupon(viewer.account_id, reward_id)
    found = page.platform.campaigns.rewards_of(viewer.account_id)
    return page.render("my_rewards.html", rewards=found, revealed=(reward_id, code))


@router.get("/me/revoked")
def revoked(page: PageDep) -> Any:
    viewer = require(page.viewer)
    rows = ConsoleQueries(page.platform.db).revoked_likes(viewer.account_id)
    verdicts = {
        r["verdict_id"]: page.platform.authenticity.verdict(r["verdict_id"], viewer.account_id)
        for r in rows
    }
    return page.render("my_revoked.html", rows=rows, verdicts=verdicts)


@router.post("/me/revoked/{verdict_id}/appeal")
async def appeal(verdict_id: int, page: PageDep) -> Any:
    fields = await page.form()
    viewer = require(page.viewer)
    page.platform.authenticity.appeal(verdict_id, viewer.account_id, fields.get("reason", ""))
    return page.redirect("/me/revoked")


@router.get("/me/privacy")
def privacy(page: PageDep) -> Any:
    viewer = require(page.viewer)
    profile = page.platform.accounts.get_profile(viewer.account_id)
    return page.render("privacy.html", profile=profile, saved=False)


@router.post("/me/privacy")
async def save_privacy(page: PageDep) -> Any:
    fields = await page.form()
    viewer = require(page.viewer)
    values = {name: fields.get(name) == "on" for name in CONSENTS}
    profile = page.platform.accounts.update_profile(viewer.account_id, values)
    return page.render("privacy.html", profile=profile, saved=True)


@router.get("/me/export.json")
def export(page: PageDep) -> Response:
    """Everything the platform keeps about me that the services can tell, as JSON (the
    export is recorded for the transparency report, without saying whose)."""
    viewer = require(page.viewer)
    document = export_data(page.platform, viewer.account_id, "console")
    body = json.dumps(document, ensure_ascii=False, indent=1)
    disposition = f'attachment; filename="plaudit-{viewer.handle}.json"'
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"},
    )
