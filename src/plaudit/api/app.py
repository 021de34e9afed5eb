"""The FastAPI application factory: `create_app(settings)` builds a ready app, nothing global."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from plaudit import __version__
from plaudit.api.problems import install_problem_handlers
from plaudit.api.routers import accounts, bulk, ledger, likes, social, videos
from plaudit.config import Settings
from plaudit.platform import Platform

__all__ = ["create_app"]

DESCRIPTION = """Plaudit's open API (开放平台). Every like is real and verifiable.

Writes need `Authorization: Bearer <token>` (from `POST /v1/accounts` or
`plaudit accounts token ID`). Errors are RFC 9457 `application/problem+json` with a stable
`type` per kind of error; see docs/api.md for the hierarchy.
"""


def create_app(settings: Settings, platform: Platform | None = None) -> FastAPI:
    """Build the app; the platform opens (migrations, writer thread) when the app starts."""
    platform = platform or Platform(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        platform.open(writer_thread=True, integrate=True)
        try:
            yield
        finally:
            platform.close()

    app = FastAPI(title="Plaudit", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.platform = platform
    install_problem_handlers(app)
    for module in (videos, likes, social, accounts, bulk, ledger):
        app.include_router(module.router)

    @app.get("/healthz", tags=["operations"], summary="Liveness: does nothing, answers ok")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
