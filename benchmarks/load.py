"""Load and faults: `plaudit serve --workers 4` on PostgreSQL under a mixed workload, while
one API worker, then the integrator's holder are killed with SIGKILL and PostgreSQL is
restarted (immediate mode: a crash, then WAL recovery).

Traffic goes only to 127.0.0.1. The script starts its OWN PostgreSQL server
(`scripts/postgres.sh` with PLAUDIT_PG_PORT/PLAUDIT_PG_DATA, default port 54377, not the
shared test server's 54340) so that restarting it disturbs nobody else, loads the small demo
community into a fresh database, creates `--fans` accounts through the API for the clients,
and runs `--clients` threads for `--duration` seconds: likes, unlikes of the client's own
likes, video reads, like receipts, a brand's segment counts and campaign likes. For the last
two it sets up what a real integrator would: an operator makes a brand account (`plaudit
accounts create --kind brand`); the fans give targeting consent through the API; `plaudit
persona refresh` (the batch job) puts them in the persona index, which the running workers
pick up; the brand makes an organisation and a funded like-to-donate campaign over 100
videos through the API; every fan opts in. A segment count is the brand asking one of 40
fixed questions (a dashboard: each is paid once from the privacy budget, later asks are
free); a campaign like is a fan liking one of the campaign's videos with the source
`campaign:<id>`.

Figures: throughput and p50/p99 latency per operation, and per status. Checks at the end:
every like answered 201/200 exists (an acknowledged unlike has `removed_at`), every video's
like counter equals its active like rows, the ledger caught up with the event sequence,
`plaudit ledger audit` passes, and an integrator holds the lock (another process than the
killed one); every acknowledged campaign like exists with the campaign's source, active, with
exactly one completion, and each campaign video's `incentivised` count (through the API) equals
its active campaign-source rows.

Every 5xx is counted per 5 s of the run and checked to be problem+json; the body of any
5xx other than 503 is printed (a 500 is a defect to find, not a figure).

    python benchmarks/load.py [--duration 600] [--clients 8] [--workers 4] [--pg-port 54377]
"""

from __future__ import annotations

import argparse
import json
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "plaudit-integrator pid="
MIX = (
    ("like", 38),
    ("read", 25),
    ("receipt", 10),
    ("unlike", 11),
    ("segment", 8),
    ("campaign", 8),
)
CAMPAIGN_VIDEOS = 100  # the most a campaign names (campaigns.model.MAX_VIDEOS)
# A brand's dashboard: 40 fixed questions, 10 of the default privacy budget of 20 at 0.25 each.
SEGMENTS = tuple(
    [f"gender = {g}" for g in ("female", "male")]
    + [f"age in {lo}..{lo + 9}" for lo in (18, 25, 35, 45, 55)]
    + [f"city_tier = {t}" for t in ("new1", "1", "2", "3", "4", "5")]
    + [f"spend >= {b}" for b in (1000, 3000, 5000, 10000)]
    + [f"activity = {a}" for a in ("low", "medium", "high")]
    + [f"device = {d}" for d in ("ios", "android", "harmonyos", "web")]
    + [f"gender = female and age in 25..35 and city_tier in (1, new1) and spend >= {b}"
       for b in (1000, 3000, 5000)]
    + [f"gender = male and age in {lo}..{lo + 14} and activity in (medium, high)"
       for lo in (18, 25, 35)]
    + [f"tenure = {t} and not device = ios" for t in ("new", "1_3m", "3_12m", "1y_plus")]
    + [f"follows in ({f}) or spend >= 10000" for f in ("none", "1_5", "6_20", "21_plus")]
    + ["role = fan", "role = creator"]
)  # fmt: skip


@dataclass
class Tally:
    """What the clients saw: latencies per operation, statuses, acknowledged writes."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    liked: dict[int, tuple[int, int]] = field(default_factory=dict)  # like id -> fan, video
    unliked: set[int] = field(default_factory=set)
    campaign_liked: dict[int, tuple[int, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    unavailable: Counter[int] = field(default_factory=Counter)  # 5xx per 5 s of the run
    not_problem: int = 0  # 5xx answers that were not application/problem+json
    unavailable_at: list[tuple[float, str, str]] = field(default_factory=list)
    restart: list[float] = field(default_factory=list)  # PostgreSQL down at, back at (run s)
    began: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def server_error(self, op: str, answer: httpx.Response) -> None:
        """Note when a 5xx came and whether it was problem+json; keep what the first 20
        other than 503 said."""
        at = time.monotonic() - self.began
        with self.lock:
            self.unavailable[int(at // 5) * 5] += 1
            if answer.headers.get("content-type", "") != "application/problem+json":
                self.not_problem += 1
            if answer.status_code != 503 and len(self.errors) < 20:
                self.errors.append(f"{at:.1f} s {op} {answer.status_code}: {answer.text[:300]}")
            elif answer.status_code == 503:
                self.unavailable_at.append((at, op, _problem_detail(answer)))

    def note(self, op: str, seconds: float, status: str) -> None:
        with self.lock:
            self.latencies[op].append(seconds)
            self.statuses[op][status] += 1


@dataclass(frozen=True)
class Market:
    """The brand side of the traffic: the brand's headers, its campaign and the videos."""

    brand: dict[str, str]
    campaign_id: int
    videos: list[int]

    @property
    def source(self) -> str:
        return f"campaign:{self.campaign_id}"


def _problem_detail(answer: httpx.Response) -> str:
    """A 503's detail without the numbers (pids, ports), so like causes group together."""
    try:
        detail = str(answer.json().get("detail", ""))
    except ValueError:
        detail = answer.text
    first = detail.partition("\n")[0]
    return "".join("#" if c.isdigit() else c for c in first)[:110]


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


def api_cpu_seconds(serve: int) -> float:
    """CPU (user + system) of the API so far: the serve process, its live workers and, in its
    cutime/cstime, the workers it has reaped (a killed one is counted there once reaped)."""
    tick = os.sysconf("SC_CLK_TCK")

    def times(pid: int, reaped: bool) -> int:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile: its time moves to the parent's cutime
            return 0
        own = int(fields[11]) + int(fields[12])
        return own + (int(fields[13]) + int(fields[14]) if reaped else 0)

    total = times(serve, reaped=True) + sum(times(w, reaped=False) for w in workers_of(serve))
    return total / tick


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


def expect(answer: httpx.Response, what: str) -> dict[str, object]:
    """The answer's JSON, or stop the run saying which set-up step failed and why."""
    if answer.status_code >= 400:
        raise SystemExit(f"{what}: {answer.status_code} {answer.text}")
    body: dict[str, object] = answer.json()
    return body


def make_brand(data_dir: str, sa_url: str) -> dict[str, str]:
    """A brand account, made the way an operator makes one (brands cannot sign up)."""
    made = plaudit(
        "accounts", "create", "--handle", f"load-brand-{os.getpid()}", "--kind", "brand",
        "--json", "--data-dir", data_dir, "--database-url", sa_url,
    )  # fmt: skip
    if made.returncode != 0:
        raise SystemExit(f"plaudit accounts create --kind brand failed:\n{made.stderr}")
    token = json.loads(made.stdout)["token"]
    return {"Authorization": f"Bearer {token}"}


def open_campaign(
    base: str,
    brand: dict[str, str],
    videos: list[int],
    fans: list[tuple[int, dict[str, str]]],
    data_dir: str,
    sa_url: str,
) -> Market:
    """Consent, the persona refresh, an organisation and a funded like-to-donate campaign
    over `videos` whose audience is every fan, and every fan opted in."""
    with httpx.Client(base_url=base, timeout=60) as client:
        for _, headers in fans:
            consent = client.patch(
                "/v1/me/profile", json={"consent_targeting": True}, headers=headers
            )
            expect(consent, "targeting consent")
        refresh = plaudit("persona", "refresh", "--data-dir", data_dir, "--database-url", sa_url)
        if refresh.returncode != 0:
            raise SystemExit(f"plaudit persona refresh failed:\n{refresh.stderr}")
        org = expect(client.post("/v1/organisations", json={"name": "Load"}, headers=brand), "org")
        now = datetime.now(UTC)
        spec = {
            "name": "Load test: like to donate",
            "task": "donate",
            "segment": "role = fan",
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=6)).isoformat(),
            "budget_fen": 100_000_000,
            "reward_fen": 1,
            "video_ids": videos,
            "per_account_limit": 10_000,
            "charity": "Load test charity",
        }
        made = client.post(f"/v1/organisations/{org['id']}/campaigns", json=spec, headers=brand)
        campaign_id = int(str(expect(made, "the campaign")["id"]))
        for _, headers in fans:
            joined = client.post(f"/v1/campaigns/{campaign_id}/participants", headers=headers)
            expect(joined, "opt-in")
    return Market(brand, campaign_id, videos)


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
        market: Market,
    ) -> None:
        super().__init__(daemon=True)
        self.base, self.fans, self.videos, self.tally, self.stop = base, fans, videos, tally, stop
        self.market = market
        self.rng = random.Random(seed)
        self.mine: list[tuple[int, int, int]] = []  # like id, fan index, video

    def run(self) -> None:
        ops: dict[str, Callable[[httpx.Client], httpx.Response | None]] = {
            "like": self.like,
            "read": self.read,
            "receipt": self.receipt,
            "unlike": self.unlike,
            "segment": self.segment,
            "campaign": self.campaign_like,
        }
        names = [name for name, _ in MIX]
        weights = [weight for _, weight in MIX]
        client = httpx.Client(base_url=self.base, timeout=30)
        while not self.stop.is_set():
            op = self.rng.choices(names, weights)[0]
            began = time.perf_counter()
            try:
                answer = ops[op](client)
            except httpx.HTTPError as exc:
                self.tally.note(op, time.perf_counter() - began, type(exc).__name__)
                client.close()  # a killed worker: reconnect (to whichever worker accepts)
                client = httpx.Client(base_url=self.base, timeout=30)
                continue
            if answer is not None:
                self.tally.note(op, time.perf_counter() - began, str(answer.status_code))
                if answer.status_code >= 500:
                    self.tally.server_error(op, answer)
        client.close()

    def like(self, client: httpx.Client) -> httpx.Response | None:
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
        return answer

    def unlike(self, client: httpx.Client) -> httpx.Response | None:
        if not self.mine:
            return None
        like_id, index, video = self.mine.pop(self.rng.randrange(len(self.mine)))
        answer = client.delete(f"/v1/videos/{video}/likes", headers=self.fans[index][1])
        if answer.status_code == 200:
            with self.tally.lock:
                self.tally.unliked.add(like_id)
        return answer

    def read(self, client: httpx.Client) -> httpx.Response | None:
        # as a signed-in fan's app: anonymous reads from one address would measure the
        # per-address limit (rate_limit_anonymous), not the service
        headers = self.rng.choice(self.fans)[1]
        return client.get(f"/v1/videos/{self.rng.choice(self.videos)}", headers=headers)

    def segment(self, client: httpx.Client) -> httpx.Response | None:
        answer = client.post(
            "/v1/segments/count",
            json={"expression": self.rng.choice(SEGMENTS)},
            headers=self.market.brand,
        )
        return answer

    def campaign_like(self, client: httpx.Client) -> httpx.Response | None:
        fan, headers = self.rng.choice(self.fans)
        video = self.rng.choice(self.market.videos)
        answer = client.post(
            f"/v1/videos/{video}/likes",
            json={"source": self.market.source},
            headers=headers,
        )
        if answer.status_code in (200, 201):
            with self.tally.lock:
                self.tally.campaign_liked[int(answer.json()["id"])] = (fan, video)
        return answer

    def receipt(self, client: httpx.Client) -> httpx.Response | None:
        if not self.mine:
            return None
        like_id, index, _ = self.rng.choice(self.mine)
        answer = client.get(f"/v1/likes/{like_id}/receipt", headers=self.fans[index][1])
        return answer


def faults(
    duration: float,
    serve: subprocess.Popen[bytes],
    url: str,
    pg_data: str,
    report: list[str],
    restart: list[float],
) -> None:
    """At 25 %, 50 % and 75 % of the run: kill a worker, the integrator, restart PostgreSQL."""
    began = time.monotonic()

    def say(text: str) -> None:
        report.append(f"{time.monotonic() - began:6.1f} s  {text}")

    def at(fraction: float) -> None:
        time.sleep(max(0.0, began + duration * fraction - time.monotonic()))

    at(0.25)
    holders = integrators(url)
    others = [pid for pid in workers_of(serve.pid) if pid not in holders]
    if others:
        os.kill(others[0], signal.SIGKILL)
        say(f"kill -9 API worker {others[0]} (not the integrator)")
    at(0.5)
    holders = integrators(url)
    if holders:
        killed = holders[0]
        os.kill(killed, signal.SIGKILL)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 30:
            now = [pid for pid in integrators(url) if pid != killed]
            if now:
                say(
                    f"kill -9 integrator {killed}: {now[0]} took over in "
                    f"{time.monotonic() - t0:.1f} s"
                )
                break
            time.sleep(0.1)
        else:
            say(f"kill -9 integrator {killed}: NO takeover within 30 s")
    at(0.75)
    say("PostgreSQL: immediate stop, then start")
    restart.append(time.monotonic() - began)
    took = restart_postgres(pg_data)
    restart.append(time.monotonic() - began)
    say(f"PostgreSQL restarted (immediate stop, recovery, start) in {took:.1f} s")


def print_unavailable(tally: Tally) -> None:
    """The 503s outside PostgreSQL's restart (from its stop until 10 s after it is back),
    grouped by what they said: during the restart they are expected, elsewhere each one is
    a write that collided or a fault to explain."""
    down, back = [*tally.restart, float("inf"), float("inf")][:2]
    outside = [(op, detail) for at, op, detail in tally.unavailable_at
               if not down <= at <= back + 10]  # fmt: skip
    inside = len(tally.unavailable_at) - len(outside)
    print(f"503 answers: {inside:,} during the PostgreSQL restart window, {len(outside):,} "
          "outside it")  # fmt: skip
    for (op, detail), n in Counter(outside).most_common(8):
        print(f"  {n:5d} x {op}: {detail}")


def deadlocks(pg_data: str) -> int:
    """Deadlocks our PostgreSQL has detected so far (its log: one ERROR line each)."""
    try:
        log = (Path(pg_data) / "server.log").read_text(errors="replace")
    except OSError:
        return 0
    return log.count("ERROR:  deadlock detected")


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
    found: dict[int, bool] = dict(rows)
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


def check_campaign(url: str, base: str, tally: Tally, market: Market) -> list[str]:
    """Acknowledged campaign likes are stored with the campaign's source, active, each with
    its one completion; the videos' public `incentivised` counts equal their rows."""
    liked = list(tally.campaign_liked)
    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute(
            "SELECT count(*) FROM likes l JOIN campaign_likes c ON c.like_id = l.id "
            "WHERE l.id = ANY(%s) AND l.source = %s AND l.removed_at IS NULL "
            "AND c.campaign_id = %s AND c.completion_id IS NOT NULL",
            (liked, market.source, market.campaign_id),
        ).fetchone()[0]  # type: ignore[index]
        rows = conn.execute(
            "SELECT count(*), count(DISTINCT completion_id) FROM campaign_likes "
            "WHERE campaign_id = %s",
            (market.campaign_id,),
        ).fetchone()
        completions = conn.execute(
            "SELECT count(*) FROM completions WHERE campaign_id = %s", (market.campaign_id,)
        ).fetchone()[0]  # type: ignore[index]
        active: dict[int, int] = dict(
            conn.execute(
                "SELECT video_id, count(*) FROM likes WHERE video_id = ANY(%s) "
                "AND removed_at IS NULL AND source LIKE 'campaign:%%' GROUP BY video_id",
                (market.videos,),
            ).fetchall()
        )
    assert rows is not None
    with httpx.Client(base_url=base, timeout=30) as client:
        shown = {
            video: int(client.get(f"/v1/videos/{video}").json()["incentivised"])
            for video in market.videos
        }
    differ = sum(1 for video in market.videos if shown[video] != active.get(video, 0))
    once = "one each" if rows[0] == rows[1] == completions else "DIFFER"
    return [
        f"acknowledged campaign likes: {len(liked):,}, present with source, active and "
        f"completed: {found:,}, lost: {len(liked) - found}",
        f"campaign like rows {rows[0]:,}, their completions {rows[1]:,}, completions of the "
        f"campaign {completions:,}: {once}",
        f"campaign videos whose incentivised count differs from their rows: {differ} of "
        f"{len(market.videos)} (incentivised {sum(shown.values()):,})",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600, help="seconds of load")
    parser.add_argument("--clients", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=4, help="API worker processes")
    parser.add_argument("--fans", type=int, default=400, help="accounts the clients like as")
    parser.add_argument(
        "--pg-port",
        type=int,
        default=54377,
        help="our own PostgreSQL's port (not the shared "
        "test server's 54340: this one is restarted)",
    )
    parser.add_argument(
        "--pg-data", default="/tmp/plaudit-load-pg-54377", help="its data directory"
    )
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
    brand = make_brand(data_dir, sa_url)
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
            rows = conn.execute(
                "SELECT id FROM videos ORDER BY id LIMIT %s", (2000 + CAMPAIGN_VIDEOS,)
            )
            videos = [r[0] for r in rows]
        fans = make_fans(base, args.fans)
        market = open_campaign(base, brand, videos[-CAMPAIGN_VIDEOS:], fans, data_dir, sa_url)
        print(f"campaign {market.campaign_id} running, {len(fans)} fans opted in", flush=True)
        videos = videos[:-CAMPAIGN_VIDEOS]
        began = time.monotonic()
        size, events = wait_ledger(url, within=600)
        print(f"ledger caught up with the demo ({size:,} of {events:,} entries) in "
              f"{time.monotonic() - began:.0f} s", flush=True)  # fmt: skip
        run(args, base, url, sa_url, data_dir, serve, fans, videos, market)
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
    market: Market,
) -> None:
    tally, stop, report = Tally(), threading.Event(), list[str]()
    share = max(1, len(fans) // args.clients)
    clients = [
        Client(base, fans[i * share : (i + 1) * share], videos, tally, stop, i, market)
        for i in range(args.clients)
    ]
    fault = threading.Thread(
        target=faults,
        args=(args.duration, serve, url, args.pg_data, report, tally.restart),
        daemon=True,
    )
    deadlocks_before = deadlocks(args.pg_data)
    cpu_api, cpu_clients = api_cpu_seconds(serve.pid), time.process_time()
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
    cpu_api = api_cpu_seconds(serve.pid) - cpu_api
    cpu_clients = time.process_time() - cpu_clients
    answered = sum(len(times) for times in tally.latencies.values())
    print(f"\n{args.workers} workers, {args.clients} clients, {elapsed:.0f} s, load average "
          f"{os.getloadavg()[0]:.1f} (1 min)")  # fmt: skip
    print(f"CPU: API processes {cpu_api:.0f} s ({cpu_api / answered * 1000:.2f} ms per "
          f"request, {answered:,} requests), the clients {cpu_clients:.0f} s; PostgreSQL "
          "not counted")  # fmt: skip
    print(f"{'operation':<10}{'per s':>8}{'p50 ms':>9}{'p99 ms':>9}  statuses")
    for op, _ in MIX:
        times = tally.latencies.get(op, [])
        if not times:
            continue
        statuses = ", ".join(f"{k}: {v}" for k, v in tally.statuses[op].most_common())
        print(f"{op:<10}{len(times) / elapsed:8.1f}{percentile(times, 0.5):9.1f}"
              f"{percentile(times, 0.99):9.1f}  {statuses}")  # fmt: skip
    print("\nserver errors other than 503 (at most 20):")
    for line in tally.errors or ["none"]:
        print(f"  {line}")
    windows = ", ".join(f"{t}-{t + 5} s: {n}" for t, n in sorted(tally.unavailable.items()))
    print(f"5xx answers per 5 s of the run: {windows or 'none'}; not problem+json: "
          f"{tally.not_problem}")  # fmt: skip
    print_unavailable(tally)
    found = deadlocks(args.pg_data) - deadlocks_before
    print(f"deadlocks PostgreSQL detected: {found} (each victim's write is run again)")
    print("\nfaults:")
    for line in report:
        print(f"  {line}")
    print("\nchecks:")
    for line in check(url, tally, data_dir, sa_url) + check_campaign(url, base, tally, market):
        print(f"  {line}")


if __name__ == "__main__":
    main()
