"""C2SP tlog-cosignature, Ed25519 ``cosignature/v1``: witness cosignatures on checkpoints.

A cosignature is a note signature (type byte 0x04) whose key ID is
``SHA-256(name || "\\n" || 0x04 || public key)[:4]`` and whose signature bytes are a
``timestamped_signature``: a big-endian uint64 POSIX timestamp, then an Ed25519 signature
over ``"cosignature/v1\\ntime <timestamp>\\n"`` followed by the whole checkpoint text
(c2sp.org/tlog-cosignature, "Format" and "Ed25519 signed message").

It states that, at that time, this was the largest consistent tree the witness had seen
for the log. The verifier here plugs into :func:`~plaudit.ledger.note.open_note` like a
plain Ed25519 verifier, so a checkpoint's log signature and cosignatures are checked in
one pass. ML-DSA-44 cosignatures (type 0x06) are not supported.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from plaudit.ledger.checkpoint import Checkpoint
from plaudit.ledger.errors import KeyFormatError, NoteError
from plaudit.ledger.keys import (
    ED25519_KEY_SIZE,
    ed25519_public_key,
    key_id,
    sign_ed25519,
    split_verifier_key,
    verify_ed25519,
)
from plaudit.ledger.note import Signature, open_note, signature_for

__all__ = [
    "MAX_TIMESTAMP",
    "SIG_TYPE_COSIGNATURE_V1",
    "CosignatureSigner",
    "CosignatureVerifier",
    "cosign_checkpoint",
    "cosignature_message",
    "cosignature_timestamp",
    "parse_cosignature_verifier_key",
    "verify_cosignature",
]

SIG_TYPE_COSIGNATURE_V1 = 0x04
"""Signature type byte of timestamped Ed25519 cosignatures (signed-note type 0x04)."""

MAX_TIMESTAMP = (1 << 63) - 1
"""Largest timestamp a cosignature may carry (tlog-cosignature: "MUST NOT exceed 2^63 - 1")."""

_SIGNATURE_SIZE = 8 + 64


def cosignature_message(text: bytes, timestamp: int) -> bytes:
    """The bytes a ``cosignature/v1`` signs: header line, time line, checkpoint text."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"cosignature timestamp {timestamp} is not in 0..2^63-1")
    return b"cosignature/v1\ntime %d\n" % timestamp + text


def cosignature_timestamp(signature: Signature) -> int:
    """The timestamp a cosignature line carries (not verified: use after opening)."""
    if len(signature.signature) != _SIGNATURE_SIZE:
        raise NoteError(f"signature by {signature.key_label} is not a cosignature/v1")
    return int.from_bytes(signature.signature[:8], "big")


@dataclass(frozen=True, slots=True)
class CosignatureVerifier:
    """Verifier of one witness's ``cosignature/v1`` signatures."""

    name: str
    public_key: bytes
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        if len(self.public_key) != ED25519_KEY_SIZE:
            raise KeyFormatError(f"Ed25519 public key must be 32 bytes for {self.name!r}")
        ident = key_id(self.name, SIG_TYPE_COSIGNATURE_V1, self.public_key)
        object.__setattr__(self, "key_id", ident)

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is a valid timestamped cosignature of checkpoint ``text``."""
        if len(signature) != _SIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        message = cosignature_message(text, timestamp)
        return verify_ed25519(self.public_key, message, signature[8:])

    @property
    def key_string(self) -> str:
        """The vkey ``<name>+<hex id>+<base64(0x04 || public key)>`` to configure clients."""
        material = base64.b64encode(bytes([SIG_TYPE_COSIGNATURE_V1]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"


@dataclass(frozen=True, slots=True, repr=False)
class CosignatureSigner:
    """A witness's cosigning key. ``clock`` gives the POSIX time when none is passed.

    The spec forbids one Ed25519 key serving two cosigner names (the message does not
    commit to the name), so keep one seed per witness identity.
    """

    name: str
    seed: bytes
    clock: Callable[[], float] = time.time
    public_key: bytes = field(init=False)
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        if len(self.seed) != ED25519_KEY_SIZE:
            raise KeyFormatError(f"Ed25519 seed must be 32 bytes for {self.name!r}")
        public = ed25519_public_key(self.seed)
        object.__setattr__(self, "public_key", public)
        object.__setattr__(self, "key_id", key_id(self.name, SIG_TYPE_COSIGNATURE_V1, public))

    def __repr__(self) -> str:
        return f"CosignatureSigner(name={self.name!r}, key_id={self.key_id.hex()})"

    def sign(self, text: bytes) -> bytes:
        """Timestamped cosignature of ``text`` at the clock's current time."""
        return self.sign_at(text, int(self.clock()))

    def sign_at(self, text: bytes, timestamp: int) -> bytes:
        """Timestamped cosignature of ``text`` at ``timestamp``: uint64 time then Ed25519."""
        message = cosignature_message(text, timestamp)
        return timestamp.to_bytes(8, "big") + sign_ed25519(self.seed, message)

    def verifier(self) -> CosignatureVerifier:
        """The matching verifier."""
        return CosignatureVerifier(self.name, self.public_key)


@dataclass(frozen=True, slots=True)
class _FixedTime:
    """Adapter signing at a given timestamp, so a cosignature goes through ``signature_for``."""

    signer: CosignatureSigner
    timestamp: int

    @property
    def name(self) -> str:
        return self.signer.name

    @property
    def key_id(self) -> bytes:
        return self.signer.key_id

    def sign(self, text: bytes) -> bytes:
        return self.signer.sign_at(text, self.timestamp)


def cosign_checkpoint(
    checkpoint: Checkpoint, signer: CosignatureSigner, timestamp: int | None = None
) -> Signature:
    """The witness's cosignature line for ``checkpoint`` (at ``timestamp`` or the clock)."""
    when = int(signer.clock()) if timestamp is None else timestamp
    return signature_for(checkpoint.text(), _FixedTime(signer, when))


def verify_cosignature(signed: str | bytes, verifier: CosignatureVerifier) -> int:
    """Check ``verifier``'s cosignature on a signed checkpoint; return its timestamp.

    Raises :class:`~plaudit.ledger.errors.NoteError` if the witness did not cosign it or
    the cosignature is invalid. Whether the timestamp is fresh is the caller's policy.
    """
    note = open_note(signed, [verifier])
    return cosignature_timestamp(note.verified[0])


def parse_cosignature_verifier_key(vkey: str) -> CosignatureVerifier:
    """Parse a witness vkey with type 0x04, checking its key ID."""
    name, claimed, sig_type, public_key = split_verifier_key(vkey)
    if sig_type != SIG_TYPE_COSIGNATURE_V1:
        raise KeyFormatError(f"verifier key for {name!r} has type {sig_type:#04x}, not 0x04")
    verifier = CosignatureVerifier(name, public_key)
    if verifier.key_id != claimed:
        raise KeyFormatError(
            f"verifier key for {name!r}: key ID {claimed.hex()} does not match the key "
            f"({verifier.key_id.hex()})"
        )
    return verifier
