"""Storage: the tables, the engines, migrations and the single writer. Nothing else touches SQL
drivers; errors leave this package as `plaudit.errors` types."""

from plaudit.store import tables
from plaudit.store.database import Database
from plaudit.store.migrate import current_revision, head_revision, holds_platform
from plaudit.store.sequence import EVENTS, allocate
from plaudit.store.types import UTCDateTime, utcnow

__all__ = [
    "EVENTS",
    "Database",
    "UTCDateTime",
    "allocate",
    "current_revision",
    "head_revision",
    "holds_platform",
    "tables",
    "utcnow",
]
