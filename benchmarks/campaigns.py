"""Campaign benchmark: the cost of an incentivised like, and settlement throughput.

    python benchmarks/campaigns.py [--database-url URL] [--fans 2000]

In one process on SQLite (or --database-url), with the writer thread as `plaudit serve` runs
it: `--fans` fans each like one video with source `app` (the anchor: the plain like path),
then each likes another video with source `campaign:<id>` of a like-to-donate campaign they
opted in to (the source policy runs in the like's transaction). Prints both rates and their
ratio, then settles every completion (reward_hold = none) and prints releases per second
against the same anchor. Figures and the machine they came from: docs/campaigns.md.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from plaudit.campaigns import CampaignSpec
from plaudit.config import load_settings
from plaudit.persona import compute_index
from plaudit.platform import Platform
from plaudit.store import utcnow

BATCH = 256


async def _like_all(platform: Platform, fans: list[int], video: int, source: str) -> float:
    start = time.perf_counter()
    for i in range(0, len(fans), BATCH):
        chunk = fans[i : i + BATCH]
        await asyncio.gather(*(platform.interactions.like(f, video, source) for f in chunk))
    return time.perf_counter() - start


def _setup(platform: Platform, fans: int) -> tuple[list[int], list[int], int]:
    brand, _ = platform.accounts.create("bench-brand", "brand")
    org = platform.campaigns.create_organisation(brand.id, "Bench")
    creator, _ = platform.accounts.create("bench-creator", "creator")
    videos = [platform.videos.publish(creator.id, f"v{i}", "education").id for i in range(2)]
    ids = []
    for i in range(fans):
        account, _ = platform.accounts.create(f"bench-fan{i}", "fan")
        platform.accounts.update_profile(account.id, {"gender": "female", "birth_year": 1995})
        ids.append(account.id)
    compute_index(platform.db).save(platform.settings.data_path)
    now = utcnow()
    spec = CampaignSpec(
        name="bench",
        task="donate",
        segment="gender = female",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
        budget_fen=10**9,
        reward_fen=10,
        video_ids=(videos[1],),
        charity="Bench Foundation",
    )
    campaign = platform.campaigns.create_campaign(brand.id, org.id, spec)
    for fan in ids:
        platform.campaigns.opt_in(fan, campaign.id)
    return ids, videos, campaign.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--fans", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        flags = {"data_dir": str(Path(tmp) / "data"), "reward_hold": "none"}
        if args.database_url:
            flags["database_url"] = args.database_url
        platform = Platform(load_settings(flags=flags, env={})).open(writer_thread=True)
        try:
            fans, videos, campaign_id = _setup(platform, args.fans)
            plain = asyncio.run(_like_all(platform, fans, videos[0], "app"))
            paid = asyncio.run(_like_all(platform, fans, videos[1], f"campaign:{campaign_id}"))
            start = time.perf_counter()
            summary = platform.campaigns.settle()
            settle = time.perf_counter() - start
        finally:
            platform.close()
    n = len(fans)
    anchor = n / plain
    print(f"plain likes (anchor):  {anchor:8.0f} /s")
    print(f"incentivised likes:    {n / paid:8.0f} /s  = {plain / paid:.2f} of the anchor rate")
    print(f"settlement releases:   {n / settle:8.0f} /s  = {plain / settle:.2f} of the anchor rate")
    print(f"settled: {summary.counts}")


if __name__ == "__main__":
    main()
