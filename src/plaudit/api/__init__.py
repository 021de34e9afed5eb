"""The HTTP API: app factory, thin routers per domain, problem+json errors, auth.

`create_app` is imported on first use: `plaudit serve` starts answering through
`plaudit.api.front` before FastAPI and the routers are imported at all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plaudit.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name != "create_app":
        raise AttributeError(f"module 'plaudit.api' has no attribute {name!r}")
    return importlib.import_module("plaudit.api.app").create_app
