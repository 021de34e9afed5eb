"""A transparency-log witness (c2sp.org/tlog-witness) and the log's client of witnesses.

* :class:`Witness`: checks that each checkpoint extends the last one it cosigned for that
  log, refuses forks and rollbacks with the spec's status codes, and cosigns
  (c2sp.org/tlog-cosignature); ``plaudit witness serve`` serves it over HTTP.
* :class:`WitnessClient` / :class:`WitnessPublisher`: the log sends its new checkpoints to
  the witnesses of ``ledger_witness_urls`` and stores their cosignatures.
"""

from __future__ import annotations

from plaudit.witness.client import WitnessClient, WitnessPublisher, WitnessRefused
from plaudit.witness.core import Cosigned, Submission, Witness, parse_submission
from plaudit.witness.errors import (
    BadSubmission,
    ForkDetected,
    InconsistentCheckpoint,
    NotSignedByLog,
    SizeMismatch,
    UnknownLog,
)
from plaudit.witness.keystore import load_or_create_witness_key

__all__ = [
    "BadSubmission",
    "Cosigned",
    "ForkDetected",
    "InconsistentCheckpoint",
    "NotSignedByLog",
    "SizeMismatch",
    "Submission",
    "UnknownLog",
    "Witness",
    "WitnessClient",
    "WitnessPublisher",
    "WitnessRefused",
    "load_or_create_witness_key",
    "parse_submission",
]
