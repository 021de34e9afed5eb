"""The data directory and its files are private (issue 17, item 10): 0700 and 0600, made so
at start, with a warning for each path an older version or an operator left looser."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from plaudit.config import Settings
from plaudit.platform import Platform


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_directory_is_private(
    backend_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    previous = os.umask(0o022)  # a typical login umask: files 0644 unless Plaudit sees to it
    try:
        platform = Platform(backend_settings).open()
        platform.accounts.create("fan1")
        platform.close()
    finally:
        os.umask(previous)
    data = backend_settings.data_path
    assert _mode(data) == 0o700
    files = [p for p in data.rglob("*") if p.is_file()]
    assert files, "the signing key at least is in the data directory"
    assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
    if backend_settings.is_sqlite:
        assert (data / "plaudit.db").exists()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "readable" in r.msg]


def test_looser_files_are_tightened_with_a_warning(
    sqlite_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    data = sqlite_settings.data_path
    (data / "persona").mkdir(parents=True)
    os.chmod(data, 0o755)
    os.chmod(data / "persona", 0o755)
    leaked = data / "persona" / "tags.bin"
    leaked.write_bytes(b"bits")
    os.chmod(leaked, 0o644)
    with caplog.at_level(logging.WARNING):
        Platform(sqlite_settings).open().close()
    assert (_mode(data), _mode(data / "persona"), _mode(leaked)) == (0o700, 0o700, 0o600)
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert f"{leaked} was mode 0644; now 0600" in warned
    assert f"{data} was mode 0755; now 0700" in warned
