"""Who a campaign may reach: the persona system's segments, behind a two-method interface.

`platform.persona` (plaudit.persona.service.PersonaService) answers both questions from the
tag index in the data directory; accounts that withdrew targeting consent are in no bitmap.
The interface keeps this package from importing the persona package (and NumPy) at import.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Segments"]


class Segments(Protocol):
    """Segments resolve `segment:` names in the campaign's organisation's namespace
    (`org:<id>`) only; the eligible audience a brand sees is differentially private."""

    def validate(self, expression: str, namespace: str | None) -> None:
        """Raise the precise error the expression gives in the namespace (syntax, saved
        references, their bounds)."""
        ...

    def member(self, expression: str, account_id: int, namespace: str | None = None) -> bool:
        """Is the account in the segment (exact, internal: never shown to a brand)? Served
        from a bitmap kept per index version."""
        ...

    def eligible(self, expression: str, organisation_id: int, account_id: int | None) -> int | str:
        """The segment's size as the organisation may see it: noisy, rounded, "<k" below k,
        charged to the organisation's (and the account's) privacy budget."""
        ...
