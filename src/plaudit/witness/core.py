"""A c2sp.org/tlog-witness witness: checks each checkpoint extends the last one it cosigned.

For each log it follows (by origin, with the log's verifier keys), the witness keeps only
the latest checkpoint it cosigned. ``add_checkpoint`` implements the spec's request rules
in order ("add-checkpoint"):

1. parse the body: ``old <size>``, at most 63 base64 proof lines, a blank line, the
   signed checkpoint (malformed: 400);
2. the origin must be a followed log (404) and a signature must verify with its key (403);
3. the old size must not exceed the checkpoint size (400) and must equal the size the
   witness last cosigned, or 0 when it never cosigned one (409, body = that size);
4. at equal sizes the roots must match (409: a fork); otherwise the RFC 6962 consistency
   proof from the cosigned root must verify (422);
5. the new checkpoint is persisted, then cosigned (``cosignature/v1``).

Steps 3-5 run under one lock and the state is written before answering, so two requests
racing cannot roll the witness back (the race the spec describes). A fork or a rollback is
therefore never cosigned: that is what lets a quorum of witnesses detect a split view.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from plaudit.ledger.checkpoint import Checkpoint, parse_checkpoint
from plaudit.ledger.cosignature import CosignatureSigner, cosign_checkpoint
from plaudit.ledger.errors import CheckpointError, NoteError, ProofError
from plaudit.ledger.keys import Ed25519Verifier, b64decode_canonical
from plaudit.ledger.merkle import EMPTY_ROOT, HASH_SIZE
from plaudit.ledger.note import open_note, parse_note
from plaudit.ledger.proofs import verify_consistency
from plaudit.witness.errors import (
    BadSubmission,
    ForkDetected,
    InconsistentCheckpoint,
    NotSignedByLog,
    SizeMismatch,
    UnknownLog,
)

__all__ = ["MAX_PROOF_LINES", "Cosigned", "Submission", "Witness", "parse_submission"]

MAX_PROOF_LINES = 63
"""Most consistency proof lines a request may carry (tlog-witness)."""

_MAX_SIZE = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class Submission:
    """A parsed add-checkpoint body: old size, consistency proof, signed checkpoint."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: str


@dataclass(frozen=True, slots=True)
class Cosigned:
    """The state the witness keeps per log: the latest checkpoint it cosigned."""

    size: int
    root_hash: bytes


def _decimal(text: str) -> int | None:
    if text == "0" or (text[:1] in "123456789" and text.isdigit() and text.isascii()):
        value = int(text)
        return value if value <= _MAX_SIZE else None
    return None


def parse_submission(body: bytes) -> Submission:
    """Parse an add-checkpoint request body; any deviation is :class:`BadSubmission`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadSubmission("the request body is not UTF-8") from None
    head, sep, checkpoint = text.partition("\n\n")
    if not sep:
        raise BadSubmission(
            "the body needs the old size line, the proof, a blank line and then the checkpoint"
        )
    lines = head.split("\n")
    first = lines[0]
    if not first.startswith("old "):
        raise BadSubmission(f"the first line must be 'old <size>', got {first[:40]!r}")
    old_size = _decimal(first[4:])
    if old_size is None:
        raise BadSubmission(f"old size {first[4:40]!r} is not a decimal without leading zeros")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise BadSubmission(f"{len(lines) - 1} proof lines, more than {MAX_PROOF_LINES}")
    proof = []
    for line in lines[1:]:
        digest = b64decode_canonical(line)
        if digest is None or len(digest) != HASH_SIZE:
            raise BadSubmission(f"proof line {line[:50]!r} is not base64 of a 32-byte hash")
        proof.append(digest)
    return Submission(old_size, tuple(proof), checkpoint)


class Witness:
    """One witness identity following some logs; its state lives in ``state_path`` (0600)."""

    def __init__(
        self, signer: CosignatureSigner, logs: Iterable[Ed25519Verifier], state_path: Path
    ) -> None:
        self.signer = signer
        self._logs: dict[str, list[Ed25519Verifier]] = {}
        for log in logs:
            self._logs.setdefault(log.name, []).append(log)
        self._state_path = state_path
        self._lock = threading.Lock()
        self._state = self._load()

    @property
    def origins(self) -> tuple[str, ...]:
        """The logs this witness follows."""
        return tuple(sorted(self._logs))

    def latest(self, origin: str) -> Cosigned | None:
        """The latest checkpoint cosigned for ``origin`` (None if none yet)."""
        return self._state.get(origin)

    def add_checkpoint(self, body: bytes) -> str:
        """Check a submission and return the cosignature line(s) to answer with."""
        submission = parse_submission(body)
        checkpoint = self._verified(submission.checkpoint)
        if submission.old_size > checkpoint.size:
            raise BadSubmission(
                f"old size {submission.old_size} is larger than the checkpoint's size "
                f"{checkpoint.size}"
            )
        with self._lock:
            self._check_extends(checkpoint, submission)
            self._state[checkpoint.origin] = Cosigned(checkpoint.size, checkpoint.root_hash)
            self._save()
            return cosign_checkpoint(checkpoint, self.signer).line

    def _verified(self, signed: str) -> Checkpoint:
        text = signed.split("\n", 1)[0]
        keys = self._logs.get(text)
        if keys is None:
            raise UnknownLog(f"this witness does not follow the log {text[:100]!r}")
        try:
            parse_note(signed)
        except NoteError as exc:
            raise BadSubmission(f"the checkpoint is not a signed note: {exc}") from None
        try:
            note = open_note(signed, keys)
        except NoteError as exc:
            raise NotSignedByLog(
                f"the checkpoint is not signed by a key of {text!r}: {exc}"
            ) from None
        try:
            checkpoint = parse_checkpoint(note.text)
        except CheckpointError as exc:
            raise BadSubmission(f"the note is not a checkpoint: {exc}") from None
        if checkpoint.origin != text:  # pragma: no cover - the first line is the origin
            raise UnknownLog(f"this witness does not follow the log {checkpoint.origin!r}")
        return checkpoint

    def _check_extends(self, checkpoint: Checkpoint, submission: Submission) -> None:
        known = self._state.get(checkpoint.origin, Cosigned(0, EMPTY_ROOT))
        if submission.old_size != known.size:
            raise SizeMismatch(
                f"the witness last cosigned {checkpoint.origin!r} at size {known.size}, not "
                f"{submission.old_size}: send a consistency proof from {known.size}",
                size=known.size,
            )
        if checkpoint.size == known.size and checkpoint.root_hash != known.root_hash:
            raise ForkDetected(
                f"{checkpoint.origin!r} at size {checkpoint.size} has another root than the "
                "checkpoint this witness cosigned: the log forked"
            )
        try:
            verify_consistency(
                known.size,
                checkpoint.size,
                known.root_hash,
                checkpoint.root_hash,
                list(submission.proof),
            )
        except ProofError as exc:
            raise InconsistentCheckpoint(
                f"the checkpoint of size {checkpoint.size} is not proven to extend the one "
                f"cosigned at size {known.size}: {exc}"
            ) from None

    def _load(self) -> dict[str, Cosigned]:
        if not self._state_path.exists():
            return {}
        raw = json.loads(self._state_path.read_text(encoding="utf-8"))
        return {
            origin: Cosigned(int(item["size"]), base64.b64decode(item["root"]))
            for origin, item in raw.items()
        }

    def _save(self) -> None:
        """Write the state atomically (temp file, fsync, rename), mode 0600."""
        data = {
            origin: {"size": c.size, "root": base64.b64encode(c.root_hash).decode()}
            for origin, c in sorted(self._state.items())
        }
        partial = self._state_path.with_name(self._state_path.name + ".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, self._state_path)
