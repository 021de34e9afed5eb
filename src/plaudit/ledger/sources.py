"""Where a verifier or an auditor reads a log from: its tile API over HTTP, or the local store.

Both speak only what c2sp.org/tlog-tiles publishes (checkpoint, hash tiles, entry bundles),
so a verification through :class:`StoreLog` checks exactly what the server would serve.
Fetch failures are :class:`LogUnavailable`, never an `httpx` or storage error.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

from plaudit.errors import NotFound, PlauditError
from plaudit.ledger.errors import LedgerError
from plaudit.ledger.merkle import HASH_SIZE
from plaudit.ledger.tiles import TILE_WIDTH, TileRef, decode_entry_bundle, encode_entry_bundle

if TYPE_CHECKING:
    import httpx

    from plaudit.ledgerstore.service import LedgerService

__all__ = ["HttpLog", "LogSource", "LogUnavailable", "NotServed", "StoreLog"]


class LogUnavailable(LedgerError):
    """The log could not be read (network error, HTTP error status, missing resource).

    Nothing was verified: fix the URL or the connection and run the verification again.
    """

    status = 500
    type = "log-unavailable"
    title = "Log unavailable"


class NotServed(LogUnavailable):
    """The server answered 404: it does not serve this resource (a log may replace a partial
    tile by its full tile; a video may not exist)."""

    type = "log-resource-not-served"
    title = "Not served by the log"


class LogSource(Protocol):
    """The three reads a tlog-tiles client needs."""

    def checkpoint(self) -> str:
        """The latest signed checkpoint note, with any cosignature lines."""
        ...

    def fetch(self, refs: Iterable[TileRef]) -> Iterator[bytes]:
        """The bytes of each tile or entry bundle, in order (fetched ahead when it can)."""
        ...


def _full(ref: TileRef) -> TileRef:
    return TileRef(ref.level, ref.index, TILE_WIDTH, ref.entries)


class HttpLog:
    """A log served at `base_url` (`<base_url>/ledger/...`), read with httpx.

    Tiles are fetched `workers` at a time, in order. A missing partial tile is fetched as
    the full tile instead, which tlog-tiles allows a log to serve in its place.
    """

    def __init__(
        self,
        base_url: str,
        *,
        prefix: str = "/ledger",
        workers: int = 8,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        try:
            import httpx
        except ImportError:  # pragma: no cover - httpx ships with the dev and server installs
            raise LogUnavailable(
                "verifying a log over HTTP needs httpx: pip install httpx"
            ) from None
        self.base_url = base_url.rstrip("/")
        self._prefix = prefix
        self._httpx = httpx
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=30,
            headers={"Accept-Encoding": "gzip, identity"},
            transport=transport,
        )
        self._workers = workers

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, **params: Any) -> Any:
        """GET `path` (relative to base_url); a non-2xx answer is LogUnavailable."""
        url = self.base_url + path
        try:
            response = self._client.get(path, params=params or None)
        except self._httpx.HTTPError as exc:
            raise LogUnavailable(f"cannot fetch {url}: {exc}") from None
        if response.status_code == 404:
            raise NotServed(f"{url} answered 404 Not Found")
        if not response.is_success:
            raise LogUnavailable(f"{url} answered {response.status_code}: {response.text[:200]}")
        return response

    def checkpoint(self) -> str:
        text: str = self.get(self._prefix + "/checkpoint").text
        return text

    def vkey(self) -> str:
        """The key the server says it signs with: trust on first use, never a proof."""
        text: str = self.get(self._prefix + "/vkey").text
        return text.strip()

    def _tile(self, ref: TileRef) -> bytes:
        url = f"{self.base_url}{self._prefix}/{ref.path}"
        try:
            data: bytes = self.get(f"{self._prefix}/{ref.path}").content
        except NotServed:
            if not ref.is_partial:
                raise LogUnavailable(f"{url} is not served (404)") from None
            try:
                data = self.get(f"{self._prefix}/{_full(ref).path}").content
            except NotServed:
                raise LogUnavailable(f"{url} is not served (404), nor its full tile") from None
            if ref.entries:  # the first `width` entries of the full bundle
                return encode_entry_bundle(decode_entry_bundle(data)[: ref.width])
            data = data[: ref.width * HASH_SIZE]
        return data

    def fetch(self, refs: Iterable[TileRef]) -> Iterator[bytes]:
        # A bounded window of requests in flight: Executor.map would queue a whole log.
        with ThreadPoolExecutor(self._workers) as pool:
            window: deque[Future[bytes]] = deque()
            for ref in refs:
                window.append(pool.submit(self._tile, ref))
                if len(window) >= 2 * self._workers:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()


class StoreLog:
    """The log in the local store, read through the same service the tile API uses."""

    def __init__(self, ledger: LedgerService) -> None:
        self._ledger = ledger

    def checkpoint(self) -> str:
        try:
            return self._ledger.checkpoint()
        except PlauditError as exc:
            raise LogUnavailable(exc.detail) from None

    def fetch(self, refs: Iterable[TileRef]) -> Iterator[bytes]:
        for ref in refs:
            try:
                yield self._ledger.bundle(ref) if ref.entries else self._ledger.tile(ref)
            except NotFound as exc:
                raise LogUnavailable(exc.detail) from None
