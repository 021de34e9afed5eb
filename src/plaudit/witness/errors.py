"""Errors of the witness, each with the HTTP status c2sp.org/tlog-witness prescribes.

They are part of the one hierarchy (:class:`plaudit.errors.PlauditError`), so the witness
server renders them as RFC 9457 problems, except :class:`SizeMismatch`, whose body the
spec fixes: the witness's latest cosigned size, as ``text/x.tlog.size``.
"""

from __future__ import annotations

from typing import Any

from plaudit.errors import Conflict, Forbidden, InvalidInput, NotFound, PlauditError

__all__ = [
    "BadSubmission",
    "ForkDetected",
    "InconsistentCheckpoint",
    "NotSignedByLog",
    "SizeMismatch",
    "UnknownLog",
]


class BadSubmission(PlauditError):
    """The add-checkpoint body is malformed, or its old size is above the checkpoint's."""

    status = 400
    type = "bad-submission"
    title = "Malformed add-checkpoint request"


class UnknownLog(NotFound):
    """The witness is not configured for the checkpoint's origin (tlog-witness: 404)."""

    type = "unknown-log"
    title = "The witness does not follow this log"


class NotSignedByLog(Forbidden):
    """No signature on the checkpoint verifies with the log's key (tlog-witness: 403)."""

    type = "not-signed-by-log"
    title = "Checkpoint not signed by the log's key"


class SizeMismatch(Conflict):
    """The old size is not the size the witness last cosigned (tlog-witness: 409).

    ``size`` is the witness's latest cosigned size: the client retries from it.
    """

    type = "witness-size-mismatch"
    title = "Old size is not the witness's latest cosigned size"

    def __init__(self, detail: str, *, size: int | None = None, **extra: Any) -> None:
        super().__init__(detail, **({"size": size} if size is not None else {}), **extra)
        self.size = size


class ForkDetected(Conflict):
    """Same size as the cosigned checkpoint but another root: the log forked (409)."""

    type = "fork-detected"
    title = "Checkpoint conflicts with the one the witness cosigned"


class InconsistentCheckpoint(InvalidInput):
    """The consistency proof does not prove the new tree extends the cosigned one (422)."""

    type = "inconsistent-checkpoint"
    title = "Consistency proof does not verify"
