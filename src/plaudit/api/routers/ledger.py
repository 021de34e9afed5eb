"""The like ledger over HTTP: the C2SP tlog-tiles static API and the v1 proof API.

`/ledger/...` is the log as c2sp.org/tlog-tiles serves it (prefix `<host>/ledger`), so
standard tlog clients and witnesses can mirror it: the checkpoint, hash tiles and entry
bundles, plus the note verifier key. `/v1/ledger/...` serves single entries, RFC 9162
proofs, earlier checkpoints, receipts and accepts witness cosignatures. Handlers are plain
`def` so that their database reads run in the thread pool, not on the event loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from plaudit.api.deps import CurrentAccount, PlatformDep
from plaudit.errors import InvalidInput, NotFound, PayloadTooLarge
from plaudit.ledger.cosignature import parse_cosignature_verifier_key
from plaudit.ledger.errors import OutOfRangeError, TilePathError
from plaudit.ledger.tiles import parse_tile_path

__all__ = ["router"]

router = APIRouter(tags=["ledger"])

OCTETS = "application/octet-stream"
TEXT = "text/plain; charset=utf-8"
# tlog-tiles: tiles and bundles are immutable ("caching headers SHOULD be long-lived"); a
# partial tile may be replaced by its full tile, so it is kept briefly; the checkpoint is
# mutable ("SHOULD prevent caching beyond a few seconds").
IMMUTABLE = "public, max-age=31536000, immutable"
PARTIAL = "public, max-age=60"
MUTABLE = "no-cache"
MAX_NOTE_BYTES = 64 * 1024


@contextmanager
def _translated() -> Iterator[None]:
    """The ledger library's two errors of bad input, as the API's generic not-found and
    invalid-input problems its clients know; any other LedgerError is a PlauditError the
    one problem handler renders (500 ledger-error: the store holds malformed data)."""
    try:
        yield
    except TilePathError as exc:
        raise NotFound(exc.detail) from None
    except OutOfRangeError as exc:
        raise InvalidInput(exc.detail) from None


def _text(body: str, cache: str = MUTABLE) -> Response:
    return Response(body, media_type=TEXT, headers={"Cache-Control": cache})


@router.get("/ledger/checkpoint", summary="The latest signed checkpoint (c2sp.org/tlog-tiles)")
def checkpoint(platform: PlatformDep) -> Response:
    return _text(platform.ledger.checkpoint())


@router.get("/ledger/vkey", summary="The log's public key, in note verifier-key form")
def vkey(platform: PlatformDep) -> Response:
    return _text(platform.ledger.vkey + "\n", "public, max-age=300")


@router.get(
    "/ledger/tile/{tile_path:path}",
    summary="A hash tile tile/<L>/<N>[.p/<W>] or an entry bundle tile/entries/<N>[.p/<W>]",
    response_class=Response,
)
def tile(tile_path: str, platform: PlatformDep) -> Response:
    with _translated():
        ref = parse_tile_path("tile/" + tile_path)
        data = platform.ledger.bundle(ref) if ref.entries else platform.ledger.tile(ref)
    cache = PARTIAL if ref.is_partial else IMMUTABLE
    return Response(data, media_type=OCTETS, headers={"Cache-Control": cache})


@router.get("/v1/ledger/entries/{index}", summary="The bytes of one entry", response_class=Response)
def entry(platform: PlatformDep, index: int = Path(ge=0)) -> Response:
    with _translated():
        data = platform.ledger.entry(index)
    return Response(data, media_type=OCTETS, headers={"Cache-Control": IMMUTABLE})


@router.get(
    "/v1/ledger/proof/inclusion", summary="RFC 9162 inclusion proof of entry `index` at `size`"
)
def inclusion(
    platform: PlatformDep, index: int = Query(ge=0), size: int = Query(ge=1)
) -> dict[str, Any]:
    with _translated():
        proof = platform.ledger.inclusion(index, size)
    return {"index": index, "size": size, "hashes": proof.hashes_b64()}


@router.get(
    "/v1/ledger/proof/consistency", summary="RFC 9162 consistency proof from `old` to `size`"
)
def consistency(
    platform: PlatformDep, old: int = Query(ge=0), size: int = Query(ge=1)
) -> dict[str, Any]:
    with _translated():
        proof = platform.ledger.consistency(old, size)
    return {"old": old, "size": size, "hashes": proof.hashes_b64()}


@router.get("/v1/ledger/checkpoints/{size}", summary="The checkpoint signed at `size`")
def checkpoint_at(platform: PlatformDep, size: int = Path(ge=1)) -> Response:
    return _text(platform.ledger.checkpoint(size), "public, max-age=60")


@router.get(
    "/v1/likes/{like_id}/receipt",
    summary="A like's receipt (c2sp.org/tlog-proof), for the account that made it",
    response_class=Response,
)
def receipt(like_id: int, account_id: CurrentAccount, platform: PlatformDep) -> Response:
    with _translated():
        text = platform.ledger.receipt(like_id, account_id)
    disposition = f'attachment; filename="like-{like_id}.tlog-proof"'
    return Response(
        text.encode(),
        media_type=OCTETS,
        headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"},
    )


@router.post(
    "/v1/ledger/cosignatures",
    summary="Add witness cosignatures (c2sp.org/tlog-cosignature) to one of our checkpoints",
)
async def cosignatures(request: Request, platform: PlatformDep) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_NOTE_BYTES:
        raise PayloadTooLarge(f"a cosigned checkpoint is at most {MAX_NOTE_BYTES} bytes")
    try:
        signed = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the body must be a UTF-8 cosigned checkpoint note") from None
    witnesses = [parse_cosignature_verifier_key(k) for k in platform.settings.witness_keys]
    cosigned = await run_in_threadpool(platform.ledger.add_cosignatures, signed, witnesses)
    return {"size": cosigned.size, "witnesses": cosigned.witnesses, "ignored": cosigned.ignored}
