"""Errors raised by the like ledger's cryptographic core.

The hierarchy, drawn once::

    LedgerError
    ├── OutOfRangeError    a proof or root was asked for outside the tree
    ├── HashSizeError      a value given as a tree hash is not 32 bytes
    ├── ProofError         an inclusion or consistency proof does not verify
    ├── TilePathError      a tile or entry-bundle path is not valid tlog-tiles
    ├── TileFormatError    tile or entry-bundle bytes are malformed
    ├── NoteError          a signed note is malformed or not trusted
    │   └── KeyFormatError a signer or verifier key string is malformed
    └── CheckpointError    a checkpoint body is malformed or not the one expected

Every class says what its caller should do. A later layer maps them to HTTP problems;
this package only raises them, and never raises errors from its dependencies
(`cryptography`, `binascii`) past its boundary.
"""

from __future__ import annotations

__all__ = [
    "CheckpointError",
    "HashSizeError",
    "KeyFormatError",
    "LedgerError",
    "NoteError",
    "OutOfRangeError",
    "ProofError",
    "TileFormatError",
    "TilePathError",
]


class LedgerError(Exception):
    """Base of every ledger error: catch this to handle any ledger failure in one place."""


class OutOfRangeError(LedgerError):
    """An index or tree size lies outside the tree that was asked about.

    The request is the caller's mistake (e.g. an inclusion proof for index >= size):
    answer it as a bad request; retrying the same arguments cannot succeed.
    """


class HashSizeError(LedgerError):
    """A value handed to the tree as a hash is not a 32-byte SHA-256 digest.

    The caller passed entry data where a leaf hash was expected, or storage returned a
    truncated value: hash entries with ``leaf_hash`` first, or repair the store.
    """


class ProofError(LedgerError):
    """A Merkle proof failed to verify, or had the wrong shape (RFC 9162 §2.1.3.2, §2.1.4.2).

    Treat the data it was meant to prove as untrusted. If the proof came from a log, either
    the log misbehaved or the client asked about sizes/roots that do not belong together:
    never accept the entry or checkpoint on the strength of this proof.
    """


class TilePathError(LedgerError):
    """A path is not a valid C2SP tlog-tiles tile or entry-bundle path.

    Answer it as "not found" / bad request; there is no such resource to serve.
    """


class TileFormatError(LedgerError):
    """Tile or entry-bundle bytes do not have the size or framing tlog-tiles requires.

    The bytes are corrupt or belong to a different resource: refetch from another mirror or
    report the log as misbehaving; do not compute roots or proofs from them.
    """


class NoteError(LedgerError):
    """A C2SP signed note is malformed, carries a bad signature, or no trusted signature.

    Reject the note as a whole; its text must be ignored (signed-note: "The text MUST be
    ignored unless the note is signed by a trusted key").
    """


class KeyFormatError(NoteError):
    """A signer or verifier key string is malformed or its key ID does not match.

    This is a configuration mistake: fix the key string where it was configured.
    """


class CheckpointError(LedgerError):
    """A checkpoint body breaks C2SP tlog-checkpoint, or is for another origin.

    Reject the checkpoint; do not advance any trusted tree state from it.
    """
