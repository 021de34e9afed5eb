"""The composition root: one `Platform` wires the store and the domain services together.

The API and the CLI both build a Platform from Settings, so there is exactly one place that
decides which service gets which dependency.
"""

from __future__ import annotations

from plaudit.accounts import AccountService
from plaudit.catalog import VideoService
from plaudit.config import Settings
from plaudit.interactions import InteractionService
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

    def open(self, *, writer_thread: bool = False) -> Platform:
        """Apply pending migrations, and start the writer thread for a server."""
        self.db.migrate()
        if writer_thread:
            self.db.start_writer()
        return self

    def close(self) -> None:
        self.db.close()
