"""Build one of the Go interop tools from Debian's Go packages (no module downloads)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["build_go_tool"]

HERE = Path(__file__).resolve().parent
GOPATH = Path("/usr/share/gocode")


def build_go_tool(name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`tests/interop/<name>` built with GOPATH mode; skips (fails in CI) without Go."""
    if shutil.which("go") is None or not (GOPATH / "src/golang.org/x/mod/sumdb/note").exists():
        if os.environ.get("PLAUDIT_REQUIRE_GO") == "1":
            pytest.fail("PLAUDIT_REQUIRE_GO=1 but Go or golang-golang-x-mod-dev is missing")
        pytest.skip("Go interop needs: apt-get install golang-go golang-golang-x-mod-dev")
    out = tmp_path_factory.mktemp("go") / name
    env = {
        **os.environ,
        "GOPATH": str(GOPATH),
        "GO111MODULE": "off",
        "GOCACHE": str(out.parent / "cache"),
        "GOFLAGS": "",
    }
    subprocess.run(
        ["go", "build", "-o", str(out), "."],
        cwd=HERE / name,
        env=env,
        check=True,
        capture_output=True,
    )
    return out
