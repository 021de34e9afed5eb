"""The OAuth 2.0 authorization endpoint (RFC 6749 3.1) as a console page: a signed-in creator
sees which app asks, who made it and what it could do, in their language, and allows or
refuses with a CSRF-protected form (no JavaScript needed). The protocol is `plaudit.oauth`'s.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from aioauth.requests import Request as OAuthRequest
from aioauth.responses import Response as OAuthResponse
from fastapi import APIRouter, Depends

from plaudit.errors import InvalidInput
from plaudit.oauth import CONSENTERS
from plaudit.oauth.server import oauth_request
from plaudit.web.render import ConsoleRoute, Page, page_of
from plaudit.web.signin import require

__all__ = ["router"]

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PageDep = Annotated[Page, Depends(page_of)]
PATH = "/oauth/authorize"
#: The authorization request's parameters, carried from the page to its form.
_CARRIED = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def _request(page: Page, params: dict[str, str]) -> OAuthRequest:
    bad = next((k for k, v in params.items() if not v.isprintable()), None)
    if bad is not None:
        raise InvalidInput(f"{bad} holds a control character; tell the app's developer", field=bad)
    oauth = page.platform.oauth
    return oauth_request(
        "GET",
        str(page.request.url),
        dict(page.request.headers),
        params,
        {},
        oauth.lifetimes,
        oauth.allow_http(page.request.url.hostname or ""),
    )


def _answer(page: Page, answer: OAuthResponse) -> Any:
    """A redirect back to the app (with a code or an error), or, when the request cannot be
    trusted with a redirect (unknown app, unregistered URI), an error page here."""
    location = answer.headers.get("location")
    if location:
        return page.redirect(location)
    content = answer.content or {}
    raise InvalidInput(
        f"the app's request is not valid ({content.get('error', 'invalid_request')}): "
        f"{content.get('description', '')}; tell the app's developer",
        field="client_id",
    )


@router.get(PATH)
async def consent_page(page: PageDep) -> Any:
    params = {k: v for k, v in page.request.query_params.items() if k in _CARRIED}
    if page.viewer is None:
        here = PATH + "?" + page.request.url.query
        return page.redirect("/signin?next=" + quote(here, safe=""))
    request = _request(page, params)
    refusal = await page.platform.oauth.check(request)
    if refusal is not None:
        return _answer(page, refusal)
    consent = page.platform.oauth.consent(params["client_id"])
    assert consent is not None  # check() found the app
    return page.render(
        "consent.html",
        app=consent,
        scopes=sorted(set(params.get("scope", "").split())),
        params=params,
        destination=urlsplit(params.get("redirect_uri", "")).netloc,
        may_consent=page.viewer.kind in CONSENTERS,
    )


@router.post(PATH)
async def consent_decision(page: PageDep) -> Any:
    fields = await page.form()  # checks the CSRF token
    viewer = require(page.viewer)
    params = {k: v for k, v in fields.items() if k in _CARRIED}
    allowed = fields.get("decision") == "allow" and viewer.kind in CONSENTERS
    answer = await page.platform.oauth.authorize(
        _request(page, params), viewer.account_id if allowed else None
    )
    return _answer(page, answer)
