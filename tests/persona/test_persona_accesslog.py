"""The persona access log: lines written whole and 0600, counted by period and action, a
torn line reported as unreadable rather than skipped."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from plaudit.persona.accesslog import ACCESS_LOG, append_access, count_accesses


def test_accesses_are_counted_in_their_period_by_action(tmp_path: Path) -> None:
    assert count_accesses(tmp_path, datetime.min.replace(tzinfo=UTC), datetime.now(UTC)) == {
        "exact-count": 0,
        "unreadable": 0,
    }
    append_access(tmp_path, "account:7", "gender:female", "exact-count")
    append_access(tmp_path, "cli:ops", "city_tier:1", "exact-count")
    log = tmp_path / ACCESS_LOG
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    old = {"at": "2026-01-01T00:00:00+00:00", "operator": "x", "action": "exact-count", "expr": ""}
    with log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(old) + "\n")
        handle.write('{"at": "2026-12-0')  # a crash in the middle of a line
    now = datetime.now(UTC)
    around = count_accesses(tmp_path, now - timedelta(minutes=1), now + timedelta(minutes=1))
    assert around == {"exact-count": 2, "unreadable": 1}
    january = count_accesses(
        tmp_path, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    )
    assert january == {"exact-count": 1, "unreadable": 1}
    lines = log.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["operator"] == "account:7"
