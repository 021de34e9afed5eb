"""Background jobs of the console (web/jobs.py): state in a file any process can read,
progress while running, one job of a kind at a time, and an end the page can always show."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from plaudit.errors import Conflict, InvalidInput
from plaudit.web.jobs import STALE_S, Job, Jobs, Outcome, Progress


def _wait(jobs: Jobs, kind: str) -> Job:
    for _ in range(200):
        job = jobs.state(kind)
        if job is not None and job.status != "running":
            return job
        time.sleep(0.02)
    raise AssertionError("the job did not finish")


def test_a_job_reports_progress_then_its_result(tmp_path: Path) -> None:
    jobs = Jobs(tmp_path)
    assert jobs.state("ledger-audit") is None
    gate = threading.Event()

    def work(progress: Progress) -> Outcome:
        progress(3, 10, "entries")
        time.sleep(0.3)  # longer than the write interval: the state file shows it
        gate.wait(5)
        return Outcome(True, ["OK: 10 entries"], {"what": "audit", "entries": 10})

    jobs.start("ledger-audit", "", work)
    time.sleep(0.5)
    running = jobs.state("ledger-audit")
    assert running is not None
    assert running.running
    assert (running.done, running.total, running.stage, running.percent) == (3, 10, "entries", 30)
    with pytest.raises(Conflict, match="already running"):
        jobs.start("ledger-audit", "", work)
    gate.set()
    done = _wait(jobs, "ledger-audit")
    assert (done.status, done.ok, done.lines) == ("done", True, ["OK: 10 entries"])
    assert done.summary == {"what": "audit", "entries": 10}
    assert done.finished_at >= done.started_at
    path = tmp_path / "console-jobs" / "ledger-audit.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Jobs(tmp_path).state("ledger-audit") == done  # another process reads the same


def test_a_failing_job_ends_failed_with_its_message(tmp_path: Path) -> None:
    jobs = Jobs(tmp_path)

    def refused(progress: Progress) -> Outcome:
        raise InvalidInput("period 7 is not closed")

    def broken(progress: Progress) -> Outcome:
        raise RuntimeError("disk on fire")

    jobs.start("fund-verify", "7", refused)
    failed = _wait(jobs, "fund-verify")
    assert (failed.status, failed.ok, failed.lines) == ("failed", False, ["period 7 is not closed"])
    jobs.start("persona-refresh", "", broken)
    crashed = _wait(jobs, "persona-refresh")
    assert crashed.status == "failed"
    assert "server log" in crashed.lines[0]
    assert "disk on fire" not in crashed.lines[0]  # internals stay in the log


def test_a_job_left_running_by_a_dead_process_goes_stale(tmp_path: Path) -> None:
    jobs = Jobs(tmp_path)
    folder = tmp_path / "console-jobs"
    folder.mkdir()
    dead = Job(
        "persona-refresh",
        "",
        "running",
        "2026-12-04T10:00:00+00:00",
        beat=time.time() - STALE_S - 1,
    )
    (folder / "persona-refresh.json").write_text(json.dumps(dead.__dict__))
    state = jobs.state("persona-refresh")
    assert state is not None
    assert not state.running
    jobs.start("persona-refresh", "", lambda progress: Outcome(True, ["again"]))  # not refused
    assert _wait(jobs, "persona-refresh").lines == ["again"]
    assert not any(name.endswith(".tmp") for name in os.listdir(folder))


def test_only_known_kinds(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown job kind"):
        Jobs(tmp_path).state("rm-rf")
