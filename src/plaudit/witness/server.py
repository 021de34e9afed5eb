"""The witness's HTTP interface (c2sp.org/tlog-witness): ``POST /add-checkpoint``.

Errors are RFC 9457 problems with the status the spec requires, except the 409 of a size
mismatch, whose body the spec fixes to the latest cosigned size (``text/x.tlog.size``) so
that any tlog-witness client can retry from it. ``GET /`` tells who the witness is.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from plaudit.api.problems import install_problem_handlers
from plaudit.errors import PayloadTooLarge
from plaudit.witness.core import Witness
from plaudit.witness.errors import SizeMismatch

__all__ = ["MAX_BODY_BYTES", "SIZE_CONTENT_TYPE", "create_witness_app"]

MAX_BODY_BYTES = 64 * 1024
SIZE_CONTENT_TYPE = "text/x.tlog.size"


def create_witness_app(witness: Witness) -> FastAPI:
    """The witness app: one add-checkpoint endpoint and an identity page."""
    app = FastAPI(title="Plaudit witness", docs_url=None, redoc_url=None)
    install_problem_handlers(app)

    @app.exception_handler(SizeMismatch)
    async def size_mismatch(_request: Request, exc: SizeMismatch) -> Response:
        return Response(
            f"{exc.size}\n", status_code=409, headers={"content-type": SIZE_CONTENT_TYPE}
        )

    @app.get("/")
    async def identity() -> JSONResponse:
        return JSONResponse(
            {
                "name": witness.signer.name,
                "vkey": witness.signer.verifier().key_string,
                "logs": list(witness.origins),
            }
        )

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"an add-checkpoint request is at most {MAX_BODY_BYTES} bytes")
        lines = await run_in_threadpool(witness.add_checkpoint, body)
        return Response(lines, media_type="text/plain; charset=utf-8")

    return app
