"""Per-account ledger secrets: made with the account, read by the integrator and receipts."""

from __future__ import annotations

import os

__all__ = ["new_secret"]


def new_secret() -> bytes:
    """256 random bits: the key every commitment opening of the account is derived from."""
    return os.urandom(32)
