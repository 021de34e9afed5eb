"""Who a campaign may reach: the persona system's segments, behind a two-method interface.

`platform.persona` (plaudit.persona.service.PersonaService) answers both questions from the
tag index in the data directory; accounts that withdrew targeting consent are in no bitmap.
The interface keeps this package from importing the persona package (and NumPy) at import.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Segments"]


class Segments(Protocol):
    def contains(self, expression: str, account_id: int) -> bool:
        """Is the account in the segment (exact, internal: never shown to a brand)?"""
        ...

    def size(self, expression: str) -> int:
        """The segment's exact size (suppressed below privacy_k before a brand sees it)."""
        ...
