"""Run `plaudit serve` as a real process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from plaudit.config import Settings

__all__ = ["READY_PATHS", "free_port", "running_server"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(settings: Settings, port: int, extra: tuple[str, ...]) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "plaudit",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(settings.data_path),
    ]
    if settings.database_url:
        command += ["--database-url", settings.database_url]
    return command + list(extra)


@contextmanager
def running_server(settings: Settings, log: Path, *extra: str) -> Iterator[str]:
    """Start the server (`extra`: more `plaudit serve` options), wait until /healthz
    answers, yield its base URL, stop it."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            _command(settings, port, extra), stdout=out, stderr=subprocess.STDOUT, env=env
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()  # reaped, so no server outlives its test


# Start-up takes about 2 s on a quiet machine; a loaded 2-core CI host has taken over 30 s.
START_TIMEOUT_S = 90
# The server answers its probe at once and opens the API behind it (plaudit.api.front):
# ready once a request that needs the database is answered too.
READY_PATHS = ("/healthz", "/v1/videos?limit=1")


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    for path in READY_PATHS:
        while not _answers(base + path, process, log):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"server did not start within {START_TIMEOUT_S} s:\n{log.read_text()}"
                )
            time.sleep(0.1)


def _answers(url: str, process: subprocess.Popen[bytes], log: Path) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"server exited with {process.returncode}:\n{log.read_text()}")
    try:
        return httpx.get(url, timeout=START_TIMEOUT_S).status_code == 200
    except httpx.HTTPError:
        return False
