"""The persona access log: every operator's exact count, one JSON line each.

``DATA_DIR/persona-access.log`` holds a line per access (``at``, ``operator``, ``action``,
``expr``), written by the API (``POST /v1/segments/count`` with ``exact``) and by
``plaudit segment count --exact`` before the answer is shown. The transparency report
counts its lines in a period (``count_accesses``). Kept apart from ``service.py`` so that
neither the CLI nor the report loads NumPy to read or write it.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["ACCESS_LOG", "append_access", "count_accesses", "read_accesses"]

ACCESS_LOG = "persona-access.log"
_LOCK = threading.Lock()


def append_access(data_path: Path, operator: str, expression: str, action: str) -> None:
    """Append one access, as a single write to a 0600 file (whole lines, never torn
    between two writers of this process; O_APPEND keeps other processes' lines whole)."""
    line = {
        "at": datetime.now(UTC).isoformat(),
        "operator": operator,
        "action": action,
        "expr": expression,
    }
    data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
    data_path.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        fd = os.open(data_path / ACCESS_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def _access(line: str) -> tuple[datetime, str] | None:
    try:
        record = json.loads(line)
        at = datetime.fromisoformat(record["at"])
        action = str(record["action"])
    except (ValueError, KeyError, TypeError):
        return None
    if at.tzinfo is None:
        return None
    return at, action


def count_accesses(data_path: Path, start: datetime, end: datetime) -> dict[str, int]:
    """Accesses with ``start <= at < end``, by action, plus ``unreadable``: lines that are
    not an access (a torn last line after a crash), reported rather than skipped silently.

    A data directory without the log has had no access: every count is 0.
    """
    counts: dict[str, int] = {"exact-count": 0, "unreadable": 0}
    path = data_path / ACCESS_LOG
    if not path.exists():
        return counts
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if not line.strip():
                continue
            access = _access(line)
            if access is None:
                counts["unreadable"] += 1
            elif start <= access[0].astimezone(UTC) < end:
                counts[access[1]] = counts.get(access[1], 0) + 1
    return counts


def read_accesses(data_path: Path, limit: int = 100) -> tuple[int, list[dict[str, str]]]:
    """The log newest first, for the operator's page: (accesses in all, the last `limit`).
    A line cut short by a crash mid-write is shown as it is, never dropped."""
    path = data_path / ACCESS_LOG
    try:
        with _LOCK, path.open(encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return 0, []
    entries = []
    for line in reversed(lines[-limit:] if limit else []):
        try:
            entries.append({k: str(v) for k, v in json.loads(line).items()})
        except ValueError:
            entries.append({"at": "", "operator": "", "action": "unreadable", "expr": line})
    return len(lines), entries
