"""The web console (控制台): server-rendered pages in Chinese and English over the domain
services, mounted at `/` beside the API (`/v1`) and the ledger (`/ledger`). docs/console.md."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from plaudit.platform import Platform
from plaudit.web.demo import DEMO_HANDLES, create_demo_signins, read_demo_signins
from plaudit.web.signin import AttemptLimiter, SignIns

__all__ = ["DEMO_HANDLES", "create_demo_signins", "install_console", "read_demo_signins"]

STATIC = Path(__file__).parent / "static"


def install_console(app: FastAPI, platform: Platform) -> None:
    """Add the console's pages and static files (after the API's routes)."""
    from plaudit.web.jobs import Jobs
    from plaudit.web.pages import (
        account,
        brand,
        consent,
        creator,
        fan,
        operations,
        operator,
        organisation_keys,
        oversight,
        people,
        public,
    )
    from plaudit.web.passkeys import Passkeys

    app.state.signins = SignIns(platform.db)
    # its own attempt counter: a refused passkey is no password guess, and must not use up
    # the address's password attempts (nor the other way round)
    app.state.passkeys = Passkeys(platform.db, platform.settings, AttemptLimiter())
    app.state.jobs = Jobs(platform.settings.data_path)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(public.router)
    app.include_router(people.router)
    app.include_router(account.router)
    app.include_router(consent.router)
    app.include_router(fan.router)
    app.include_router(creator.router)
    app.include_router(brand.router)
    app.include_router(operator.router)
    app.include_router(oversight.router)
    app.include_router(operations.router)
    app.include_router(organisation_keys.router)
