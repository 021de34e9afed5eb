"""A brand's pages (品牌): the segment builder with its private size and insights, the
campaign list, the creation wizard and each campaign's report. Thin over
`platform.persona` and `platform.campaigns`, the services the API's routers call; a brand
sees the count exactly as the persona service answers brands (never an exact one)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from plaudit.campaigns.model import CampaignSpec, validate_spec
from plaudit.errors import (
    CouponAlreadyRedeemed,
    CouponNotFound,
    Forbidden,
    InvalidInput,
    OrganisationNotFound,
    PlauditError,
)
from plaudit.persona.asker import Asker
from plaudit.persona.taxonomy import FAMILIES
from plaudit.web.queries import ConsoleQueries
from plaudit.web.render import ConsoleRoute, Page, page_of
from plaudit.web.signin import Viewer, require

__all__ = ["brand_member", "router"]

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PageDep = Annotated[Page, Depends(page_of)]
EXAMPLE = "city_tier in (1, new1) and age in 25..35 and spend >= 5000 and gender = female"
STEPS = ("task", "audience", "money", "preview")
TASKS = ("coupon", "streak", "donate")


@dataclass(frozen=True)
class Membership:
    id: int
    name: str
    role: str

    @property
    def runs(self) -> bool:
        """Owners and managers start and end campaigns; analysts read."""
        return self.role in ("owner", "manager")


def _brand(page: Page) -> tuple[Viewer, list[Membership]]:
    viewer = require(page.viewer)
    if viewer.kind not in ("brand", "operator"):
        raise Forbidden(f"the brand pages are for brand accounts; you are a {viewer.kind}")
    found = ConsoleQueries(page.platform.db).organisations_of(viewer.account_id)
    return viewer, [Membership(*row) for row in found]


def brand_member(page: Page, organisation_id: int) -> tuple[Viewer, str]:
    """The signed-in brand account and its role in the organisation; 404 for a
    non-member, as the campaigns service answers another organisation's pages."""
    viewer, memberships = _brand(page)
    mine = next((m for m in memberships if m.id == organisation_id), None)
    if mine is None:
        raise OrganisationNotFound(f"organisation {organisation_id} does not exist")
    return viewer, mine.role


def _asker(page: Page, viewer: Viewer) -> Asker | None:
    """Who asks, as the API decides it: operators (every namespace, no budget); a brand for
    its organisation (its names, its budget and the account's own); else the account."""
    if viewer.kind == "operator":
        return None
    organisation = page.platform.campaigns.acting_organisation(viewer.account_id, None)
    if organisation is not None:
        return Asker.organisation(organisation, viewer.account_id)
    return Asker.account(viewer.account_id)


# --- segments ---


def _sized(page: Page, viewer: Viewer, expression: str) -> dict[str, Any]:
    """The count as the persona service answers this caller, or the expression's error with
    its column and fix."""
    if not expression.strip():
        return {"empty": True}
    try:
        return {"count": page.platform.persona.count(expression, _asker(page, viewer))}
    except InvalidInput as error:
        column = error.extensions.get("column")
        if not isinstance(column, int):
            return {"error": error.detail, "column": None}
        return {
            "error": error.detail,
            "column": column,
            "marker": f"{expression}\n{' ' * (column - 1)}^",
            "fixed": _fixed(expression, column, error.detail),
        }


def _fixed(expression: str, column: int, detail: str) -> str | None:
    """The expression with the word at `column` replaced by the error's "did you mean"."""
    suggested = re.search(r"did you mean '([^']+)'\?", detail)
    word = re.match(r"[\w.:]+", expression[column - 1 :])
    if suggested is None or word is None:
        return None
    return expression[: column - 1] + suggested.group(1) + expression[column - 1 + word.end() :]


@router.get("/brand/segments")
def segments(page: PageDep, expression: str = "", insights: str = "") -> Any:
    viewer, memberships = _brand(page)
    sized = _sized(page, viewer, expression)
    figures = None
    if insights and "count" in sized:
        answer = page.platform.persona.insights(expression, _asker(page, viewer))
        figures = _tgi(answer, page.locale)
    saved = page.platform.persona.saved_segments(_asker(page, viewer))
    return page.render(
        "segments.html",
        expression=expression,
        example=EXAMPLE,
        sized=sized,
        figures=figures,
        saved=saved,
        pickers=_pickers(page.locale),
        completion=_completion(),
        memberships=memberships,
    )


@cache
def _completion() -> dict[str, list[tuple[str, str, str]]]:
    """What the expression box completes as the brand types: families and tags, each
    with its zh and en names (matched in either language, whatever the page's)."""
    from plaudit.persona.taxonomy import TAGS

    return {
        "families": [(f.id, f.zh, f.en) for f in FAMILIES],
        "tags": [(t.id, t.zh, t.en) for t in TAGS],
    }


@router.get("/brand/segments/size")
def segment_size(page: PageDep, expression: str = "") -> Any:
    """The size fragment htmx swaps in while the brand types."""
    viewer, _memberships = _brand(page)
    return page.render("_segment_size.html", sized=_sized(page, viewer, expression))


@router.post("/brand/segments/save")
async def save_segment(page: PageDep) -> Any:
    fields = await page.form()
    viewer, _memberships = _brand(page)
    expression = fields.get("expression", "")
    page.platform.persona.save_segment(fields.get("name", ""), expression, _asker(page, viewer))
    return page.redirect("/brand/segments?expression=" + _quote(expression))


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _pickers(locale: str) -> dict[str, list[tuple[str, str]]]:
    """Values the pickers write into the expression, with their names in this language."""
    from plaudit.persona.taxonomy import family_tags

    def of(family: str) -> list[tuple[str, str]]:
        return [(t.id.split(".", 1)[1], getattr(t, locale)) for t in family_tags(family)]

    return {"city_tier": of("city_tier"), "gender": of("gender")}


def _tgi(answer: dict[str, Any], locale: str) -> dict[str, Any]:
    """Per family, tags with a TGI, highest over-indexing first (chart spec and table rows)."""
    names = {f.id: getattr(f, locale) for f in FAMILIES}
    charts = {}
    for family, rows in (answer.get("families") or {}).items():
        shown = sorted(
            (r for r in rows if isinstance(r.get("tgi"), int | float)), key=lambda r: -r["tgi"]
        )[:12]
        if shown:
            charts[names.get(family, family)] = {
                "x": [r[locale] for r in shown],
                "values": [r["tgi"] for r in shown],
                "rows": [(r[locale], r["count"], f"{r['share']:.1%}", r["tgi"]) for r in shown],
            }
    return {"count": answer.get("count"), "charts": charts}


# --- campaigns ---


@router.get("/brand")
def campaigns(page: PageDep) -> Any:
    viewer, memberships = _brand(page)
    rows = [(m, page.platform.campaigns.campaigns_of(viewer.account_id, m.id)) for m in memberships]
    return page.render("brand_campaigns.html", rows=rows, now=datetime.now(UTC))


@router.get("/brand/campaigns/{campaign_id:int}")
def report(campaign_id: int, page: PageDep) -> Any:
    viewer, memberships = _brand(page)
    campaign = page.platform.campaigns.campaign(viewer.account_id, campaign_id)
    found = page.platform.campaigns.report(viewer.account_id, campaign_id)
    runs = any(m.runs and m.id == campaign.organisation_id for m in memberships)
    days = found.days
    chart = {
        "x": [d.day for d in days],
        "values": [d.authentic_likes for d in days],
    }
    rows = [
        (d.day, d.opted_in, d.likes, d.authentic_likes, d.completions, d.redemptions,
         page.fmt.fen(d.spent_fen))
        for d in days
    ]  # fmt: skip
    return page.render(
        "brand_report.html",
        campaign=campaign,
        report=found,
        chart_spec=chart,
        rows=rows,
        runs=runs,
    )


@router.get("/brand/campaigns/{campaign_id:int}/report.csv")
def report_csv(campaign_id: int, page: PageDep) -> Response:
    viewer, _memberships = _brand(page)
    text = page.platform.campaigns.report_csv(viewer.account_id, campaign_id)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="campaign-{campaign_id}.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/brand/campaigns/{campaign_id:int}/end")
async def end(campaign_id: int, page: PageDep) -> Any:
    await page.form()
    viewer, _memberships = _brand(page)
    page.platform.campaigns.end_campaign(viewer.account_id, campaign_id)
    return page.redirect(f"/brand/campaigns/{campaign_id:int}")


# --- the wizard ---


def _yuan(text: str, field: str) -> int:
    """Yuan as typed (up to 2 decimals) to integer fen, never through a float."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidInput(
            f"{field}: write an amount in yuan, like 5 or 12.50", field=field
        ) from None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise InvalidInput(f"{field}: a positive amount with at most 2 decimals", field=field)
    return int(value * 100)


def _spec(fields: dict[str, str], step: int) -> CampaignSpec | None:
    """Check every field up to `step` (InvalidInput names the first bad one); the whole
    spec once the money step is passed."""
    from plaudit.persona.language import parse

    name = fields.get("name", "").strip()
    if not 1 <= len(name) <= 128:
        raise InvalidInput("name: 1 to 128 characters", field="name")
    if fields.get("task") not in TASKS:
        raise InvalidInput("task: choose coupon, streak or donate", field="task")
    if step < 1:
        return None
    parse(fields.get("segment", ""))
    try:
        videos = tuple(int(v) for v in fields.get("video_ids", "").replace(",", " ").split())
    except ValueError:
        raise InvalidInput("videos: video numbers separated by spaces", field="video_ids") from None
    if not videos:
        raise InvalidInput("videos: at least one video number", field="video_ids")
    if step < 2:
        return None
    try:
        days = int(fields.get("days", ""))
    except ValueError:
        raise InvalidInput("days: a whole number of days, 1 to 365", field="days") from None
    if not 1 <= days <= 365:
        raise InvalidInput("days: a whole number of days, 1 to 365", field="days")
    now = datetime.now(UTC).replace(microsecond=0)
    streak = fields.get("task") == "streak"
    streak_days = _streak_days(fields.get("streak_days", ""), days) if streak else None
    spec = CampaignSpec(
        name=name,
        task=fields["task"],
        segment=fields["segment"],
        starts_at=now,
        ends_at=now + timedelta(days=days),
        budget_fen=_yuan(fields.get("budget", ""), "budget"),
        reward_fen=_yuan(fields.get("reward", ""), "reward"),
        video_ids=videos,
        charity=fields.get("charity") or None if fields.get("task") == "donate" else None,
        streak_days=streak_days,
        streak_miss=fields.get("streak_miss") or None if streak else None,
    )
    return validate_spec(spec)


def _streak_days(text: str, days: int) -> int:
    """Days in a row a streak asks for: 2 or more, and no more than the campaign runs."""
    try:
        wanted = int(text)
    except ValueError:
        wanted = 0
    if not 2 <= wanted <= days:
        raise InvalidInput(
            f"streak days: a whole number from 2 to the {days} days the campaign runs",
            field="streak_days",
        )
    return wanted


WIZARD_FIELDS = (
    "name",
    "task",
    "segment",
    "video_ids",
    "days",
    "budget",
    "reward",
    "charity",
    "streak_days",
    "streak_miss",
)


@router.get("/brand/campaigns/new")
def wizard(page: PageDep, segment: str = "") -> Any:
    _viewer, memberships = _brand(page)
    fields = {"task": "coupon", "segment": segment, "days": "7", "streak_days": "5"}
    fields["streak_miss"] = "reset"
    return _wizard_page(page, memberships, fields, 0, None, None)


@router.post("/brand/campaigns/new")
async def wizard_step(page: PageDep) -> Any:
    posted = await page.form()
    viewer, memberships = _brand(page)
    fields = {k: posted.get(k, "") for k in (*WIZARD_FIELDS, "organisation")}
    step = max(0, min(int(posted.get("step", "0") or 0), len(STEPS) - 1))
    if posted.get("back"):
        return _wizard_page(page, memberships, fields, max(0, step - 1), None, None)
    try:
        spec = _spec(fields, step)
    except PlauditError as error:
        return _wizard_page(page, memberships, fields, step, error, None, status=422)
    if step < len(STEPS) - 1:
        nxt = step + 1
        preview = _spec(fields, nxt) if nxt == len(STEPS) - 1 else None
        return _wizard_page(page, memberships, fields, nxt, None, preview)
    assert spec is not None  # the preview step checks everything
    try:
        organisation = int(fields["organisation"])
        campaign = page.platform.campaigns.create_campaign(viewer.account_id, organisation, spec)
    except (ValueError, PlauditError) as error:
        problem = error if isinstance(error, PlauditError) else InvalidInput("organisation")
        return _wizard_page(page, memberships, fields, step, problem, spec, status=422)
    return page.redirect(f"/brand/campaigns/{campaign.id}")


def _wizard_page(
    page: Page,
    memberships: list[Membership],
    fields: dict[str, str],
    step: int,
    problem: PlauditError | None,
    preview: CampaignSpec | None,
    status: int = 200,
) -> Any:
    running = [m for m in memberships if m.runs]
    if not running:
        raise Forbidden("starting a campaign needs the owner or manager role in an organisation")
    return page.render(
        "brand_wizard.html",
        status=status,
        steps=STEPS,
        step=step,
        fields=fields,
        problem=problem,
        preview=preview,
        organisations=running,
        tasks=TASKS,
    )


# --- overlap, lookalike ---

MAX_OVERLAP = 5


@router.get("/brand/segments/overlap")
def overlap(
    page: PageDep, e1: str = "", e2: str = "", e3: str = "", e4: str = "", e5: str = ""
) -> Any:
    """Sizes of 2-5 segments and of each pair's intersection, as the persona service answers."""
    viewer, _memberships = _brand(page)
    given = [e1, e2, e3, e4, e5]
    expressions = [e.strip() for e in given if e.strip()]
    answer, problem = None, None
    if expressions:
        try:
            answer = page.platform.persona.overlap(expressions, _asker(page, viewer))
        except InvalidInput as error:
            problem = error
    figure = None
    if answer is not None:
        labels = [f"#{i + 1}" for i in range(len(expressions))]
        cells = [s["count"] for s in answer["segments"]]
        cells += [p["count"] for p in answer["pairs"]]
        names = labels + [f"{labels[p['a']]} ∩ {labels[p['b']]}" for p in answer["pairs"]]
        figure = {
            "x": names,
            "values": [c if isinstance(c, int) else 0 for c in cells],
            "rows": list(zip(names, cells, strict=True)),
        }
    return page.render("overlap.html", given=given, answer=answer, problem=problem, figure=figure)


@router.post("/brand/segments/lookalike")
async def lookalike(page: PageDep) -> Any:
    """Expand a creator's fans or a segment to a similar audience, saved under a name: the
    brand sees its description, never its members."""
    fields = await page.form()
    viewer, _memberships = _brand(page)
    try:
        size = int(fields.get("size", ""))
    except ValueError:
        raise InvalidInput("size: a whole number of accounts", field="size") from None
    creator = fields.get("creator", "").strip()
    expression = fields.get("expression", "").strip()
    if bool(creator) == bool(expression):
        raise InvalidInput("give the seed as either a creator's number or an expression")
    creator_id = None
    if creator:
        if not creator.isdigit() or page.platform.accounts.get(int(creator)).kind != "creator":
            raise InvalidInput(f"{creator!r} is not a creator's account number", field="creator")
        creator_id = int(creator)
    about = page.platform.persona.lookalike(
        size,
        expression=expression or None,
        creator_id=creator_id,
        asker=_asker(page, viewer),
        save_as=fields.get("name", ""),
    )
    return page.render("lookalike.html", about=about)


# --- shop redemption, organisation ---


@router.get("/brand/redeem")
def redeem_form(page: PageDep) -> Any:
    _brand(page)
    return page.render("redeem.html", answer=None)


@router.post("/brand/redeem")
async def redeem(page: PageDep) -> Any:
    """A shop's staff (owner or manager) redeem a fan's coupon: redeemed, already redeemed
    (with when) or unknown, each a plain answer on the page."""
    fields = await page.form()
    viewer, _memberships = _brand(page)
    code = fields.get("code", "").strip()
    try:
        done = page.platform.campaigns.redeem(viewer.account_id, code)
    except CouponAlreadyRedeemed as error:
        return page.render("redeem.html", answer=("already", error.extensions.get("redeemed_at")))
    except CouponNotFound:
        return page.render("redeem.html", answer=("unknown", None))
    except InvalidInput as error:  # not the shape of a code: say what a code looks like
        return page.render("redeem.html", answer=("malformed", error.detail))
    return page.render("redeem.html", answer=("redeemed", done))


@router.get("/brand/organisations/{organisation_id:int}")
def organisation(organisation_id: int, page: PageDep) -> Any:
    viewer, memberships = _brand(page)
    org = page.platform.campaigns.organisation(viewer.account_id, organisation_id)
    members = page.platform.campaigns.members(viewer.account_id, organisation_id)
    accounts = {m.account_id: page.platform.accounts.get(m.account_id) for m in members}
    mine = next((m for m in memberships if m.id == organisation_id), None)
    return page.render(
        "organisation.html",
        org=org,
        members=members,
        accounts=accounts,
        owner=mine is not None and mine.role == "owner",
    )


@router.post("/brand/organisations/{organisation_id:int}/members")
async def set_member(organisation_id: int, page: PageDep) -> Any:
    """Owners add a brand account by handle, or change a member's role."""
    fields = await page.form()
    viewer, _memberships = _brand(page)
    handle = fields.get("handle", "").strip()
    member = ConsoleQueries(page.platform.db).account_id_of(handle)
    if member is None:
        raise InvalidInput(f"no account has the handle {handle!r}", field="handle")
    page.platform.campaigns.set_member(
        viewer.account_id, organisation_id, member, fields.get("role", "")
    )
    return page.redirect(f"/brand/organisations/{organisation_id}")
