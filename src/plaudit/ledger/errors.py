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

Every class says what its caller should do. `LedgerError` is a `PlauditError`, so the one
hierarchy of `plaudit.errors` holds these too, and the API's one problem handler and the
CLI's one error handler render them like any other: a path that names no tile is 404
`not-found`, a size outside the tree 422 `invalid-input` (both as the API's generic types),
anything else that reaches a server 500 (the store holds malformed ledger data); the CLI
prints the detail on one line. Each class has its own problem type. This package never
raises errors from its dependencies (`cryptography`, `binascii`) past its boundary.
"""

from __future__ import annotations

from plaudit.errors import PlauditError

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


class LedgerError(PlauditError):
    """Base of every ledger error: catch this to handle any ledger failure in one place."""

    status = 500
    type = "ledger-error"
    title = "Ledger error"


class OutOfRangeError(LedgerError):
    """An index or tree size lies outside the tree that was asked about.

    The request is the caller's mistake (e.g. an inclusion proof for index >= size):
    answer it as a bad request; retrying the same arguments cannot succeed.
    """

    status = 422
    type = "out-of-range"
    title = "Out of range"


class HashSizeError(LedgerError):
    """A value handed to the tree as a hash is not a 32-byte SHA-256 digest.

    The caller passed entry data where a leaf hash was expected, or storage returned a
    truncated value: hash entries with ``leaf_hash`` first, or repair the store.
    """

    status = 500
    type = "hash-size"
    title = "Not a tree hash"


class ProofError(LedgerError):
    """A Merkle proof failed to verify, or had the wrong shape (RFC 9162 §2.1.3.2, §2.1.4.2).

    Treat the data it was meant to prove as untrusted. If the proof came from a log, either
    the log misbehaved or the client asked about sizes/roots that do not belong together:
    never accept the entry or checkpoint on the strength of this proof.
    """

    status = 500
    type = "proof-invalid"
    title = "Proof does not verify"


class TilePathError(LedgerError):
    """A path is not a valid C2SP tlog-tiles tile or entry-bundle path.

    Answer it as "not found" / bad request; there is no such resource to serve.
    """

    status = 404
    type = "tile-path-invalid"
    title = "Not a tile path"


class TileFormatError(LedgerError):
    """Tile or entry-bundle bytes do not have the size or framing tlog-tiles requires.

    The bytes are corrupt or belong to a different resource: refetch from another mirror or
    report the log as misbehaving; do not compute roots or proofs from them.
    """

    status = 500
    type = "tile-format"
    title = "Malformed tile"


class NoteError(LedgerError):
    """A C2SP signed note is malformed, carries a bad signature, or no trusted signature.

    Reject the note as a whole; its text must be ignored (signed-note: "The text MUST be
    ignored unless the note is signed by a trusted key").
    """

    status = 500
    type = "note-invalid"
    title = "Signed note not valid"


class KeyFormatError(NoteError):
    """A signer or verifier key string is malformed or its key ID does not match.

    This is a configuration mistake: fix the key string where it was configured.
    """

    status = 500
    type = "key-format"
    title = "Malformed key"


class CheckpointError(LedgerError):
    """A checkpoint body breaks C2SP tlog-checkpoint, or is for another origin.

    Reject the checkpoint; do not advance any trusted tree state from it.
    """

    status = 500
    type = "checkpoint-invalid"
    title = "Checkpoint not valid"
