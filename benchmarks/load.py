"""Load and faults: `plaudit serve --workers 4` on PostgreSQL under a mixed workload, while
one API worker, then the integrator's holder are killed with SIGKILL and PostgreSQL is
restarted (immediate mode: a crash, then WAL recovery).

Traffic goes only to 127.0.0.1. The script starts its OWN PostgreSQL server
(`scripts/postgres.sh` with PLAUDIT_PG_PORT/PLAUDIT_PG_DATA, default port 54340) so that
restarting it disturbs nobody else, loads the small demo community into a fresh database,
creates `--fans` accounts through the API for the clients, and runs `--clients` threads for
`--duration` seconds: likes, unlikes of the client's own likes, video reads and like
receipts. Segment counts (they need a persona index, built by a batch job) and campaign
likes (they need a funded campaign) are not in the mix yet.

Figures: throughput and p50/p99 latency per operation, and per status. Checks at the end:
every like answered 201/200 exists (an acknowledged unlike has `removed_at`), every video's
like counter equals its active like rows, the ledger caught up with the event sequence,
`plaudit ledger audit` passes, and an integrator holds the lock (another process than the
killed one).

    python benchmarks/load.py [--duration 600] [--clients 8] [--workers 4]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "plaudit-integrator pid="
MIX = (("like", 45), ("read", 30), ("receipt", 12), ("unlike", 13))


@dataclass
class Tally:
    """What the clients saw: latencies per operation, statuses, acknowledged writes."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    liked: dict[int, tuple[int, int]] = field(default_factory=dict)  # like id -> fan, video
    unliked: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, op: str, seconds: float, status: str) -> None:
        with self.lock:
            self.latencies[op].append(seconds)
            self.statuses[op][status] += 1


def pg_bin() -> Path:
    return sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]


def as_postgres(*command: str) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    # no pipes: the server started by pg_ctl would inherit them and hold them open
    subprocess.run(prefix + list(command), check=True, stdout=subprocess.DEVNULL)


def start_own_postgres(port: int, data: str) -> str:
    env = {**os.environ, "PLAUDIT_PG_PORT": str(port), "PLAUDIT_PG_DATA": data}
    subprocess.run([str(ROOT / "scripts/postgres.sh"), "start"], env=env, check=True)
    admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS plaudit_load WITH (FORCE)")
        conn.execute("CREATE DATABASE plaudit_load")
    return f"postgresql://postgres@127.0.0.1:{port}/plaudit_load"


def restart_postgres(data: str) -> float:
    """Crash-stop (immediate) and start our own server; seconds until it accepts again."""
    began = time.monotonic()
    log = str(Path(data) / "server.log")
    as_postgres(str(pg_bin() / "pg_ctl"), "-D", data, "-l", log, "-m", "immediate", "-w", "restart")
    return time.monotonic() - began


def plaudit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plaudit", *args], capture_output=True, text=True, check=False
    )


def integrators(url: str) -> list[int]:
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=2) as conn:
            rows = conn.execute(
                "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE %s",
                (APP_NAME + "%",),
            ).fetchall()
    except psycopg.Error:
        return []
    return [int(name.rsplit("=", 1)[1]) for (name,) in rows]


def workers_of(parent: int) -> list[int]:
    """The pids of the serve process's uvicorn workers (spawned children, not the
    multiprocessing resource tracker), from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == parent and b"spawn_main" in command:
            children.append(int(stat.parent.name))
    return sorted(children)


def wait_ready(base: str, within: float = 90) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the server at {base} did not answer /healthz within {within} s")


def make_fans(base: str, count: int) -> list[tuple[int, dict[str, str]]]:
    fans = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for i in range(count):
            made = client.post("/v1/accounts", json={"handle": f"load-{i}-{os.getpid()}"})
            made.raise_for_status()
            body = made.json()
            fans.append((int(body["id"]), {"Authorization": f"Bearer {body['token']}"}))
    return fans


class Client(threading.Thread):
    """One client: its own fans and keep-alive connection, a random mix until `stop`."""

    def __init__(
        self,
        base: str,
        fans: list[tuple[int, dict[str, str]]],
        videos: list[int],
        tally: Tally,
        stop: threading.Event,
        seed: int,
    ) -> None:
        super().__init__(daemon=True)
        self.base, self.fans, self.videos, self.tally, self.stop = base, fans, videos, tally, stop
        self.rng = random.Random(seed)
        self.mine: list[tuple[int, int, int]] = []  # like id, fan index, video

    def run(self) -> None:
        ops: dict[str, Callable[[httpx.Client], tuple[str, int | None]]] = {
            "like": self.like,
            "read": self.read,
            "receipt": self.receipt,
            "unlike": self.unlike,
        }
        names = [name for name, _ in MIX]
        weights = [weight for _, weight in MIX]
        client = httpx.Client(base_url=self.base, timeout=30)
        while not self.stop.is_set():
            op = self.rng.choices(names, weights)[0]
            began = time.perf_counter()
            try:
                status, _ = ops[op](client)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
                client.close()  # a killed worker: reconnect (to whichever worker accepts)
                client = httpx.Client(base_url=self.base, timeout=30)
            if status != "skip":
                self.tally.note(op, time.perf_counter() - began, status)
        client.close()

    def like(self, client: httpx.Client) -> tuple[str, int | None]:
        index = self.rng.randrange(len(self.fans))
        fan, headers = self.fans[index]
        video = self.rng.choice(self.videos)
        answer = client.post(f"/v1/videos/{video}/likes", headers=headers)
        if answer.status_code in (200, 201):
            like_id = int(answer.json()["id"])
            with self.tally.lock:
                self.tally.liked[like_id] = (fan, video)
            if answer.status_code == 201:
                self.mine.append((like_id, index, video))
        return str(answer.status_code), None

    def unlike(self, client: httpx.Client) -> tuple[str, int | None]:
        if not self.mine:
            return "skip", None
        like_id, index, video = self.mine.pop(self.rng.randrange(len(self.mine)))
        answer = client.delete(f"/v1/videos/{video}/likes", headers=self.fans[index][1])
        if answer.status_code == 200:
            with self.tally.lock:
                self.tally.unliked.add(like_id)
        return str(answer.status_code), None

    def read(self, client: httpx.Client) -> tuple[str, int | None]:
        return str(client.get(f"/v1/videos/{self.rng.choice(self.videos)}").status_code), None

    def receipt(self, client: httpx.Client) -> tuple[str, int | None]:
        if not self.mine:
            return "skip", None
        like_id, index, _ = self.rng.choice(self.mine)
        answer = client.get(f"/v1/likes/{like_id}/receipt", headers=self.fans[index][1])
        return str(answer.status_code), None


def faults(
    duration: float, serve: subprocess.Popen[bytes], url: str, pg_data: str, report: list[str]
) -> None:
    """At 25 %, 50 % and 75 % of the run: kill a worker, the integrator, restart PostgreSQL."""
    began = time.monotonic()

    def at(fraction: float) -> None:
        time.sleep(max(0.0, began + duration * fraction - time.monotonic()))

    at(0.25)
    holders = integrators(url)
    others = [pid for pid in workers_of(serve.pid) if pid not in holders]
    if others:
        os.kill(others[0], signal.SIGKILL)
        report.append(f"kill -9 API worker {others[0]} (not the integrator)")
    at(0.5)
    holders = integrators(url)
    if holders:
        killed = holders[0]
        os.kill(killed, signal.SIGKILL)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 30:
            now = [pid for pid in integrators(url) if pid != killed]
            if now:
                report.append(
                    f"kill -9 integrator {killed}: {now[0]} took over in "
                    f"{time.monotonic() - t0:.1f} s"
                )
                break
            time.sleep(0.1)
        else:
            report.append(f"kill -9 integrator {killed}: NO takeover within 30 s")
    at(0.75)
    took = restart_postgres(pg_data)
    report.append(f"PostgreSQL restarted (immediate stop, recovery, start) in {took:.1f} s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def wait_ledger(url: str, within: float = 120) -> tuple[int, int]:
    """The ledger's size and the event sequence's next value, once equal (or at timeout)."""
    deadline = time.monotonic() + within
    size = events = -1
    while time.monotonic() < deadline:
        with psycopg.connect(url, autocommit=True) as conn:
            size = conn.execute("SELECT size FROM ledger_state").fetchone()[0]  # type: ignore[index]
            events = conn.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
        if size == events:
            break
        time.sleep(1)
    return size, events


def check(url: str, tally: Tally, data_dir: str, sa_url: str) -> list[str]:
    lines = []
    liked = list(tally.liked)
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT id, removed_at IS NOT NULL FROM likes WHERE id = ANY(%s)", (liked,)
        ).fetchall()
        drift = conn.execute(
            "SELECT count(*) FROM video_counters c WHERE c.likes <> (SELECT count(*) FROM "
            "likes l WHERE l.video_id = c.video_id AND l.removed_at IS NULL)"
        ).fetchone()[0]  # type: ignore[index]
    found = dict(rows)
    lost = len(liked) - len(found)
    unlike_lost = sum(1 for like_id in tally.unliked if not found.get(like_id, False))
    lines.append(
        f"acknowledged likes: {len(liked):,}, lost: {lost}; acknowledged unlikes: "
        f"{len(tally.unliked):,}, lost: {unlike_lost}"
    )
    lines.append(f"videos whose like counter differs from their rows: {drift}")
    size, events = wait_ledger(url)
    lines.append(
        f"ledger size {size:,} / events {events:,}: {'caught up' if size == events else 'BEHIND'}"
    )
    audit = plaudit("ledger", "audit", "--data-dir", data_dir, "--database-url", sa_url)
    verdict = "OK" if audit.returncode == 0 else f"FAILED (exit {audit.returncode})"
    lines.append(f"plaudit ledger audit: {verdict} {audit.stdout.strip().splitlines()[-1:]}")
    lines.append(f"integrator holders now: {integrators(url)}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600, help="seconds of load")
    parser.add_argument("--clients", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=4, help="API worker processes")
    parser.add_argument("--fans", type=int, default=400, help="accounts the clients like as")
    parser.add_argument("--pg-port", type=int, default=54340, help="our own PostgreSQL's port")
    parser.add_argument("--pg-data", default="/tmp/plaudit-load-pg", help="its data directory")
    parser.add_argument("--port", type=int, default=18640, help="the API's port (127.0.0.1)")
    args = parser.parse_args()

    url = start_own_postgres(args.pg_port, args.pg_data)
    sa_url = url.replace("postgresql://", "postgresql+psycopg://")
    data_dir = tempfile.mkdtemp(prefix="plaudit-load-")
    began = time.monotonic()
    demo = plaudit("demo", "--size", "small", "--data-dir", data_dir, "--database-url", sa_url)
    if demo.returncode != 0:
        raise SystemExit(f"plaudit demo failed:\n{demo.stderr}")
    print(f"demo loaded in {time.monotonic() - began:.0f} s", flush=True)
    log = open(Path(data_dir) / "serve.log", "wb")  # noqa: SIM115 - open for the run
    serve = subprocess.Popen(
        [sys.executable, "-m", "plaudit", "serve", "--workers", str(args.workers),
         "--port", str(args.port), "--data-dir", data_dir, "--database-url", sa_url],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_ready(base)
        with psycopg.connect(url) as conn:
            videos = [r[0] for r in conn.execute("SELECT id FROM videos ORDER BY id LIMIT 2000")]
        fans = make_fans(base, args.fans)
        began = time.monotonic()
        size, events = wait_ledger(url, within=600)
        print(f"ledger caught up with the demo ({size:,} of {events:,} entries) in "
              f"{time.monotonic() - began:.0f} s", flush=True)  # fmt: skip
        run(args, base, url, sa_url, data_dir, serve, fans, videos)
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
        log.close()


def run(
    args: argparse.Namespace,
    base: str,
    url: str,
    sa_url: str,
    data_dir: str,
    serve: subprocess.Popen[bytes],
    fans: list[tuple[int, dict[str, str]]],
    videos: list[int],
) -> None:
    tally, stop, report = Tally(), threading.Event(), []
    share = max(1, len(fans) // args.clients)
    clients = [
        Client(base, fans[i * share : (i + 1) * share], videos, tally, stop, seed=i)
        for i in range(args.clients)
    ]
    fault = threading.Thread(
        target=faults, args=(args.duration, serve, url, args.pg_data, report), daemon=True
    )
    began = time.monotonic()
    for client in clients:
        client.start()
    fault.start()
    time.sleep(args.duration)
    stop.set()
    elapsed = time.monotonic() - began
    for client in clients:
        client.join()
    fault.join(timeout=120)
    print(f"\n{args.workers} workers, {args.clients} clients, {elapsed:.0f} s, load average "
          f"{os.getloadavg()[0]:.1f} (1 min)")  # fmt: skip
    print(f"{'operation':<10}{'per s':>8}{'p50 ms':>9}{'p99 ms':>9}  statuses")
    for op, _ in MIX:
        times = tally.latencies.get(op, [])
        if not times:
            continue
        statuses = ", ".join(f"{k}: {v}" for k, v in tally.statuses[op].most_common())
        print(f"{op:<10}{len(times) / elapsed:8.1f}{percentile(times, 0.5):9.1f}"
              f"{percentile(times, 0.99):9.1f}  {statuses}")  # fmt: skip
    print("\nfaults:")
    for line in report:
        print(f"  {line}")
    print("\nchecks:")
    for line in check(url, tally, data_dir, sa_url):
        print(f"  {line}")


if __name__ == "__main__":
    main()
