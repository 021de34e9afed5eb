"""The ASGI app `plaudit serve` hands to uvicorn: it answers at once while the API loads.

Importing FastAPI, SQLAlchemy, the routers and the console, building the app and applying
migrations take seconds of CPU, several times uvicorn's own start (benchmarks/startup.py).
`DeferredApp` imports none of it: when uvicorn starts the lifespan it replies at once and
builds the real app in a worker thread, then opens it (the app's own lifespan: migrations,
writer, integrator) on the event loop. Until then it answers `GET /healthz` itself, with the
bytes the app's own probe sends, and every other request waits for the app and is then
served by it, unchanged. Once the app is ready every request, the probe included, goes to it.

If building or opening fails, the waiting requests get the error as problem+json, the server
is asked to stop (`on_failure`), and `failure` keeps the error for `plaudit serve` to report.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from plaudit.errors import PlauditError

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["DeferredApp"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger(__name__)

_SWITCH_WHILE_BUILDING_S = 0.0005
_PROBE = b'{"status":"ok"}'  # what the app's `GET /healthz` answers (api/app.py)
_PROBE_HEADERS = [
    (b"content-length", str(len(_PROBE)).encode()),
    (b"content-type", b"application/json"),
]


class DeferredApp:
    """ASGI app: `build()` (run in a worker thread) makes the real app; see the module doc."""

    def __init__(self, build: Callable[[], Starlette]) -> None:
        self._build = build
        self._app: Starlette | None = None
        self._opening: asyncio.Task[Starlette] | None = None
        self._stack = AsyncExitStack()
        self.failure: BaseException | None = None
        self.on_failure: Callable[[], None] = lambda: None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        app = self._app
        if app is None:
            if _is_probe(scope):
                await _answer_probe(send)
                return
            try:
                app = await self._ready()
            except Exception as exc:
                if scope["type"] == "http":
                    await _problem(exc, scope, send)
                return
        await app(scope, receive, send)

    async def _ready(self) -> Starlette:
        if self._opening is None:  # a server that runs no lifespan: open on first request
            self._opening = asyncio.create_task(self._open())
        return await asyncio.shield(self._opening)

    async def _open(self) -> Starlette:
        """Build the app in a thread, then run its lifespan's start (kept open until stop)."""
        switching = sys.getswitchinterval()
        # While the build holds the GIL, the event loop gets it back within 0.5 ms instead
        # of 5: the probe and the socket's setup are not kept waiting behind imports.
        sys.setswitchinterval(min(switching, _SWITCH_WHILE_BUILDING_S))
        try:
            app = await asyncio.to_thread(self._build)
            await self._stack.enter_async_context(app.router.lifespan_context(app))
        except BaseException as exc:
            self.failure = exc
            trace = None if isinstance(exc, PlauditError) else exc  # a Plaudit error says it all
            log.critical("Plaudit could not start: %s", exc, exc_info=trace)
            self.on_failure()
            raise
        finally:
            sys.setswitchinterval(switching)
        self._app = app
        return app

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """The ASGI lifespan protocol: start the opening, reply at once; on shutdown, wait
        for the opening to end and close what it opened."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._opening = asyncio.create_task(self._open())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._opening is not None:
                    await asyncio.gather(self._opening, return_exceptions=True)
                await self._stack.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _is_probe(scope: Scope) -> bool:
    return bool(
        scope["type"] == "http" and scope["path"] == "/healthz" and scope["method"] == "GET"
    )


async def _answer_probe(send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": _PROBE_HEADERS})
    await send({"type": "http.response.body", "body": _PROBE})


async def _problem(exc: BaseException, scope: Scope, send: Send) -> None:
    """The start-up failure as problem+json: a Plaudit error says what to fix."""
    error = (
        exc
        if isinstance(exc, PlauditError)
        else PlauditError("the server could not start; its log says why")
    )
    payload = json.dumps(error.problem(instance=scope["path"])).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
