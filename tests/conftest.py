"""Shared fixtures: settings on a fresh SQLite data dir or a fresh PostgreSQL database.

PostgreSQL tests use $PLAUDIT_TEST_POSTGRES_URL (scripts/postgres.sh starts a server). Without
it they skip, unless $PLAUDIT_REQUIRE_POSTGRES=1 (as in CI), where a missing server fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from plaudit.config import Settings, load_settings
from plaudit.platform import Platform


def postgres_admin_url() -> str | None:
    url = os.environ.get("PLAUDIT_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("PLAUDIT_REQUIRE_POSTGRES") == "1":
            pytest.fail("PLAUDIT_REQUIRE_POSTGRES=1 but PLAUDIT_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL: run `eval $(scripts/postgres.sh start)` to include it")
    return url


def _fresh_postgres_database(admin_url: str) -> tuple[str, str]:
    import psycopg

    name = f"plaudit_test_{uuid.uuid4().hex[:12]}"
    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name, name


def _drop_postgres_database(admin_url: str, name: str) -> None:
    import psycopg

    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a fresh, empty store on each engine."""
    base = load_settings(flags={"data_dir": str(tmp_path / "data")}, env={})
    if request.param == "sqlite":
        yield base
        return
    admin = postgres_admin_url()
    assert admin is not None
    url, name = _fresh_postgres_database(admin)
    try:
        yield base.with_values(database_url=url)
    finally:
        _drop_postgres_database(admin, name)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return load_settings(flags={"data_dir": str(tmp_path / "data")}, env={})


@pytest.fixture
def platform(sqlite_settings: Settings) -> Iterator[Platform]:
    """An opened platform on SQLite, without the writer thread (writes run inline)."""
    opened = Platform(sqlite_settings).open()
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One SparkSession on local[2] for the whole test session (start-up costs seconds).

    The tests marked `spark` use it; they need PySpark (the dev extra) and Java 17.
    """
    from plaudit.authenticity.lake_scan import spark_session

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = spark_session(
        "local[2]", {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
