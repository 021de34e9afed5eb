"""EASE on a catalogue of the medium community's shape: the restricted fit and a request.

    python benchmarks/ease.py [--max-items 4000] [--l2 500]

A synthetic account x video matrix of the medium demo's shape (859,472 accounts x 179,707
videos, 16.5 M likes drawn with Zipf-like video popularity, exponent 0.8) stands in for the
community: building the community itself takes 35 minutes and EASE only sees the matrix.
Prints the time of EASE on the `--max-items` most-liked videos against building the sparse
matrix in the same run (the anchor), the size of B and the EASE part of a request (200
random accounts). Target: the whole medium training (ALS, features and EASE) within 600 s.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import scipy.sparse as sp

from plaudit.recommend.ease import fit_ease

ACCOUNTS, VIDEOS, LIKES = 859_472, 179_707, 16_500_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-items", type=int, default=4000)
    parser.add_argument("--l2", type=float, default=500.0)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    appeal = 1.0 / np.arange(1, VIDEOS + 1) ** 0.8
    items = rng.choice(VIDEOS, size=LIKES, p=appeal / appeal.sum())
    users = rng.integers(0, ACCOUNTS, size=LIKES)
    likes = np.ones(LIKES, dtype=np.float32)
    matrix = sp.csr_matrix((likes, (users, items)), shape=(ACCOUNTS, VIDEOS))
    matrix.data[:] = 1.0
    build = time.perf_counter() - started
    started = time.perf_counter()
    weights = fit_ease(matrix, args.l2, args.max_items)
    fit = time.perf_counter() - started
    request = []
    for user in rng.integers(0, ACCOUNTS, 200):
        started = time.perf_counter()
        weights.scores(matrix[user : user + 1], VIDEOS)
        request.append(time.perf_counter() - started)
    print(f"load average {os.getloadavg()[0]:.2f}; {matrix.nnz:,} likes")
    print(f"anchor: building the sparse matrix {build:.1f} s")
    print(
        f"EASE on {args.max_items:,} videos: {fit:.1f} s = {fit / build:.1f}x the anchor; "
        f"B {weights.weights.nbytes / 1e6:.0f} MB"
    )
    p50, p99 = np.percentile(request, [50, 99]) * 1e3
    print(f"EASE part of a request: p50 {p50:.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
