"""Write data/sample/interactions.csv, the README tour's "your own file" for
`plaudit authenticity scan --input`: likes of a small community made by Plaudit's own
simulator (plaudit.sim; no real person's data) with one like farm injected
(plaudit.authenticity.attacks), and its ground truth beside it.

    .venv/bin/python scripts/sample_interactions.py     # the same bytes every time
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from plaudit.authenticity.attacks import inject_all
from plaudit.authenticity.inject_file import write_likes
from plaudit.authenticity.sources import LikeCollector
from plaudit.authenticity.spec import parse_spec
from plaudit.authenticity.truth import write_truth
from plaudit.sim import CommunitySize, generate

SIZE = CommunitySize("sample", accounts=1500, creators=30, videos=150, interactions=9000, days=30)
ATTACKS = "farm:40x25:d=0.4"
SEED = 16
END = datetime(2026, 1, 1, tzinfo=UTC)
OUT = Path(__file__).resolve().parent.parent / "data" / "sample" / "interactions.csv"


def main() -> None:
    collect = LikeCollector()
    for chunk in generate(SIZE, seed=SEED, end=END):
        collect(chunk)
    organic, keys = collect.likes()
    attacks = parse_spec(ATTACKS)
    likes, truths = inject_all(organic, attacks, SEED)
    write_likes(OUT, likes, keys)
    truth = OUT.with_suffix(".truth.json")
    write_truth(truth, len(organic.account), likes, attacks, truths, SEED)
    print(f"{OUT}: {len(likes.account):,} likes ({len(organic.account):,} organic)")


if __name__ == "__main__":
    main()
