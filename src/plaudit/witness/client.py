"""The log's side of c2sp.org/tlog-witness: send each new checkpoint to the witnesses.

:class:`WitnessClient` submits the log's latest checkpoint to one witness with a
consistency proof from the size that witness last cosigned. It starts from old size 0 when
it knows nothing; a ``409`` answer carries the witness's size (``text/x.tlog.size``) and
the client retries from there, as the spec suggests. The witness's cosignature lines are
stored through :meth:`LedgerService.add_cosignatures`, which verifies them with the
configured witness key, so they are served with the checkpoint and travel in receipts.

:class:`WitnessPublisher` runs the clients in a background thread of the server.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from plaudit.errors import ConfigError, PlauditError
from plaudit.ledger.checkpoint import parse_checkpoint
from plaudit.ledger.cosignature import CosignatureVerifier, parse_cosignature_verifier_key
from plaudit.ledger.errors import LedgerError
from plaudit.ledger.note import parse_note

if TYPE_CHECKING:
    from plaudit.ledgerstore import LedgerService

__all__ = ["WitnessClient", "WitnessPublisher", "WitnessRefused", "witness_clients"]

log = logging.getLogger(__name__)


class WitnessRefused(LedgerError):
    """A witness refused the log's checkpoint; the log may be forked or the witness broken.

    ``witness_status`` is the witness's HTTP status (0: unreachable). Keep the checkpoint and
    the answer as evidence.
    """

    status = 502
    type = "witness-refused"
    title = "A witness refused the checkpoint"

    def __init__(self, detail: str, witness_status: int = 0, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.witness_status = witness_status


class WitnessClient:
    """Submits one log's checkpoints to one witness at ``url`` (its submission prefix)."""

    def __init__(
        self,
        url: str,
        witness: CosignatureVerifier,
        *,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.witness = witness
        self.cosigned_size: int | None = None
        self._client = client or httpx.Client(timeout=10)

    def close(self) -> None:
        self._client.close()

    def body(self, ledger: LedgerService, old: int, note: str) -> bytes:
        """The add-checkpoint request: old size, consistency proof, blank line, checkpoint."""
        size = parse_checkpoint(parse_note(note).text).size
        proof = ledger.consistency(old, size).hashes_b64() if old else []
        return ("".join(f"{line}\n" for line in [f"old {old}", *proof]) + "\n" + note).encode()

    def submit(self, ledger: LedgerService) -> bool:
        """Send the latest checkpoint if this witness has not cosigned it; True if it did now."""
        note = ledger.checkpoint()
        size = parse_checkpoint(parse_note(note).text).size
        if self.cosigned_size == size:
            return False
        for _attempt in range(2):
            old = self.cosigned_size or 0
            if old > size:
                raise WitnessRefused(
                    f"witness {self.witness.name} cosigned size {old}, above the log's {size}: "
                    "the log rolled back, or the witness follows another log of this name",
                    409,
                )
            response = self._post(self.body(ledger, old, note))
            if response.status_code == 409 and response.headers.get("content-type", "").startswith(
                "text/x.tlog.size"
            ):
                self.cosigned_size = int(response.text.strip())
                continue
            if response.status_code != 200:
                raise WitnessRefused(
                    f"witness {self.witness.name} at {self.url} answered "
                    f"{response.status_code}: {response.text[:300]}",
                    response.status_code,
                )
            ledger.add_cosignatures(note + response.text, [self.witness])
            self.cosigned_size = size
            return True
        return False

    def _post(self, body: bytes) -> httpx.Response:
        try:
            return self._client.post(self.url + "/add-checkpoint", content=body)
        except httpx.HTTPError as exc:
            raise WitnessRefused(f"cannot reach witness {self.url}: {exc}", 0) from None


def witness_clients(witness_keys: Sequence[str], witness_urls: str) -> list[WitnessClient]:
    """Clients for the ``ledger_witness_urls`` setting (``name=URL``, each name configured)."""
    keys = {}
    for text in witness_keys:
        verifier = parse_cosignature_verifier_key(text)
        keys[verifier.name] = verifier
    clients = []
    for item in witness_urls.replace(",", " ").split():
        name, sep, url = item.partition("=")
        if not sep or not url.startswith(("http://", "https://")):
            raise ConfigError(f"ledger_witness_urls: {item!r} is not <witness name>=<http URL>")
        if name not in keys:
            raise ConfigError(
                f"ledger_witness_urls names witness {name!r}, whose key is not in "
                "ledger_witnesses: add its cosignature key there"
            )
        clients.append(WitnessClient(url, keys[name]))
    return clients


class WitnessPublisher:
    """Background thread: every ``interval_s``, give each witness the latest checkpoint."""

    def __init__(
        self, ledger: LedgerService, clients: Sequence[WitnessClient], interval_s: float
    ) -> None:
        self._ledger = ledger
        self._clients = list(clients)
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def publish_once(self) -> int:
        """Submit to every witness now; returns how many cosigned a new checkpoint."""
        done = 0
        for client in self._clients:
            try:
                done += client.submit(self._ledger)
            except (LedgerError, PlauditError) as exc:
                log.warning("witness %s: %s", client.witness.name, exc)
        return done

    def start(self) -> None:
        if self._thread is None and self._clients:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._loop, name="plaudit-witnesses", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        for client in self._clients:
            client.close()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.publish_once()
            except Exception:
                log.exception("sending checkpoints to witnesses failed; retrying")
