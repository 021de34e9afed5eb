"""Pages of a signed-in person: sign-in, language, settings (API tokens), a fan's likes and
receipts, and a creator's dashboard (创作者中心)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Response

from plaudit.errors import Forbidden, InvalidInput, PlauditError
from plaudit.persona.taxonomy import FAMILIES
from plaudit.web.demo import demo_signins_hint
from plaudit.web.i18n import LANG_COOKIE, LOCALES
from plaudit.web.render import ConsoleRoute, Page, page_of
from plaudit.web.signin import SESSION_COOKIE, Viewer, require

__all__ = ["router"]

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PageDep = Annotated[Page, Depends(page_of)]
YEAR_S = 365 * 24 * 3600


def _local(target: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after a form (no open redirect).

    Browsers read a backslash as a slash (so `/\\evil.example` is another host) and drop tabs
    and newlines from a Location, so a target holding either is refused too."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return default
    return target


def _home_of(viewer: Viewer) -> str:
    homes = {"creator": "/creator", "brand": "/brand", "operator": "/operator/appeals"}
    return homes.get(viewer.kind, "/me/likes")


@router.post("/lang")
async def language(page: PageDep) -> Any:
    fields = await page.form()
    to = fields.get("to", "")
    if to not in LOCALES:
        raise InvalidInput(f"language {to!r} is not one of {', '.join(LOCALES)}", field="to")
    response = page.redirect(_local(fields.get("next")))
    response.set_cookie(
        LANG_COOKIE, to, max_age=YEAR_S, samesite="lax", secure=page.secure, httponly=True
    )
    return response


@router.get("/signin")
def signin_form(page: PageDep, next: str | None = None) -> Any:
    demo = demo_signins_hint(page.platform.settings.data_path, page.request)
    return page.render("signin.html", next=_local(next, ""), problem=None, demo_file=demo)


@router.post("/signin")
async def signin(page: PageDep) -> Any:
    fields = await page.form()
    client = page.request.client.host if page.request.client else "unknown"
    try:
        session_id = page.signins.sign_in(
            fields.get("handle", "").strip(), fields.get("password", ""), client
        )
    except PlauditError as error:
        status = 429 if error.status == 429 else 401
        return page.render("signin.html", status=status, next=fields.get("next"), problem=error)
    viewer = page.signins.viewer(session_id)
    assert viewer is not None  # the session was opened just now
    response = page.redirect(_local(fields.get("next"), _home_of(viewer)))
    response.set_cookie(
        SESSION_COOKIE, session_id, max_age=14 * 24 * 3600, httponly=True, samesite="lax",
        secure=page.secure, path="/",
    )  # fmt: skip
    return response


@router.post("/signout")
async def signout(page: PageDep) -> Any:
    fields = await page.form()
    viewer = require(page.viewer)
    if fields.get("everywhere"):
        page.signins.sign_out_everywhere(viewer.account_id)
    else:
        page.signins.sign_out(page.request.cookies.get(SESSION_COOKIE, ""))
    response = page.redirect("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _settings_page(page: Page, account_id: int, new_token: str | None = None) -> Any:
    return page.render(
        "settings.html",
        tokens=page.signins.tokens(account_id),
        new_token=new_token,
        passkeys=page.passkeys.of(account_id),
        added=page.request.query_params.get("passkey") == "added",
        authorizations=page.platform.oauth.authorizations(account_id),
        withdrawn=page.request.query_params.get("app") == "revoked",
    )


@router.get("/settings")
def settings(page: PageDep) -> Any:
    viewer = require(page.viewer)
    return _settings_page(page, viewer.account_id)


@router.post("/settings/tokens")
async def create_token(page: PageDep) -> Any:
    await page.form()
    viewer = require(page.viewer)
    token = page.platform.accounts.issue_token(viewer.account_id)
    return _settings_page(page, viewer.account_id, new_token=token)


@router.post("/settings/tokens/{token_id}/revoke")
async def revoke_token(token_id: int, page: PageDep) -> Any:
    await page.form()
    viewer = require(page.viewer)
    page.signins.revoke_token(viewer.account_id, token_id)
    return page.redirect("/settings")


@router.post("/settings/apps/{app_id}/revoke")
async def revoke_app_authorization(app_id: int, page: PageDep) -> Any:
    """The person takes back an app's access to their account (the app's developer and the
    app itself can also end it; this is the person's own way)."""
    await page.form()
    viewer = require(page.viewer)
    page.platform.oauth.withdraw(viewer.account_id, app_id)
    return page.redirect("/settings?app=revoked")


@router.get("/me/likes")
def my_likes(page: PageDep) -> Any:
    viewer = require(page.viewer)
    likes = page.platform.interactions.likes_of(viewer.account_id, None, 50)
    videos = {like.video_id: page.platform.videos.get(like.video_id) for like in likes}
    return page.render("my_likes.html", likes=likes, videos=videos)


@router.get("/me/likes/{like_id}/receipt")
def receipt_file(like_id: int, page: PageDep) -> Response:
    viewer = require(page.viewer)
    text = page.platform.ledger.receipt(like_id, viewer.account_id)
    disposition = f'attachment; filename="like-{like_id}.tlog-proof"'
    return Response(
        text.encode(),
        media_type="application/octet-stream",
        headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"},
    )


@router.get("/me/likes/{like_id}/verify")
def verify(like_id: int, page: PageDep) -> Any:
    viewer = require(page.viewer)
    text = page.platform.ledger.receipt(like_id, viewer.account_id)
    return page.render(
        "verify.html",
        like_id=like_id,
        receipt=text,
        vkey=page.platform.ledger.vkey,
        witnesses=page.platform.settings.witness_keys,
    )


@router.get("/creator")
def dashboard(page: PageDep) -> Any:
    viewer = require(page.viewer)
    if viewer.kind != "creator":
        raise Forbidden(f"the creator centre is for creator accounts; you are a {viewer.kind}")
    strategy = page.platform.strategy
    insights = strategy.insights(viewer.account_id)
    window = strategy.last_days(viewer.account_id)  # the last 30 days, ending now
    figures = _figures(insights, page.locale)
    figures["days"] = {
        "x": [d.day.isoformat()[5:] for d in window.per_day],
        "values": [d.authentic for d in window.per_day],
    }
    figures["day_rows"] = [
        (d.day.isoformat(), d.likes, d.authentic, d.revoked) for d in window.per_day
    ]
    return page.render("dashboard.html", insights=insights, window=window, figures=figures)


def _figures(insights: dict[str, Any], locale: str) -> dict[str, Any]:
    """Chart specs (what charts.js draws) and their table rows, from the stored insights."""
    growth = insights.get("growth") or []
    hours = insights.get("active_hours") or []
    families = (insights.get("composition") or {}).get("families") or {}
    names = {f.id: getattr(f, locale) for f in FAMILIES}
    tgi = {}
    for family, tags in families.items():
        shown = [t for t in tags if isinstance(t.get("tgi"), int | float)]  # not suppressed
        if shown:
            tgi[names.get(family, family)] = {
                "x": [t[locale] for t in shown],
                "values": [t["tgi"] for t in shown],
                "rows": [
                    (t[locale], t.get("count"), _share(t.get("share")), t["tgi"]) for t in shown
                ],
            }
    return {
        "growth": {
            "x": [w["week_start"][:10] for w in growth],
            "values": [w["followers"] for w in growth],
        },
        "growth_rows": [
            (w["week_start"][:10], w["follows"], w["unfollows"], w["followers"]) for w in growth
        ],
        "hours": {
            "x": [f"{h['hour']:02d}" for h in hours],
            "y": [""],
            "values": [
                [i, 0, h["fans"] if isinstance(h.get("fans"), int) else 0]
                for i, h in enumerate(hours)
            ],
        },
        "hour_rows": [
            (f"{h['hour']:02d}:00", h.get("fans"), _share(h.get("share"))) for h in hours
        ],
        "tgi": tgi,
    }


def _share(value: object) -> str:
    """A share as a percentage; a suppressed cell (`<k`) as it is."""
    return f"{value:.1%}" if isinstance(value, float) else str(value or "")
