"""Start-up benchmark: time from process start to the first 200 on `GET /healthz`.

    python benchmarks/startup.py [--rounds 5]

    python benchmarks/startup.py [--rounds 5] [--baseline-src DIR]

Runs `plaudit serve` on a data directory already set up (the database migrated by a first
start that is not counted; a restart is what an operator waits for), and two anchors in the
same run: `python -c pass` (the interpreter alone) and a bare uvicorn app answering 200 to
everything (the server with no application). For Plaudit it times two answers: the first
200 on `GET /healthz` (the server answers) and then the first 200 on `GET /v1/videos` (the
API is imported, its database open: ready for real requests). `--baseline-src DIR` also
runs the Plaudit whose `src` directory is DIR (e.g. an export of main) in the same rounds,
as "baseline". Prints the medians, the ratio to the bare app and the load average. Target:
Plaudit answers within 0.5 s of start (issue 18): the API and the numeric stacks (implicit,
NumPy, SciPy, DuckDB, pyarrow) load after the first answer or on the first request that
uses them.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BARE_APP = """
import sys, uvicorn
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _first_200s(
    command: list[str],
    port: int,
    paths: tuple[str, ...] = ("/healthz",),
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> list[float]:
    """Seconds from spawning `command` to its first 200 on each of `paths`, asked in turn;
    the process is stopped."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    times: list[float] = []
    try:
        with httpx.Client(timeout=10.0) as client:
            for path in paths:
                while time.perf_counter() - started < timeout:
                    try:
                        if client.get(f"http://127.0.0.1:{port}{path}").status_code == 200:
                            times.append(time.perf_counter() - started)
                            break
                    except httpx.TransportError:
                        pass
                    if process.poll() is not None:
                        raise SystemExit(f"{command[0]} exited with {process.returncode}")
                    time.sleep(0.005)
                else:
                    raise SystemExit(f"no 200 on {path} within {timeout} s")
        return times
    finally:
        process.terminate()
        process.wait(timeout=30)


def _interpreter() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def _plaudit(data_dir: Path, src: Path | None = None) -> list[float]:
    """(first answer, ready) of `plaudit serve`; from the sources in `src` when given."""
    port = _free_port()
    command = [sys.executable, "-m", "plaudit", "serve"]
    command += ["--data-dir", str(data_dir), "--port", str(port)]
    env = None
    if src is not None:
        env = {**os.environ, "PYTHONPATH": str(src.resolve())}
    return _first_200s(command, port, ("/healthz", "/v1/videos?limit=1"), env)


def _bare() -> float:
    port = _free_port()
    return _first_200s([sys.executable, "-c", BARE_APP, str(port)], port)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--baseline-src", type=Path, help="also time the Plaudit of this src directory"
    )
    args = parser.parse_args()
    plaudits = {"plaudit": None} if args.baseline_src is None else {}
    if args.baseline_src is not None:
        plaudits = {"baseline": args.baseline_src, "plaudit": None}
    times: dict[str, list[float]] = {"python -c pass": [], "bare uvicorn": []}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        first = _plaudit(data_dir)[1]  # creates and migrates the database: not counted
        for _ in range(args.rounds):  # interleaved, so that load changes hit all of them
            times["python -c pass"].append(_interpreter())
            times["bare uvicorn"].append(_bare())
            for name, src in plaudits.items():
                answered, ready = _plaudit(data_dir, src)
                times.setdefault(f"{name} answers", []).append(answered)
                times.setdefault(f"{name} ready", []).append(ready)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"load average {os.getloadavg()[0]:.2f}; first start with migration {first:.3f} s")
    for name, value in medians.items():
        print(f"{name:>18}: median {value:.3f} s over {args.rounds} (min {min(times[name]):.3f})")
    for name in plaudits:
        ratio = medians[f"{name} answers"] / medians["bare uvicorn"]
        print(f"{name} answers / bare uvicorn = {ratio:.2f}x")
    print("target: plaudit answers <= 0.5 s")


if __name__ == "__main__":
    main()
