"""Recommender training on the event lake, on both engines: time, CPU and metrics.

    python benchmarks/recommend_lake.py --data-dir DIR [--lake URL] [--engines local,spark]
                                        [--master 'local[2]'] [--skip-eval]

DIR is a platform with likes and a lake (`plaudit demo --data-dir DIR` then `plaudit lake
export --data-dir DIR`; the lake defaults to DIR/lake). For each engine, timed:

1. `train_on_lake` with the default parameters (what `plaudit strategy train --lake LAKE
   --engine E` runs: reading the lake, the ALS fit, the features, saving the model into DIR);
2. `evaluate_lake`, the random split with seed 0 (what `plaudit strategy eval --lake`
   reports): Recall@10 and NDCG@10 of ALS alone and of the engine's blend.

Each figure is printed with its wall time, the CPU time (user + sys) of this process and,
on Spark, of the JVM it started (the executors of `local[N]` are JVM threads), and the load
average when it ended. The anchor, in the same run: one pass that builds the sparse account
x video matrix from the pairs the local engine read (the least any training does; the mean of
five); every wall and CPU time is also printed as its ratio to the anchor's.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from plaudit.config import load_settings
from plaudit.platform import Platform
from plaudit.recommend.lake import lake_training

_TICKS = os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _jvm_cpu(session: Any) -> float:
    """utime + stime of the Spark JVM (0 without one)."""
    if session is None:
        return 0.0
    pid = session.sparkContext._gateway.proc.pid
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def timed(session: Any, run: Callable[[], Any]) -> tuple[Any, float, float, float]:
    """(result, wall s, CPU s of this process and the JVM, 1-minute load average)."""
    cpu, jvm, started = _own_cpu(), _jvm_cpu(session), time.perf_counter()
    result = run()
    wall = time.perf_counter() - started
    spent = _own_cpu() - cpu + _jvm_cpu(session) - jvm
    return result, wall, spent, os.getloadavg()[0]


def _line(label: str, wall: float, cpu: float, load: float, anchor: tuple[float, float]) -> str:
    return (
        f"{label:<28} wall {wall:8.2f} s ({wall / anchor[0]:6.1f}x anchor)  "
        f"cpu {cpu:8.2f} s ({cpu / anchor[1]:6.1f}x anchor)  load {load:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--lake")
    parser.add_argument("--engines", default="local,spark")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--skip-eval", action="store_true")
    args = parser.parse_args()
    lake = args.lake or str(Path(args.data_dir) / "lake")
    engines = args.engines.split(",")
    platform = Platform(load_settings(flags={"data_dir": args.data_dir}, env={})).open()
    try:
        feedback = lake_training(lake, "local").feedback
        _, wall, cpu, load = timed(None, lambda: [feedback.index().matrix() for _ in range(5)])
        anchor = (wall / 5, max(cpu / 5, 1e-3))
        print(f"{len(feedback):,} training likes in {lake}")
        print(_line("anchor: build the matrix", *anchor, load, anchor))
        service = platform.recommender
        for engine in engines:
            session = session_for(args.master) if engine == "spark" else None
            model, wall, cpu, load = timed(
                session, lambda e=engine, s=session: service.train_on_lake(lake, e, spark=s)
            )
            print(_line(f"{engine}: train", wall, cpu, load, anchor))
            shape = f"{len(model.account_ids):,} accounts x {len(model.video_ids):,} videos"
            print(f"  model {model.id}: {model.meta['likes']:,} likes, {shape}")
            if not args.skip_eval:
                report, wall, cpu, load = timed(
                    session,
                    lambda e=engine, s=session: service.evaluate_lake(
                        lake, e, "random", 0, spark=s
                    ),
                )
                print(_line(f"{engine}: eval (random, 0)", wall, cpu, load, anchor))
                for name, result in report.models.items():
                    print(f"  {name:<7} Recall@10 {result.recall:.4f}  NDCG@10 {result.ndcg:.4f}  "
                          f"(fit {result.train_seconds:.1f} s; {report.test_accounts:,} "
                          "test accounts)")  # fmt: skip
            if session is not None:
                session.stop()
    finally:
        platform.close()


def session_for(master: str) -> Any:
    from plaudit.authenticity.lake_scan import spark_session

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    config = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}
    session = spark_session(master, config)
    session.sparkContext.setLogLevel("ERROR")
    return session


if __name__ == "__main__":
    main()
