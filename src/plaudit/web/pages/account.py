"""A person's own account: passkeys (WebAuthn: add, list, remove, sign in with one) and
deleting the account.

The passkey ceremonies answer JSON to the page's script (static/passkeys.js), with the
CSRF token in the posted form like every other form; their errors are JSON too, so the page
can show them where the person is looking. Deleting the account calls the same domain
service as `DELETE /v1/me` and `plaudit accounts delete` (crypto-shredding, docs/security.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from plaudit.accounts.erasure import erase_account
from plaudit.errors import InvalidInput, PlauditError
from plaudit.web.pages.people import _home_of, _local
from plaudit.web.render import ConsoleRoute, Page, page_of
from plaudit.web.signin import SESSION_COOKIE, require

__all__ = ["router"]

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PageDep = Annotated[Page, Depends(page_of)]
SESSION_S = 14 * 24 * 3600


async def _as_json(page: Page, answer: Callable[[], Awaitable[Response]]) -> Response:
    """The script's answer, or its error as JSON `{"detail": ...}` with the error's status."""
    try:
        return await answer()
    except PlauditError as error:
        response = JSONResponse({"detail": error.detail}, status_code=error.status)
        page.finish(response)
        return response


def _options(page: Page, text: str) -> Response:
    response = Response(text, media_type="application/json")
    page.finish(response)
    return response


@router.post("/settings/passkeys/options")
async def passkey_options(page: PageDep) -> Response:
    async def answer() -> Response:
        await page.form()
        viewer = require(page.viewer)
        return _options(page, page.passkeys.registration_options(viewer))

    return await _as_json(page, answer)


@router.post("/settings/passkeys")
async def add_passkey(page: PageDep) -> Response:
    async def answer() -> Response:
        fields = await page.form()
        viewer = require(page.viewer)
        passkey_id = page.passkeys.register(
            viewer.account_id, fields.get("credential", ""), fields.get("name", "")
        )
        response = JSONResponse({"id": passkey_id}, status_code=201)
        page.finish(response)
        return response

    return await _as_json(page, answer)


@router.post("/settings/passkeys/{passkey_id}/remove")
async def remove_passkey(passkey_id: int, page: PageDep) -> Any:
    await page.form()
    viewer = require(page.viewer)
    page.passkeys.remove(viewer.account_id, passkey_id)
    return page.redirect("/settings")


@router.post("/signin/passkey/options")
async def signin_options(page: PageDep) -> Response:
    async def answer() -> Response:
        await page.form()
        return _options(page, page.passkeys.signin_options())

    return await _as_json(page, answer)


@router.post("/signin/passkey")
async def signin_with_passkey(page: PageDep) -> Response:
    async def answer() -> Response:
        fields = await page.form()
        client = page.request.client.host if page.request.client else "unknown"
        account_id = page.passkeys.sign_in(fields.get("credential", ""), client)
        session_id = page.signins.open_session(account_id)
        viewer = page.signins.viewer(session_id)
        assert viewer is not None  # the session was opened just now
        response = JSONResponse({"next": _local(fields.get("next"), _home_of(viewer))})
        response.set_cookie(
            SESSION_COOKIE, session_id, max_age=SESSION_S, httponly=True, samesite="lax",
            secure=page.secure, path="/",
        )  # fmt: skip
        page.finish(response)
        return response

    return await _as_json(page, answer)


@router.get("/me/delete")
def delete_form(page: PageDep) -> Any:
    require(page.viewer)
    return page.render("delete_account.html", problem=None)


@router.post("/me/delete")
async def delete_account(page: PageDep) -> Any:
    """Erase the account when the typed handle matches; the session ends with it."""
    fields = await page.form()
    viewer = require(page.viewer)
    typed = fields.get("confirm", "").strip()
    if typed != viewer.handle:
        problem = InvalidInput("the handle you typed is not yours", field="confirm")
        return page.render("delete_account.html", status=422, problem=problem)
    platform = page.platform
    erase_account(
        platform.accounts, platform.db, platform.settings.data_path, viewer.account_id, typed
    )
    page.viewer = None  # the page that says goodbye is a signed-out one
    response = page.render("deleted.html")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
