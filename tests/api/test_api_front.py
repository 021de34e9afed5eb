"""`DeferredApp`, what `plaudit serve` runs: the probe answers while the API is still being
built, every other request waits for the API and gets its answer, a failed start is reported
to the waiting requests and stops the server, and the API's lifespan runs once, in full."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from plaudit.api import create_app
from plaudit.api.front import DeferredApp
from plaudit.config import load_settings
from plaudit.errors import ConfigError


def _toy_app(events: list[str]) -> Starlette:
    async def probe(_: Request) -> PlainTextResponse:
        return PlainTextResponse("the app's probe")

    async def hello(_: Request) -> PlainTextResponse:
        return PlainTextResponse("hello from the app")

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        events.append("opened")
        yield
        events.append("closed")

    routes = [Route("/healthz", probe), Route("/hello", hello)]
    return Starlette(routes=routes, lifespan=lifespan)


async def _get(app: DeferredApp, path: str) -> tuple[int, dict[str, str], bytes]:
    """One GET through the ASGI interface: (status, headers, body)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    await app(scope, receive, send)  # type: ignore[arg-type]
    headers = {k.decode(): v.decode() for k, v in sent[0].get("headers", [])}
    return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


class _Lifespan:
    """Drives the ASGI lifespan protocol of an app as uvicorn does."""

    def __init__(self, app: DeferredApp) -> None:
        self._inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self.replies: asyncio.Queue[dict[str, str]] = asyncio.Queue()

        async def receive() -> dict[str, str]:
            return await self._inbox.get()

        async def send(message: dict[str, str]) -> None:
            await self.replies.put(message)

        self._task = asyncio.create_task(app({"type": "lifespan"}, receive, send))  # type: ignore[arg-type]

    async def start(self) -> str:
        await self._inbox.put({"type": "lifespan.startup"})
        return (await self.replies.get())["type"]

    async def stop(self) -> str:
        await self._inbox.put({"type": "lifespan.shutdown"})
        reply = (await self.replies.get())["type"]
        await self._task
        return reply


def test_the_probe_answers_while_the_app_is_built_and_other_requests_wait_for_it() -> None:
    events: list[str] = []
    release = threading.Event()

    def build() -> Starlette:
        release.wait(timeout=30)
        return _toy_app(events)

    async def scenario() -> None:
        front = DeferredApp(build)
        lifespan = _Lifespan(front)
        assert await lifespan.start() == "lifespan.startup.complete"  # before the build
        status, headers, body = await _get(front, "/healthz")
        assert (status, body) == (200, b'{"status":"ok"}')
        assert headers["content-type"] == "application/json"
        waiting = asyncio.create_task(_get(front, "/hello"))
        await asyncio.sleep(0.05)
        assert not waiting.done()  # it waits for the app
        assert events == []
        release.set()
        status, _, body = await waiting
        assert (status, body) == (200, b"hello from the app")
        assert events == ["opened"]
        assert (await _get(front, "/healthz"))[2] == b"the app's probe"  # now the app's
        assert await lifespan.stop() == "lifespan.shutdown.complete"
        assert events == ["opened", "closed"]

    asyncio.run(scenario())


def test_a_failed_start_answers_the_waiting_requests_with_its_problem_and_stops() -> None:
    stopped: list[bool] = []

    def build() -> Starlette:
        raise ConfigError("rules_counter_store = postgres needs a PostgreSQL database")

    async def scenario() -> None:
        front = DeferredApp(build)
        front.on_failure = lambda: stopped.append(True)
        lifespan = _Lifespan(front)
        await lifespan.start()
        status, headers, body = await _get(front, "/v1/videos")
        assert status == 500
        assert headers["content-type"] == "application/problem+json"
        problem = json.loads(body)
        assert problem["type"].endswith("/config-error")
        assert "needs a PostgreSQL database" in problem["detail"]
        assert problem["instance"] == "/v1/videos"
        assert stopped == [True]
        assert isinstance(front.failure, ConfigError)
        assert await lifespan.stop() == "lifespan.shutdown.complete"

    asyncio.run(scenario())


def test_the_fronts_probe_is_byte_for_byte_the_apps_own(tmp_path: Path) -> None:
    settings = load_settings(flags={"data_dir": str(tmp_path)}, env={})

    async def before_the_app() -> tuple[int, dict[str, str], bytes]:
        return await _get(DeferredApp(lambda: create_app(settings)), "/healthz")

    status, headers, body = asyncio.run(before_the_app())
    with TestClient(create_app(settings)) as client:
        own = client.get("/healthz")
    assert (status, body) == (own.status_code, own.content)
    assert headers == dict(own.headers)
