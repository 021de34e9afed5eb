"""C2SP signed-note keys: key names, key IDs, Ed25519 signers/verifiers and key strings.

Key strings are the ones the Go ecosystem (golang.org/x/mod/sumdb/note) and C2SP tools
exchange, so a key made here can be configured in any witness or monitor:

* verifier key ``<name>+<hex key ID>+<base64(type || public key)>``
* signer key ``PRIVATE+KEY+<name>+<hex key ID>+<base64(type || Ed25519 seed)>``

The key ID is ``SHA-256(name || 0x0A || type || public key)[:4]`` (signed-note,
"Signatures"). Signers and verifiers are small protocols, so the cosignature type
(:mod:`plaudit.ledger.cosignature`) plugs into the same note machinery.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from plaudit.ledger.errors import KeyFormatError

__all__ = [
    "ED25519_KEY_SIZE",
    "SIG_TYPE_ED25519",
    "Ed25519Signer",
    "Ed25519Verifier",
    "NoteSigner",
    "NoteVerifier",
    "b64decode_canonical",
    "check_key_name",
    "ed25519_public_key",
    "generate_key",
    "key_id",
    "parse_signer_key",
    "parse_verifier_key",
    "sign_ed25519",
    "split_verifier_key",
    "verify_ed25519",
]

SIG_TYPE_ED25519 = 0x01
"""Signature type byte of plain Ed25519 note signatures (signed-note, "Signature types")."""

ED25519_KEY_SIZE = 32
"""Size of an Ed25519 public key and of an Ed25519 private seed (RFC 8032)."""

_SIGNER_PREFIX = "PRIVATE+KEY+"


class NoteVerifier(Protocol):
    """What a note needs to check one key's signatures: its name, key ID and algorithm."""

    @property
    def name(self) -> str:
        """Key name as it appears on signature lines."""
        ...

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID that prefixes each of this key's signatures."""
        ...

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (without key ID) is this key's signature of note ``text``."""
        ...


class NoteSigner(Protocol):
    """What a note needs to add one key's signature."""

    @property
    def name(self) -> str:
        """Key name to put on the signature line."""
        ...

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID to prefix the signature with."""
        ...

    def sign(self, text: bytes) -> bytes:
        """This key's signature (without key ID) of note ``text``."""
        ...


def check_key_name(name: str) -> None:
    """Reject names signed-note forbids: empty, or containing Unicode spaces or ``+``.

    Control characters are refused too, since no signed note may contain them.
    """
    if not name:
        raise KeyFormatError("key name is empty")
    for char in name:
        if char.isspace() or char == "+" or char < " ":
            raise KeyFormatError(f"key name {name!r} contains {char!r}")


def key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """``SHA-256(name || "\\n" || type || public key)[:4]``, the recommended key ID."""
    check_key_name(name)
    material = name.encode() + b"\n" + bytes([sig_type]) + public_key
    return hashlib.sha256(material).digest()[:4]


def b64decode_canonical(text: str) -> bytes | None:
    """Standard padded base64 (RFC 4648 §4) decoded, or None unless ``text`` is canonical.

    Canonical means it re-encodes to the very same string, which rules out stray
    characters, missing padding and non-zero trailing bits: one value, one spelling.
    """
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode() == text else None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def ed25519_public_key(seed: bytes) -> bytes:
    """Raw 32-byte public key of an Ed25519 private seed."""
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign_ed25519(seed: bytes, message: bytes) -> bytes:
    """RFC 8032 Ed25519 signature of ``message`` by the key with private ``seed``."""
    return Ed25519PrivateKey.from_private_bytes(seed).sign(message)


def verify_ed25519(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is a valid RFC 8032 Ed25519 signature of ``message``."""
    if len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Ed25519Verifier:
    """Verifier of plain Ed25519 note signatures (type 0x01) by one named key."""

    name: str
    public_key: bytes
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        if len(self.public_key) != ED25519_KEY_SIZE:
            raise KeyFormatError(f"Ed25519 public key must be 32 bytes for {self.name!r}")
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key)
        except ValueError as exc:
            raise KeyFormatError(f"not an Ed25519 public key for {self.name!r}") from exc
        object.__setattr__(self, "key_id", key_id(self.name, SIG_TYPE_ED25519, self.public_key))

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature over the note text."""
        return verify_ed25519(self.public_key, text, signature)

    @property
    def key_string(self) -> str:
        """The verifier key string, ``<name>+<hex id>+<base64(0x01 || public key)>``."""
        material = _b64(bytes([SIG_TYPE_ED25519]) + self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{material}"


@dataclass(frozen=True, slots=True, repr=False)
class Ed25519Signer:
    """Signer of plain Ed25519 note signatures; ``repr`` never shows the seed."""

    name: str
    seed: bytes
    public_key: bytes = field(init=False)
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        if len(self.seed) != ED25519_KEY_SIZE:
            raise KeyFormatError(f"Ed25519 seed must be 32 bytes for {self.name!r}")
        public = ed25519_public_key(self.seed)
        object.__setattr__(self, "public_key", public)
        object.__setattr__(self, "key_id", key_id(self.name, SIG_TYPE_ED25519, public))

    def __repr__(self) -> str:
        return f"Ed25519Signer(name={self.name!r}, key_id={self.key_id.hex()})"

    @classmethod
    def generate(cls, name: str) -> Ed25519Signer:
        """A new signer with a fresh random seed (from the OS CSPRNG via `cryptography`)."""
        private = Ed25519PrivateKey.generate()
        return cls(name, private.private_bytes_raw())

    def sign(self, text: bytes) -> bytes:
        """Ed25519 signature of the note text (deterministic, RFC 8032)."""
        return sign_ed25519(self.seed, text)

    def verifier(self) -> Ed25519Verifier:
        """The matching verifier."""
        return Ed25519Verifier(self.name, self.public_key)

    @property
    def key_string(self) -> str:
        """The signer key string, ``PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>``."""
        material = _b64(bytes([SIG_TYPE_ED25519]) + self.seed)
        return f"{_SIGNER_PREFIX}{self.name}+{self.key_id.hex()}+{material}"


def split_verifier_key(vkey: str) -> tuple[str, bytes, int, bytes]:
    """``(name, key ID, type byte, public key)`` of a verifier key string of any type.

    Checks the form only (name rules, 8 lowercase hex digits, canonical base64): the type,
    key size and key ID are checked by the caller that knows the algorithm.
    """
    name, _, rest = vkey.partition("+")
    hex_id, _, material = rest.partition("+")
    return _split_key(name, hex_id, material, "verifier")


def _split_key(name: str, hex_id: str, material: str, kind: str) -> tuple[str, bytes, int, bytes]:
    check_key_name(name)
    if len(hex_id) != 8 or hex_id != hex_id.lower() or not _is_hex(hex_id):
        raise KeyFormatError(f"{kind} key for {name!r}: key ID {hex_id!r} is not 8 hex digits")
    raw = b64decode_canonical(material)
    if raw is None or len(raw) < 2:
        raise KeyFormatError(f"{kind} key for {name!r}: key material is not canonical base64")
    return name, bytes.fromhex(hex_id), raw[0], raw[1:]


def _is_hex(text: str) -> bool:
    return all(char in "0123456789abcdef" for char in text)


def _checked_id(name: str, claimed: bytes, sig_type: int, public_key: bytes, kind: str) -> None:
    actual = key_id(name, sig_type, public_key)
    if actual != claimed:
        raise KeyFormatError(
            f"{kind} key for {name!r}: key ID {claimed.hex()} does not match the key "
            f"({actual.hex()})"
        )


def parse_verifier_key(vkey: str) -> Ed25519Verifier:
    """Parse an Ed25519 (type 0x01) verifier key string, checking its key ID."""
    name, claimed, sig_type, public_key = split_verifier_key(vkey)
    if sig_type != SIG_TYPE_ED25519:
        raise KeyFormatError(f"verifier key for {name!r} has type {sig_type:#04x}, not 0x01")
    if len(public_key) != ED25519_KEY_SIZE:
        raise KeyFormatError(f"verifier key for {name!r}: public key is not 32 bytes")
    _checked_id(name, claimed, sig_type, public_key, "verifier")
    return Ed25519Verifier(name, public_key)


def parse_signer_key(skey: str) -> Ed25519Signer:
    """Parse an Ed25519 signer key string, checking its key ID against the derived key."""
    if not skey.startswith(_SIGNER_PREFIX):
        raise KeyFormatError("signer key does not start with 'PRIVATE+KEY+'")
    name, _, rest = skey.removeprefix(_SIGNER_PREFIX).partition("+")
    hex_id, _, material = rest.partition("+")
    name, claimed, sig_type, seed = _split_key(name, hex_id, material, "signer")
    if sig_type != SIG_TYPE_ED25519:
        raise KeyFormatError(f"signer key for {name!r} has type {sig_type:#04x}, not 0x01")
    if len(seed) != ED25519_KEY_SIZE:
        raise KeyFormatError(f"signer key for {name!r}: seed is not 32 bytes")
    signer = Ed25519Signer(name, seed)
    _checked_id(name, claimed, sig_type, signer.public_key, "signer")
    return signer


def generate_key(name: str) -> tuple[str, str]:
    """A fresh Ed25519 key pair as ``(signer key string, verifier key string)``."""
    signer = Ed25519Signer.generate(name)
    return signer.key_string, signer.verifier().key_string
