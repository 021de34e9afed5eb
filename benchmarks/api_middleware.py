"""What the idempotency and rate-limit middlewares cost the like (issue 13).

    python benchmarks/api_middleware.py [--likes 1500] [--rounds 3] [--database-url URL]

Drives `POST /v1/videos/{id}/likes` in process (httpx over ASGI, 32 requests in flight, the
app's own lifespan and writer thread) on one app built by `create_app`, three ways,
interleaved round by round so drift hits all alike:

- anchor: the same app with `IdempotencyMiddleware` and `RateLimitMiddleware` taken out of
  its middleware list (everything else, the request guard included, stays);
- full: the app as served, no `Idempotency-Key` (the rate limiter counts, the idempotency
  middleware passes the request through);
- full + key: the app as served, every like with a fresh `Idempotency-Key` (a claim and a
  stored answer in the database per request).

Each like is a new (fan, video) pair, so every request does the like's real work. Prints the
rate of each, the cost per like in microseconds over the anchor and the ratio to it. Target:
the middlewares without a key cost at most 10% of the like (ratio >= 0.90); with a key, at
most 50% (ratio >= 0.67), since it adds a write.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
from fastapi import FastAPI

from plaudit.api import create_app
from plaudit.api.idempotency import IdempotencyMiddleware
from plaudit.api.ratelimit import RateLimitMiddleware
from plaudit.config import load_settings
from plaudit.platform import Platform

VARIANTS = ("anchor", "full", "full + key")
VIDEOS = 60
CONCURRENT = 32


def _community(platform: Platform, fans: int) -> tuple[list[int], list[str]]:
    creator = platform.accounts.create("bench-creator", "creator")[0].id
    videos = [platform.videos.publish(creator, f"clip {i}", "food", 30).id for i in range(VIDEOS)]
    tokens = [platform.accounts.create(f"bench-fan{i}", "fan")[1] for i in range(fans)]
    return videos, tokens


def _without_middlewares(app: FastAPI) -> FastAPI:
    """The anchor: Starlette builds the stack from `user_middleware` on the first request."""
    removed = (IdempotencyMiddleware, RateLimitMiddleware)
    app.user_middleware = [m for m in app.user_middleware if m.cls not in removed]
    return app


def _pairs(videos: list[int], tokens: list[str]) -> Iterator[tuple[int, str]]:
    """Distinct (video, fan) pairs, video by video, so a fan's likes are hundreds of requests
    apart (the real-time rules' velocity limits would refuse a fan liking in a burst)."""
    return iter([(video, token) for video in videos for token in tokens])


async def _drive(app: FastAPI, pairs: list[tuple[int, str]], keyed: bool) -> tuple[float, int]:
    """Likes per second through `app` with CONCURRENT requests in flight (as a server sees
    them: the writer thread commits them in groups), and how many were not 2xx."""
    transport = httpx.ASGITransport(app=app)
    failed = 0
    queue = iter(pairs)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failed
        for video, token in queue:
            headers = {"Authorization": f"Bearer {token}"}
            if keyed:
                headers["Idempotency-Key"] = f'"{uuid.uuid4()}"'
            answer = await client.post(f"/v1/videos/{video}/likes", headers=headers)
            failed += answer.status_code >= 300

    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENT)))
        took = time.perf_counter() - started
    return len(pairs) / took, failed


async def _run(args: argparse.Namespace, data: Path) -> dict[str, list[float]]:
    flags = {"data_dir": str(data)}
    if args.database_url:
        flags["database_url"] = args.database_url
    settings = load_settings(flags=flags, env={})
    platform = Platform(settings)
    full = create_app(settings, platform)
    anchor = _without_middlewares(create_app(settings, platform))
    apps = {"anchor": anchor, "full": full, "full + key": full}
    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    async with full.router.lifespan_context(full):
        videos, tokens = _community(platform, args.fans)
        pairs = _pairs(videos, tokens)
        warm = [next(pairs) for _ in range(200)]
        await _drive(anchor, warm[:100], False)
        await _drive(full, warm[100:], True)
        for _ in range(args.rounds):
            for name in VARIANTS:
                batch = [next(pairs) for _ in range(args.likes)]
                rate, failed = await _drive(apps[name], batch, keyed=name == "full + key")
                if failed:
                    print(f"  {name}: {failed} of {len(batch)} likes were not 2xx")
                rates[name].append(rate)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--likes", type=int, default=1500, help="likes per variant per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--fans", type=int, default=800, help="fan accounts liking")
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="plaudit-mw-") as tmp:
        rates = asyncio.run(_run(args, Path(tmp) / "data"))
    median = {name: statistics.median(values) for name, values in rates.items()}
    anchor_us = 1e6 / median["anchor"]
    print(f"like, anchor (no idempotency/rate-limit middleware): {median['anchor']:8.0f} likes/s"
          f"  {anchor_us:7.1f} us/like")  # fmt: skip
    targets = {"full": 0.90, "full + key": 0.67}
    for name in ("full", "full + key"):
        per_us = 1e6 / median[name]
        ratio = median[name] / median["anchor"]
        verdict = "met" if ratio >= targets[name] else "MISSED"
        print(
            f"like, {name:<10}: {median[name]:8.0f} likes/s  {per_us:7.1f} us/like  "
            f"(+{per_us - anchor_us:6.1f} us)  ratio to anchor {ratio:5.2f} "
            f"(target >= {targets[name]:.2f}: {verdict})"
        )
    for name in VARIANTS:
        print(f"  {name:<10} per round: {', '.join(f'{r:.0f}' for r in rates[name])} likes/s")
    print(f"rounds: {args.rounds} x {args.likes} likes per variant, medians shown")


if __name__ == "__main__":
    main()
