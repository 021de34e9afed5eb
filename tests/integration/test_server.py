"""End to end over real HTTP: the served API, and eight clients racing on the same videos."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from pathlib import Path

import httpx
from sqlalchemy import func, select

from plaudit.config import Settings
from plaudit.platform import Platform
from plaudit.store import tables
from tests.integration.server import free_port, running_server

CLIENTS = 8
ROUNDS = 60


def _setup(base: str, videos: int) -> tuple[list[int], list[dict[str, str]]]:
    with httpx.Client(base_url=base) as client:
        creator = client.post("/v1/accounts", json={"handle": "creator1", "kind": "creator"}).json()
        auth = {"Authorization": f"Bearer {creator['token']}"}
        ids = [
            client.post(
                "/v1/videos", json={"title": f"v{i}", "category": "music"}, headers=auth
            ).json()["id"]
            for i in range(videos)
        ]
        fans = [
            client.post("/v1/accounts", json={"handle": f"fan{i}"}).json() for i in range(CLIENTS)
        ]
    return ids, [{"Authorization": f"Bearer {fan['token']}"} for fan in fans]


def _race(
    base: str, video_ids: list[int], auth: dict[str, str], seed: int, failures: list[str]
) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, headers=auth, timeout=30) as client:
        for _ in range(ROUNDS):
            video = rng.choice(video_ids)
            if rng.random() < 0.6:
                response = client.post(f"/v1/videos/{video}/likes")
                ok = response.status_code in (200, 201)
            else:
                response = client.delete(f"/v1/videos/{video}/likes")
                ok = response.status_code == 200 or (
                    response.status_code == 409 and response.json()["type"].endswith("not-liked")
                )
            if not ok:
                failures.append(f"{response.status_code} {response.text}")


def test_counters_equal_active_likes_after_concurrent_clients(
    backend_settings: Settings, tmp_path: Path
) -> None:
    with running_server(backend_settings, tmp_path / "server.log") as base:
        video_ids, auths = _setup(base, videos=3)
        failures: list[str] = []
        threads = [
            threading.Thread(target=_race, args=(base, video_ids, auth, i, failures))
            for i, auth in enumerate(auths)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        served = {v: httpx.get(f"{base}/v1/videos/{v}").json()["likes"] for v in video_ids}
    platform = Platform(backend_settings)
    with platform.db.read() as conn:
        active = dict(
            conn.execute(
                select(tables.likes.c.video_id, func.count())
                .where(tables.likes.c.removed_at.is_(None))
                .group_by(tables.likes.c.video_id)
            ).all()
        )
        stored = dict(
            conn.execute(
                select(tables.video_counters.c.video_id, tables.video_counters.c.likes)
            ).all()
        )
        creator_likes = conn.execute(select(tables.creator_counters.c.likes)).scalar_one()
        seqs = [row[0] for row in conn.execute(select(tables.events.c.seq).order_by("seq"))]
    platform.close()
    assert served == stored == {v: active.get(v, 0) for v in video_ids}
    assert creator_likes == sum(stored.values())
    assert seqs == list(range(len(seqs)))
    assert len(seqs) > 0


def test_served_api_answers_with_problems_and_docs(
    backend_settings: Settings, tmp_path: Path
) -> None:
    with running_server(backend_settings, tmp_path / "server.log") as base:
        assert httpx.get(base + "/openapi.json").json()["info"]["title"] == "Plaudit"
        assert httpx.get(base + "/docs").status_code == 200
        refused = httpx.post(base + "/v1/videos/1/likes")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"


def test_a_server_whose_database_cannot_open_stops_with_the_reason(tmp_path: Path) -> None:
    """`plaudit serve` answers its probe before the API is open (plaudit.api.front); when the
    opening fails it must still stop, saying why in one line, as a failed start always did."""
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    command = [sys.executable, "-m", "plaudit", "serve", "--port", str(free_port())]
    command += ["--data-dir", str(tmp_path / "data"), "--database-url", unreachable]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "\nerror: the database is unavailable: connection failed" in done.stderr
    assert "Traceback" not in done.stderr
