"""Where the browser tests get the demo sign-ins: one place, so that the way they are made
(fixed in `plaudit.web.DEMO_SIGNINS` today) can change without touching the tests."""

from __future__ import annotations

from pathlib import Path

from plaudit.web import DEMO_SIGNINS

__all__ = ["demo_signin"]


def demo_signin(role: str, data_dir: Path) -> tuple[str, str]:
    """(handle, password) of the demo sign-in for `role` (creator, fan, brand, operator) of
    the platform in `data_dir`."""
    del data_dir  # the demo passwords do not depend on the data directory yet
    for signin in DEMO_SIGNINS:
        if signin.role == role:
            return signin.handle, signin.password
    raise KeyError(f"no demo sign-in for the role {role!r}")
