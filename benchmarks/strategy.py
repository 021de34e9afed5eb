"""Recommender training time on the medium demo community and request latency from
precomputed factors (issue 6, item 6).

    python benchmarks/strategy.py [--size medium] [--requests 2000] [--dir DIR]

The community (1 M accounts, 200 k videos, 20 M interactions for `medium`) is generated with
`plaudit.sim.generate` directly, not loaded into a database first: loading 20 M interactions
through bulk ingest takes far longer than training, and training reads the same pairs either
way. Likes that were later unliked are dropped, as `read_likes` drops them. The pairs are
cached as .npz in --dir for reruns.

Figures and anchors, all measured in this run:
- training (index + ALS fit + features) against the 600 s target, and against one plain pass
  that builds the sparse account x video matrix from the pairs;
- a recommendation request (score every video, exclude seen, top 20) at p50/p99 against a
  plain matrix-vector product of the same factors (BLAS on one thread, as the request runs
  it) and a no-op call; target p99 <= 50 ms.
The database reads of a real request (consent, live likes) are not included.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

from plaudit.recommend import EngineParams, Feedback
from plaudit.recommend.artifacts import TrainedModel
from plaudit.recommend.serving import Ranker
from plaudit.recommend.source import CATEGORY_INDEX, Catalogue
from plaudit.recommend.training import train_model
from plaudit.sim import SIZES, InteractionsChunk, VideosChunk, generate

TARGET_TRAIN_S = 600.0
TARGET_P99_MS = 50.0
END = datetime(2026, 11, 1, tzinfo=UTC)


def community(size: str, cache: Path) -> tuple[Feedback, Catalogue]:
    """Likes (minus unliked pairs) and the catalogue of a generated community."""
    if cache.exists():
        saved = np.load(cache)
        return (
            Feedback(saved["accounts"], saved["videos"]),
            Catalogue(saved["video_ids"], saved["creators"], saved["categories"]),
        )
    likes: list[tuple[int, int]] = []
    unlikes: list[tuple[int, int]] = []
    videos: list[tuple[int, int, int]] = []
    for chunk in generate(SIZES[size], seed=42, end=END):
        if isinstance(chunk, VideosChunk):
            videos += [(r.id, r.creator_id, CATEGORY_INDEX[r.category]) for r in chunk.rows]
        elif isinstance(chunk, InteractionsChunk):
            likes += [(i.account_id, i.target_id) for i in chunk.items if i.kind == "like"]
            unlikes += [(i.account_id, i.target_id) for i in chunk.items if i.kind == "unlike"]
    pairs = np.array(likes, dtype=np.int64)
    gone = np.array(unlikes, dtype=np.int64).reshape(-1, 2)
    width = int(pairs[:, 1].max()) + 1
    keep = ~np.isin(pairs[:, 0] * width + pairs[:, 1], gone[:, 0] * width + gone[:, 1])
    table = np.array(videos, dtype=np.int64)
    arrays = {
        "accounts": pairs[keep, 0],
        "videos": pairs[keep, 1],
        "video_ids": table[:, 0],
        "creators": table[:, 1],
        "categories": table[:, 2].astype(np.int16),
    }
    np.savez(cache, **arrays)
    return (
        Feedback(arrays["accounts"], arrays["videos"]),
        Catalogue(arrays["video_ids"], arrays["creators"], arrays["categories"]),
    )


def matrix_pass(feedback: Feedback) -> float:
    """Seconds to build the account x video matrix from the pairs: the data-pass anchor."""
    started = time.perf_counter()
    _, users = np.unique(feedback.accounts, return_inverse=True)
    _, items = np.unique(feedback.videos, return_inverse=True)
    sp.csr_matrix((np.ones(len(users), dtype=np.float32), (users, items)))
    return time.perf_counter() - started


def percentiles(samples: list[float]) -> tuple[float, float]:
    ms = np.array(samples) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def latency(model: TrainedModel, requests: int) -> dict[str, tuple[float, float]]:
    """p50/p99 in ms of a request and of its anchors, over random accounts of the model."""
    ranker = Ranker(model)
    rng = np.random.default_rng(1)
    accounts = rng.choice(model.account_ids, requests)
    none = np.empty(0, dtype=np.int64)
    factors = model.engine.item_factors
    blas = ThreadpoolController()
    timings: dict[str, list[float]] = {"request": [], "creators": [], "matvec": [], "noop": []}
    for account in accounts.tolist():
        started = time.perf_counter()
        scores = ranker.personal(account)
        assert scores is not None
        ranker.videos(scores, account, none, 20)
        timings["request"].append(time.perf_counter() - started)
        started = time.perf_counter()
        ranker.creators(ranker.personal(account), account, none, 20)  # type: ignore[arg-type]
        timings["creators"].append(time.perf_counter() - started)
        row = model.user_of(account)
        started = time.perf_counter()
        with blas.limit(limits=1, user_api="blas"):  # as the request runs it
            factors @ model.engine.user_factors[row]
        timings["matvec"].append(time.perf_counter() - started)
        started = time.perf_counter()
        model.user_of(account)
        timings["noop"].append(time.perf_counter() - started)
    return {name: percentiles(values) for name, values in timings.items()}


def train(size: str, folder: Path) -> None:
    """Generate (or read the cached) community, train, print the figures, save the model."""
    started = time.perf_counter()
    feedback, catalogue = community(size, folder / f"{size}.npz")
    print(f"community {size}: {len(feedback):,} likes ready in "
          f"{time.perf_counter() - started:.0f} s (generated or cached)")  # fmt: skip
    anchor = matrix_pass(feedback)
    started = time.perf_counter()
    model = train_model(feedback, catalogue, EngineParams())
    seconds = time.perf_counter() - started
    print(
        f"train: {seconds:.1f} s ({model.meta['train_seconds']:.1f} s ALS fit) for "
        f"{model.meta['likes']:,} likes, {len(model.account_ids):,} accounts, "
        f"{len(model.video_ids):,} videos; {seconds / TARGET_TRAIN_S:.2f}x the 600 s target, "
        f"{seconds / anchor:.1f}x one matrix-building pass ({anchor:.1f} s)"
    )
    model.save(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="medium", choices=sorted(SIZES))
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/plaudit-bench-strategy"))
    parser.add_argument(
        "--reuse-model", action="store_true", help="Time requests on the model in --dir only."
    )
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(f"cores available: {len(os.sched_getaffinity(0))}; load average {os.getloadavg()}")
    if not args.reuse_model:
        train(args.size, args.dir)
    loaded = TrainedModel.load(args.dir)
    assert loaded is not None, f"no trained model in {args.dir}"
    figures = latency(loaded, args.requests)
    request_p50, request_p99 = figures["request"]
    print(
        f"videos request: p50 {request_p50:.2f} ms, p99 {request_p99:.2f} ms "
        f"({request_p99 / TARGET_P99_MS:.2f}x the 50 ms target; "
        f"{request_p99 / figures['matvec'][1]:.1f}x a plain mat-vec p99 "
        f"{figures['matvec'][1]:.2f} ms; no-op p99 {figures['noop'][1] * 1000:.1f} us)"
    )
    creators_p50, creators_p99 = figures["creators"]
    print(f"creators request: p50 {creators_p50:.2f} ms, p99 {creators_p99:.2f} ms")


if __name__ == "__main__":
    main()
