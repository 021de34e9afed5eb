"""`plaudit serve --workers N` on PostgreSQL: one integrator among the workers, taken over
within seconds when the process holding it is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from plaudit.config import Settings
from plaudit.store.leader import APPLICATION_NAME
from tests.integration.server import running_server


def _integrators(database_url: str) -> list[int]:
    """The pids of the processes that hold the integrator lock (from application_name)."""
    plain = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE %s "
            "AND datname = current_database()",
            (APPLICATION_NAME + " pid=%",),
        ).fetchall()
    return [int(name.rsplit("=", 1)[1]) for (name,) in rows]


def _account(base: str, handle: str, kind: str = "fan") -> dict[str, str]:
    made = httpx.post(f"{base}/v1/accounts", json={"handle": handle, "kind": kind})
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['token']}"}


def _like_until_receipt(base: str, video: int, handle: str, within_s: float) -> float:
    """Like as a new fan; seconds until its receipt proves it is in the ledger."""
    fan = _account(base, handle)
    like = httpx.post(f"{base}/v1/videos/{video}/likes", headers=fan)
    assert like.status_code == 201, like.text
    started = time.monotonic()
    while (waited := time.monotonic() - started) < within_s:
        receipt = httpx.get(f"{base}/v1/likes/{like.json()['id']}/receipt", headers=fan)
        if receipt.status_code == 200:
            return waited
        assert receipt.status_code == 503, receipt.text
        time.sleep(0.1)
    raise AssertionError(f"no receipt within {within_s} s: nothing integrates the ledger")


def _wait_for_one_integrator(database_url: str, not_pid: int | None = None) -> int:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        holders = _integrators(database_url)
        if len(holders) == 1 and holders[0] != not_pid:
            return holders[0]
        assert len(holders) <= 1, f"several integrators: {holders}"
        time.sleep(0.1)
    raise AssertionError("no integrator was elected within 15 s")


@pytest.mark.postgres
def test_one_integrator_among_workers_and_a_takeover_when_it_dies(
    backend_settings: Settings, tmp_path: Path
) -> None:
    if not backend_settings.database_url:
        pytest.skip("several workers need PostgreSQL")
    url = backend_settings.database_url
    with running_server(backend_settings, tmp_path / "server.log", "--workers", "2") as base:
        creator = _account(base, "maker", "creator")
        made = httpx.post(
            f"{base}/v1/videos", json={"title": "t", "category": "food"}, headers=creator
        )
        video = int(made.json()["id"])
        _like_until_receipt(base, video, "first", within_s=15)
        holder = _wait_for_one_integrator(url)
        os.kill(holder, signal.SIGKILL)
        successor = _wait_for_one_integrator(url, not_pid=holder)
        assert successor != holder
        assert _like_until_receipt(base, video, "second", within_s=15) < 15


def test_several_workers_on_sqlite_are_refused_with_the_fix(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "plaudit", "serve", "--workers", "2", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "needs PostgreSQL" in result.stderr
    assert "--database-url" in result.stderr


@pytest.mark.postgres
def test_workers_share_the_rules_windows_so_a_limit_holds_across_processes(
    backend_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Likes spread over two workers (a new connection each) count in one window: the
    account's limit-th+1 like is refused, where per-process windows would let through up to
    twice the limit."""
    if not backend_settings.database_url:
        pytest.skip("several workers need PostgreSQL")
    limit = 6
    monkeypatch.setenv("PLAUDIT_RULE_ACCOUNT_LIMIT_PER_MIN", str(limit))
    monkeypatch.setenv("PLAUDIT_RULE_ACCOUNT_HOLD_PER_MIN", "3")
    with running_server(backend_settings, tmp_path / "server.log", "--workers", "2") as base:
        creator = _account(base, "maker", "creator")
        videos = [
            httpx.post(
                f"{base}/v1/videos", json={"title": f"t{i}", "category": "food"}, headers=creator
            ).json()["id"]
            for i in range(2 * limit)
        ]
        fan = _account(base, "eager")
        statuses = [
            httpx.post(f"{base}/v1/videos/{video}/likes", headers=fan).status_code
            for video in videos
        ]
    assert statuses == [201] * limit + [429] * limit
