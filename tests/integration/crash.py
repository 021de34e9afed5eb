"""A `plaudit serve` process that a test can kill -9 and start again on the same store.

`running_server` (server.py) stops the server politely; a crash test needs the opposite: no
shutdown hook runs, whatever the writer or the integrator was doing is cut short, and the next
start must resume from what the database holds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from plaudit.config import Settings
from tests.integration.server import READY_PATHS, free_port

__all__ = ["KillableServer"]

_START_TIMEOUT_S = 30


class KillableServer:
    """One server at a time on `settings`; each start gets a fresh port and its own log.

    `env` adds variables to the server's environment (PLAUDIT_* settings, for instance).
    """

    def __init__(
        self, settings: Settings, log_dir: Path, env: dict[str, str] | None = None
    ) -> None:
        self._settings = settings
        self._log_dir = log_dir
        self._env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self._process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.base = ""

    def _command(self, port: int) -> list[str]:
        command = [sys.executable, "-m", "plaudit", "serve", "--port", str(port)]
        command += ["--data-dir", str(self._settings.data_path)]
        if self._settings.database_url:
            command += ["--database-url", self._settings.database_url]
        return command

    @property
    def log(self) -> Path:
        return self._log_dir / f"server-{self.starts}.log"

    def start(self) -> str:
        """Start the server, wait until /healthz answers, and return its base URL."""
        assert self._process is None, "kill the running server first"
        self.starts += 1
        port = free_port()
        with self.log.open("wb") as out:
            self._process = subprocess.Popen(
                self._command(port), stdout=out, stderr=subprocess.STDOUT, env=self._env
            )
        base = f"http://127.0.0.1:{port}"
        self._wait_ready(base, self._process)
        self.base = base
        return base

    def _wait_ready(self, base: str, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        paths = list(READY_PATHS)  # the probe, then the API behind it (plaudit.api.front)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(
                    f"server exited with {process.returncode}:\n{self.log.read_text()}"
                )
            try:
                if httpx.get(base + paths[0], timeout=_START_TIMEOUT_S).status_code == 200:
                    paths.pop(0)
                    if not paths:
                        return
                    continue
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(
            f"server did not start in {_START_TIMEOUT_S} s:\n{self.log.read_text()}"
        )

    def kill(self) -> None:
        """SIGKILL the server (no shutdown hook runs) and reap it."""
        if self._process is None:
            return
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(timeout=10)
        self._process = None
        self.base = ""
