"""Member growth around candidate blocks: through an `EdgeIndex` against scanning every edge.

    python benchmarks/member_growth.py [--edges 2000000] [--candidates 10]

The dense detector's popularity check grows every cohort candidate to its members over the
whole graph (`blocks.whole_blocks`); on the medium demo (16.5 M edges) that was most of the
scan. This builds a graph of organic-looking likes (Zipf-popular videos, accounts of
log-normal activity) with `--candidates` planted farms of 60 accounts x 80 videos, and grows
a block seeded with a third of each farm's accounts both ways: through one index of the
graph (built once, its build counted) and, as the anchor measured in the same run, by the
scan of every edge that growth did before the index. It checks the two give the same
blocks and prints both CPU times, their ratio and the load average.
"""

from __future__ import annotations

import argparse
import os
import resource
from collections.abc import Callable

import numpy as np

from plaudit.authenticity.blocks import (
    Block,
    BlockSettings,
    EdgeIndex,
    Graph,
    _final_members,
    _mask,
    _scored,
    corrected,
    whole_blocks,
)

MEMBERS = BlockSettings(member_score=6.0, member_edges=3, min_share=0.3, member_fdr=0.01)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def graph_with_farms(edges: int, farms: int, seed: int = 1) -> tuple[Graph, list[Block]]:
    """`edges` organic likes plus `farms` farms, and a seed block of a third of each farm."""
    rng = np.random.default_rng(seed)
    accounts, videos = max(1000, edges // 20), max(500, edges // 100)
    activity = rng.lognormal(0.0, 1.0, accounts)
    rows = rng.choice(accounts, edges, p=activity / activity.sum())
    popularity = 1.0 / np.arange(1, videos + 1) ** 0.9
    cols = rng.choice(videos, edges, p=popularity / popularity.sum())
    farm_rows, farm_cols, planted = [], [], []
    for k in range(farms):
        members = accounts + 60 * k + np.arange(60)
        targets = rng.choice(np.arange(videos // 10, videos), 80, replace=False)
        who, what = np.nonzero(rng.random((60, 80)) < 0.3)
        farm_rows.append(members[who])
        farm_cols.append(targets[what])
        planted.append((members, np.sort(targets)))
    n_rows = accounts + 60 * farms
    keys = np.unique(
        np.concatenate([rows, *farm_rows]) * videos + np.concatenate([cols, *farm_cols])
    )
    rows, cols = keys // videos, keys % videos
    graph = Graph(
        rows=rows.astype(np.int64),
        cols=cols.astype(np.int64),
        origin=np.arange(len(rows), dtype=np.int64),
        row_degree=np.bincount(rows, minlength=n_rows).astype(np.float64),
        col_degree=np.bincount(cols, minlength=videos).astype(np.float64),
        total=float(len(rows)),
        capped=True,
    )
    every_edge = np.arange(len(rows), dtype=np.int64)
    seeds = [
        _scored(
            graph,
            every_edge,
            _mask(members[:20], n_rows),
            _mask(targets, videos),
            np.full(n_rows, 10.0),
        )
        for members, targets in planted
    ]
    return graph, seeds


def timed(work: Callable[[], list[Block]]) -> tuple[float, list[Block]]:
    started = cpu()
    blocks = work()
    return cpu() - started, blocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=int, default=2_000_000, help="Organic likes.")
    parser.add_argument("--candidates", type=int, default=10, help="Planted farms to grow.")
    args = parser.parse_args()
    graph, seeds = graph_with_farms(args.edges, args.candidates)
    settings = corrected(MEMBERS, len(graph.row_degree))

    def indexed() -> list[Block]:
        index = EdgeIndex.of(graph)
        return [whole_blocks(graph, [seed], MEMBERS, index=index)[0] for seed in seeds]

    def scanned() -> list[Block]:
        return [_final_members(graph, [seed], 0, settings) for seed in seeds]

    anchor, by_scan = timed(scanned)
    figure, by_index = timed(indexed)
    same = all(
        np.array_equal(a.rows, b.rows) and np.array_equal(a.edges, b.edges) and a.score == b.score
        for a, b in zip(by_index, by_scan, strict=True)
    )
    grown = sum(len(b.rows) for b in by_index) / max(1, sum(len(s.rows) for s in seeds))
    print(f"graph: {len(graph.rows):,} edges, {len(seeds)} candidates (grown {grown:.1f}x)")
    print(f"anchor, scanning every edge: {anchor:.2f} s of CPU")
    print(f"through one EdgeIndex (build included): {figure:.2f} s of CPU")
    print(f"ratio: {figure / anchor:.3f} of the anchor; same blocks: {same}")
    print(f"load average {os.getloadavg()[0]:.1f}")
    if not same:
        raise SystemExit("the index gave other blocks than the scan")


if __name__ == "__main__":
    main()
