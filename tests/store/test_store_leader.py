"""One integrator among processes: the lock is exclusive, and freed when its holder dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine
from tests.conftest import postgres_admin_url

from plaudit.store.leader import APPLICATION_NAME, AdvisoryLock, FileLock

HOLD_AND_WAIT = """
import sys, time
from pathlib import Path
from plaudit.store.leader import FileLock
lock = FileLock(Path(sys.argv[1]))
assert lock.hold()
print("held", flush=True)
time.sleep(60)
"""


def test_file_lock_is_exclusive_and_freed_when_its_holder_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "integrator.lock"
    with subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_WAIT, str(path)], stdout=subprocess.PIPE
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"held\n"
        follower = FileLock(path)
        assert not follower.hold()
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        assert follower.hold()
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        follower.release()


@pytest.mark.postgres
def test_advisory_lock_has_one_holder_and_moves_when_its_connection_dies() -> None:
    admin = postgres_admin_url()
    assert admin is not None
    first_engine, second_engine = create_engine(admin), create_engine(admin)
    key = 4242  # not the integrator's key: other tests' servers may hold that one
    first, second = AdvisoryLock(first_engine, key), AdvisoryLock(second_engine, key)
    try:
        assert first.hold()
        assert not second.hold()
        assert first.hold()  # holding again is a no-op
        # the holder's connection dies (a crashed process, a restarted server...)
        plain = admin.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as conn:
            killed = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s",
                (f"{APPLICATION_NAME} pid={os.getpid()}",),
            ).fetchall()
        assert killed == [(True,)]
        deadline = time.monotonic() + 5
        while not second.hold():
            assert time.monotonic() < deadline, "the lock was not freed"
            time.sleep(0.05)
        assert not first.hold()  # the old holder notices it lost the lock
        second.release()
        assert first.hold()  # released at once, not at disconnect
    finally:
        first.release()
        second.release()
        first_engine.dispose()
        second_engine.dispose()
