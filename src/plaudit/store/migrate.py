"""Apply Alembic migrations programmatically, at start-up and from `plaudit db upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from plaudit.store.boundary import translate_db_error

__all__ = ["current_revision", "head_revision", "holds_platform", "upgrade"]

_MIGRATIONS = Path(__file__).with_name("migrations")


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the migrations folder has no revisions"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def holds_platform(url: str) -> bool:
    """Whether the database at `url` holds a Plaudit schema, asked without creating anything
    (a SQLite file that is missing is not created), so a mistyped data directory is caught
    instead of becoming a new empty platform."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and path != ":memory:" and not Path(path).is_file():
            return False
    engine = create_engine(url)
    try:
        return current_revision(engine) is not None
    except DBAPIError as exc:
        raise translate_db_error(exc) from exc
    finally:
        engine.dispose()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the newest); a no-op when already there."""
    config = _config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    except DBAPIError as exc:
        raise translate_db_error(exc) from exc
