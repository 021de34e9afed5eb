"""The FastAPI application factory: `create_app(settings)` builds a ready app, nothing global."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from plaudit import __version__
from plaudit.api.guard import RequestGuard
from plaudit.api.idempotency import IdempotencyMiddleware
from plaudit.api.openapi import install_openapi
from plaudit.api.problems import install_problem_handlers
from plaudit.api.ratelimit import AccountQuota, RateLimitMiddleware
from plaudit.api.routers import accounts, bulk, ledger, likes, social, videos
from plaudit.api.routers import apikeys as apikey_routes
from plaudit.api.routers import campaigns as campaign_routes
from plaudit.api.routers import coupons as coupon_routes
from plaudit.api.routers import creators as creator_routes
from plaudit.api.routers import experiments as experiment_routes
from plaudit.api.routers import fund as fund_routes
from plaudit.api.routers import oauth as oauth_routes
from plaudit.api.routers import organisations as organisation_routes
from plaudit.api.routers import quality as quality_routes
from plaudit.api.routers import recommendations as recommendation_routes
from plaudit.api.routers import segments as segment_routes
from plaudit.api.routers import transparency as transparency_routes
from plaudit.api.routers import verdicts as verdict_routes
from plaudit.api.routers import webhooks as webhook_routes
from plaudit.config import Settings
from plaudit.platform import Platform

__all__ = ["create_app", "frozen_for_serving"]

DESCRIPTION = """Plaudit's open API (开放平台). Every like is real and verifiable.

Writes need `Authorization: Bearer <token>` (from `POST /v1/accounts` or
`plaudit accounts token ID`). Errors are RFC 9457 `application/problem+json` with a stable
`type` per kind of error; see docs/api.md for the hierarchy.
"""


def _start(platform: Platform) -> None:
    """What a server starts: migrations, the writer, the integrator, webhook deliveries."""
    platform.open(writer_thread=True, integrate=True)
    platform.webhooks.start()


def create_app(settings: Settings, platform: Platform | None = None) -> FastAPI:
    """Build the app; the platform opens (migrations, writer thread) when the app starts."""
    platform = platform or Platform(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # in a thread: the event loop keeps answering while migrations run (api/front.py)
        await anyio.to_thread.run_sync(_start, platform)
        try:
            yield
        finally:
            platform.webhooks.stop()
            platform.close()

    app = FastAPI(title="Plaudit", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.platform = platform
    app.state.account_quota = AccountQuota(platform.settings)
    install_problem_handlers(app)

    # Starlette tries routes in order: the no-op probe and the like, the hottest request,
    # come first so that neither pays for matching the hundred routes after them.
    @app.get("/healthz", tags=["operations"], summary="Liveness: does nothing, answers ok")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    fast_like = likes.LIKE_PATH.replace("{video_id}", "{video_id:int}")
    app.router.add_route(fast_like, likes.like_fast_path, ["POST"], include_in_schema=False)
    for module in (likes, videos, social, accounts, bulk, ledger):
        app.include_router(module.router)
    app.include_router(verdict_routes.router)
    app.include_router(creator_routes.router)
    app.include_router(experiment_routes.router)
    app.include_router(segment_routes.router)
    app.include_router(fund_routes.router)
    app.include_router(quality_routes.router)
    app.include_router(recommendation_routes.router)
    for campaign_module in (organisation_routes, campaign_routes, coupon_routes):
        app.include_router(campaign_module.router)
    app.include_router(transparency_routes.router)
    app.include_router(apikey_routes.router)
    app.include_router(webhook_routes.router)
    app.include_router(oauth_routes.router)
    from plaudit.web import install_console  # the console's pages at / (docs/console.md)

    install_console(app, platform)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(RateLimitMiddleware, settings=platform.settings)
    install_openapi(app)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)
    return app


def frozen_for_serving(app: FastAPI) -> FastAPI:
    """`app`, with every object made so far (modules, routes, models: ~180,000) moved out of
    the garbage collector's reach: they live as long as the server, and a full collection
    walked them all every few hundred requests, a third of a like's CPU. For servers only:
    a process that builds many apps (the tests) would never free the frozen ones."""
    gc.freeze()
    return app
