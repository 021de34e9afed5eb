"""Opaque cursors: clients pass back what they were given and never build one themselves."""

from __future__ import annotations

import base64
import binascii

from plaudit.errors import InvalidInput
from plaudit.store.types import MAX_ID

__all__ = ["decode_cursor", "encode_cursor"]

_PREFIX = "c1:"


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id a cursor stands for; a cursor that was not made here is refused precisely."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(_PREFIX):
            raise ValueError
        value = int(text[len(_PREFIX) :])
        if not 0 <= value <= MAX_ID:  # a forged cursor must not reach SQL
            raise ValueError
        return value
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(
            "cursor is not valid: pass the next_cursor of a previous page unchanged",
            field="cursor",
        ) from None
