"""The composition root: one `Platform` wires the store and the domain services together.

The API and the CLI both build a Platform from Settings, so there is exactly one place that
decides which service gets which dependency.
"""

from __future__ import annotations

from plaudit.accounts import AccountService
from plaudit.catalog import VideoService
from plaudit.config import Settings
from plaudit.interactions import InteractionService
from plaudit.ledger.integration import Integrator
from plaudit.ledger.keystore import load_or_create_signer
from plaudit.ledger.service import LedgerService
from plaudit.store import Database

__all__ = ["Platform"]


class Platform:
    """Settings, database and services of one running Plaudit."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings)
        self.accounts = AccountService(self.db)
        self.videos = VideoService(self.db)
        self.interactions = InteractionService(self.db)
        signer = load_or_create_signer(settings.data_path, settings.ledger_origin)
        self.ledger = LedgerService(self.db, signer)
        self.integrator = Integrator(
            self.db, signer, settings.ledger_origin, interval_s=settings.checkpoint_interval_s
        )

    def open(self, *, writer_thread: bool = False, integrate: bool = False) -> Platform:
        """Apply pending migrations; a server also starts the writer and the integrator."""
        self.db.migrate()
        if writer_thread:
            self.db.start_writer()
        if integrate:
            self.integrator.start()
        return self

    def close(self) -> None:
        self.integrator.stop()
        self.db.close()
