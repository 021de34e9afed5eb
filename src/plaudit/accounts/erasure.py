"""Deleting an account: the person goes, the log stays (issue 17, item 13).

`AccountService.erase` does the database part in one transaction (profile emptied with
consent withdrawn, tokens revoked, handle replaced, IP prefixes and device links cleared,
ledger secret destroyed). The persona index is a set of files built from the database, so
when one exists it is refreshed right away: the account leaves every bitmap now rather
than at the next scheduled refresh.
"""

from __future__ import annotations

from pathlib import Path

from plaudit.accounts.service import AccountService
from plaudit.store import Database

__all__ = ["erase_account"]


def erase_account(
    accounts: AccountService, db: Database, data_path: Path, account_id: int, confirm: str
) -> bool:
    """Erase the account; True when a persona index was refreshed to drop it."""
    accounts.erase(account_id, confirm)
    from plaudit.persona.index import index_dir  # here: NumPy is heavy

    if not (index_dir(data_path) / "manifest.json").exists():
        return False
    from plaudit.persona.refresh import refresh_index

    refresh_index(db, data_path)
    return True
