"""Start-up benchmark: time from process start to the first 200 on `GET /healthz`.

    python benchmarks/startup.py [--rounds 5]

Runs `plaudit serve` on a data directory already set up (the database migrated by a first
start that is not counted; a restart is what an operator waits for), and two anchors in the
same run: `python -c pass` (the interpreter alone) and a bare uvicorn app answering 200 to
everything (the server with no application). Prints the medians and the ratio to the bare
app. Target: Plaudit answers within 0.5 s of start (issue 18), which needs the numeric
stacks (implicit, NumPy, SciPy, DuckDB, pyarrow) to load on the first request that uses
them, not at import.
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


def _first_200(command: list[str], port: int, timeout: float = 60.0) -> float:
    """Seconds from spawning `command` to its first 200 on /healthz; the process is stopped."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(timeout=1.0) as client:
            while time.perf_counter() - started < timeout:
                try:
                    if client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                if process.poll() is not None:
                    raise SystemExit(f"{command[0]} exited with {process.returncode}")
                time.sleep(0.005)
        raise SystemExit(f"no 200 on /healthz within {timeout} s")
    finally:
        process.terminate()
        process.wait(timeout=30)


def _interpreter() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def _plaudit(data_dir: Path) -> float:
    port = _free_port()
    plaudit = str(Path(sys.executable).with_name("plaudit"))
    return _first_200([plaudit, "serve", "--data-dir", str(data_dir), "--port", str(port)], port)


def _bare() -> float:
    port = _free_port()
    return _first_200([sys.executable, "-c", BARE_APP, str(port)], port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        first = _plaudit(data_dir)  # creates and migrates the database: not counted
        times: dict[str, list[float]] = {"python -c pass": [], "bare uvicorn": [], "plaudit": []}
        for _ in range(args.rounds):  # interleaved, so that load changes hit all three
            times["python -c pass"].append(_interpreter())
            times["bare uvicorn"].append(_bare())
            times["plaudit"].append(_plaudit(data_dir))
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"load average {os.getloadavg()[0]:.2f}; first start with migration {first:.3f} s")
    for name, value in medians.items():
        print(f"{name:>16}: median {value:.3f} s over {args.rounds} (min {min(times[name]):.3f})")
    ratio = medians["plaudit"] / medians["bare uvicorn"]
    print(f"plaudit / bare uvicorn = {ratio:.2f}x; target plaudit <= 0.5 s")


if __name__ == "__main__":
    main()
