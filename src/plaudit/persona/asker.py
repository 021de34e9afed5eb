"""Who asks an audience question, in a module of its own: routers name the asker at import
time, and importing it must not load the index's NumPy stack (tests/api/test_api_lazy_imports.py).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Asker"]


@dataclass(frozen=True)
class Asker:
    """Who asks an audience question: the namespace their `segment:` names resolve in
    (None: the operators', which lists every namespace) and the budgets the question is
    charged to (none for operators and internal callers)."""

    namespace: str | None = None
    principals: tuple[str, ...] = ()

    @classmethod
    def organisation(cls, organisation_id: int, account_id: int | None = None) -> Asker:
        """A brand acting for its organisation: the organisation's names and budget, and
        the account's own budget too (so one account gains nothing from many organisations)."""
        extra = () if account_id is None else (f"account:{account_id}",)
        return cls(f"org:{organisation_id}", (f"org:{organisation_id}", *extra))

    @classmethod
    def account(cls, account_id: int) -> Asker:
        """A creator (or a brand in no organisation): their own names and budget."""
        return cls(f"account:{account_id}", (f"account:{account_id}",))
