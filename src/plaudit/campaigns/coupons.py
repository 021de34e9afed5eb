"""Coupon codes: 100 random bits, shown once, kept only as SHA-256.

20 characters of the RFC 4648 base32 alphabet (5 bits each) in four groups of five, e.g.
`K7QX2-M4NRT-...`. 100 bits make guessing hopeless even for an attacker trying billions of
codes; a stolen database gives only hashes, and a code is never needed again after it is shown.
"""

from __future__ import annotations

import hashlib
import secrets

from plaudit.errors import InvalidInput

__all__ = ["CODE_BITS", "code_hash", "new_code", "normalise_code"]

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_LENGTH = 20
CODE_BITS = _LENGTH * 5


def new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
    return "-".join(raw[i : i + 5] for i in range(0, _LENGTH, 5))


def normalise_code(code: str) -> str:
    """The code without separators, upper case; InvalidInput when it cannot be a coupon code."""
    raw = code.replace("-", "").replace(" ", "").upper()
    if len(raw) != _LENGTH or any(ch not in _ALPHABET for ch in raw):
        raise InvalidInput(
            f"a coupon code has {_LENGTH} letters A-Z and digits 2-7 (dashes optional)",
            field="code",
        )
    return raw


def code_hash(code: str) -> bytes:
    return hashlib.sha256(normalise_code(code).encode()).digest()
