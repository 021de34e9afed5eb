"""Pages from Jinja2 templates, one environment per language, and the console's route class.

`ConsoleRoute` turns Plaudit errors raised by a page into an HTML page in the reader's
language (a 401 becomes the sign-in page), so the API's problem+json handlers stay as
they are for /v1.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Coroutine
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape

from plaudit.errors import InvalidInput, PlauditError
from plaudit.platform import Platform
from plaudit.web.i18n import LANG_COOKIE, Formats, choose_locale, translations
from plaudit.web.passkeys import Passkeys
from plaudit.web.signin import SESSION_COOKIE, SignIns, Viewer

__all__ = ["ConsoleRoute", "Page", "page_of"]

TEMPLATES = Path(__file__).parent / "templates"
PRE_CSRF_COOKIE = "plaudit_csrf"
log = logging.getLogger(__name__)


@cache
def environment(locale: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    return env


class Page:
    """What every page knows about its request: platform, language, viewer, CSRF token."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.platform: Platform = request.app.state.platform
        self.signins: SignIns = request.app.state.signins
        self.passkeys: Passkeys = request.app.state.passkeys
        self.locale = choose_locale(
            request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")
        )
        self.fmt = Formats(self.locale)
        self.viewer: Viewer | None = self.signins.viewer(request.cookies.get(SESSION_COOKIE))
        self._pre_csrf = request.cookies.get(PRE_CSRF_COOKIE)
        self._new_pre_csrf: str | None = None

    def gettext(self, message: str) -> str:
        return translations(self.locale).gettext(message)

    @property
    def csrf(self) -> str:
        """The session's token, or before sign-in a random one kept in a cookie."""
        if self.viewer is not None:
            return self.viewer.csrf
        if self._pre_csrf is None:
            self._new_pre_csrf = self._pre_csrf = secrets.token_urlsafe(32)
        return self._pre_csrf

    async def form(self) -> dict[str, str]:
        """The posted form after its CSRF token matched; InvalidInput otherwise."""
        data = await self.request.form()
        fields = {key: value for key, value in data.items() if isinstance(value, str)}
        sent = fields.pop("csrf", "")
        expected = self.viewer.csrf if self.viewer else self.request.cookies.get(PRE_CSRF_COOKIE)
        if not expected or not secrets.compare_digest(sent, expected):
            raise InvalidInput(
                "this form is stale (its security token does not match): reload the page "
                "and send it again",
                field="csrf",
            )
        return fields

    @property
    def secure(self) -> bool:
        return self.request.url.scheme == "https"

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        env = environment(self.locale)
        html = env.get_template(template).render(
            page=self, fmt=self.fmt, utc=ZoneInfo("UTC"), **context
        )
        response = HTMLResponse(html, status_code=status)
        self.finish(response)
        return response

    def redirect(self, to: str) -> RedirectResponse:
        response = RedirectResponse(to, status_code=303)
        self.finish(response)
        return response

    def finish(self, response: Response) -> None:
        """Set the pre-sign-in CSRF cookie when this request made one; never cache pages."""
        if self._new_pre_csrf is not None:
            response.set_cookie(
                PRE_CSRF_COOKIE, self._new_pre_csrf, httponly=True, samesite="lax",
                secure=self.secure, path="/",
            )  # fmt: skip
        response.headers.setdefault("Cache-Control", "no-store")


def page_of(request: Request) -> Page:
    """FastAPI dependency: the Page of this request."""
    return Page(request)


def _error_page(request: Request, error: PlauditError) -> Response:
    page = Page(request)
    if error.status == 401 and request.method == "GET":
        return page.redirect("/signin?next=" + quote(request.url.path, safe="/"))
    return page.render("error.html", status=error.status, error=error)


class ConsoleRoute(APIRoute):
    """A route whose Plaudit errors become an HTML page instead of problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except PlauditError as error:
                return _error_page(request, error)

        return handle
