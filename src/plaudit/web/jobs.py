"""Operator work too long for one request (a persona refresh, a ledger audit, a fund period's
verification), run in a thread of the server while the page polls its progress (htmx).

A job's state is a small JSON file, `DATA_DIR/console-jobs/<kind>.json` (0600), written as
it advances, so that with several API processes (`plaudit serve --workers N`) the process a
poll reaches shows the job whichever process runs it. One job of a kind runs at a time; a
state left `running` by a process that died stops counting as running after `STALE_S`
without progress.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from plaudit.errors import Conflict, PlauditError

__all__ = ["JOB_KINDS", "Job", "Jobs", "Outcome", "Progress", "Summary", "Work"]

JOB_KINDS = ("persona-refresh", "ledger-audit", "fund-verify")
STALE_S = 120.0
_WRITE_EVERY_S = 0.2
log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
"""Reports (done, total, stage) as a job advances."""

Summary = dict[str, int | str]
"""A finished job's result as data: `what` names the sentence `_job.html` says in the page's
language, the other keys are its figures. The lines stay the CLI's own (diagnostics)."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    lines: list[str]
    summary: Summary = field(default_factory=dict)


@dataclass
class Job:
    kind: str
    subject: str  # what the job is about (a period's name; "" when nothing more)
    status: str  # running | done | failed
    started_at: str
    finished_at: str = ""
    done: int = 0
    total: int = 0
    stage: str = ""
    ok: bool = False
    lines: list[str] = field(default_factory=list)
    summary: Summary = field(default_factory=dict)
    beat: float = 0.0  # time.time() of the last write: a dead process's job goes stale

    @property
    def running(self) -> bool:
        return self.status == "running" and time.time() - self.beat < STALE_S

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


Work = Callable[[Progress], Outcome]
"""A job's body: reports progress, returns its outcome."""


class Jobs:
    """Starts jobs in threads and reads their state from the data directory."""

    def __init__(self, data_path: Path) -> None:
        self._dir = data_path / "console-jobs"
        self._lock = threading.Lock()

    def state(self, kind: str) -> Job | None:
        """The latest job of `kind` (running or finished), None when none ever ran."""
        path = self._path(kind)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return Job(**raw)

    def start(self, kind: str, subject: str, work: Work) -> Job:
        """Run `work` in a thread; Conflict when a job of that kind is running."""
        with self._lock:
            current = self.state(kind)
            if current is not None and current.running:
                raise Conflict(
                    f"a {kind} job is already running ({current.stage or 'starting'}, "
                    f"{current.percent}%); wait for it to finish",
                    kind=kind,
                )
            job = Job(kind, subject, "running", _now(), beat=time.time())
            self._write(job)
        threading.Thread(
            target=self._run, args=(job, work), name=f"job-{kind}", daemon=True
        ).start()
        return job

    def _run(self, job: Job, work: Work) -> None:
        last = 0.0

        def progress(done: int, total: int, stage: str) -> None:
            nonlocal last
            job.done, job.total, job.stage = done, total, stage
            if time.monotonic() - last >= _WRITE_EVERY_S:
                last = time.monotonic()
                self._write(job)

        try:
            outcome = work(progress)
            job.ok, job.lines, job.summary = outcome.ok, outcome.lines, outcome.summary
            job.status = "done"
        except PlauditError as error:
            job.status, job.lines = "failed", [error.detail]
        except Exception:  # a job must end in a state the page can show, never hang
            log.exception("console job %s failed", job.kind)
            job.status, job.lines = "failed", ["internal error; the server log has the details"]
        job.finished_at = _now()
        self._write(job)

    def _path(self, kind: str) -> Path:
        if kind not in JOB_KINDS:
            raise ValueError(f"unknown job kind {kind!r}")
        return self._dir / f"{kind}.json"

    def _write(self, job: Job) -> None:
        """Replace the state file in one step (a poll never reads half of it)."""
        job.beat = time.time()
        self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self._path(job.kind)
        staging = path.with_suffix(f".{threading.get_ident()}.tmp")
        descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(asdict(job), handle, ensure_ascii=False)
        os.replace(staging, path)


def _now() -> str:
    return datetime.now(UTC).isoformat()
