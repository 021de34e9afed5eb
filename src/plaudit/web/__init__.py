"""The web console (控制台): server-rendered pages in Chinese and English over the domain
services, mounted at `/` beside the API (`/v1`) and the ledger (`/ledger`). docs/console.md."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from plaudit.platform import Platform
from plaudit.web.demo import DEMO_SIGNINS, create_demo_signins
from plaudit.web.signin import SignIns

__all__ = ["DEMO_SIGNINS", "create_demo_signins", "install_console"]

STATIC = Path(__file__).parent / "static"


def install_console(app: FastAPI, platform: Platform) -> None:
    """Add the console's pages and static files (after the API's routes)."""
    from plaudit.web.pages import brand, consent, creator, fan, operator, people, public

    app.state.signins = SignIns(platform.db)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(public.router)
    app.include_router(people.router)
    app.include_router(consent.router)
    app.include_router(fan.router)
    app.include_router(creator.router)
    app.include_router(brand.router)
    app.include_router(operator.router)
