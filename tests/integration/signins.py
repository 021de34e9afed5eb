"""Where the browser tests get the demo sign-ins: the `demo-signins.txt` that `plaudit demo`
writes with random passwords into the platform's data directory."""

from __future__ import annotations

from pathlib import Path

from plaudit.web import read_demo_signins

__all__ = ["demo_signin"]


def demo_signin(role: str, data_dir: Path) -> tuple[str, str]:
    """(handle, password) of the demo sign-in for `role` (creator, fan, brand, operator) of
    the platform in `data_dir`."""
    for signin in read_demo_signins(data_dir):
        if signin.role == role:
            return signin.handle, signin.password
    raise KeyError(f"no demo sign-in for the role {role!r} in {data_dir}")
