"""The app of one worker process of `plaudit serve --workers N`.

uvicorn starts each worker in a fresh interpreter from an import string, so the parent hands
the settings over as PLAUDIT_* variables (config.py reads them) and each worker builds its own
platform: its own pools and writer thread, one integrator elected among them
(store/leader.py).
"""

from __future__ import annotations

from fastapi import FastAPI

from plaudit.api.app import create_app, frozen_for_serving
from plaudit.config import load_settings

__all__ = ["app_from_environment"]


def app_from_environment() -> FastAPI:
    """uvicorn's factory for a worker: settings from the environment the parent prepared."""
    return frozen_for_serving(create_app(load_settings()))
