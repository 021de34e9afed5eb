"""The scan's counting shortcuts give exactly what their plain definitions give.

The lockstep cells, the trending counts and the Poisson scores were rewritten for speed at
20 M likes (one sort shared by the cell numbering and the trending counts, a histogram for
the counts of all likes, scores only where a count is positive); a verdict depends on every
one of these numbers, so each is checked against its definition on random inputs.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from plaudit.authenticity.blocks import _compact, _peel, column_weights
from plaudit.authenticity.detectors import _by_video, _cells, _time_counter
from plaudit.authenticity.stats import poisson_scores
from plaudit.authenticity.table import from_arrays
from plaudit.interactions.model import ip_prefix, is_public_prefix, network_code

likes = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 6), st.integers(0, 40_000)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(likes, st.sampled_from([600, 3600, 3601, 7200]))
def test_cells_are_numbered_as_the_sorted_video_grid_window_keys(
    rows: list[tuple[int, int, int]], window: int
) -> None:
    account, video, ts = (np.array(x, dtype=np.int64) for x in zip(*rows, strict=True))
    table = from_arrays(account, video, ts + 1_700_000_000)
    cols, cell_video, cell_slot = _cells(_by_video(table), window, table.n_videos)
    # The definition: a like is one edge per grid; a cell is a distinct (video, grid,
    # window), numbered in that order.
    n = len(table)
    grid = np.repeat([0, 1], n)
    videos = np.tile(table.video.astype(np.int64), 2)
    bucket = np.concatenate([table.ts // window, (table.ts + window // 2) // window])
    keys = np.stack([videos, grid, bucket], axis=1)
    cells, expected = np.unique(keys, axis=0, return_inverse=True)
    assert np.array_equal(cols, expected.ravel())
    assert np.array_equal(cell_video, cells[:, 0])
    assert np.array_equal(cell_slot, 2 * cells[:, 2] - cells[:, 1])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-50, 50), min_size=1, max_size=80),
    st.lists(st.tuples(st.integers(-60, 60), st.integers(0, 30)), min_size=1, max_size=20),
    st.sampled_from([1, 3, 5]),
    st.booleans(),
)
def test_likes_between_two_times_are_counted_exactly(
    times: list[int], bounds: list[tuple[int, int]], step: int, sparse_times: bool
) -> None:
    # Far-apart times make the histogram larger than the likes: the sorted-times path.
    ts = np.array(times, dtype=np.int64) * (10**7 if sparse_times else 1)
    lo = np.array([a for a, _ in bounds], dtype=np.int64) * step
    hi = lo + np.array([b for _, b in bounds], dtype=np.int64) * step
    count = _time_counter(ts, lo, step)
    expected = [int(((ts >= a) & (ts < b)).sum()) for a, b in zip(lo, hi, strict=True)]
    assert count(lo, hi).tolist() == expected


def test_poisson_scores_are_the_upper_tail_and_zero_without_edges() -> None:
    rng = np.random.default_rng(3)
    observed = rng.integers(0, 300, 5_000).astype(np.float64)
    expected = rng.random(5_000) ** 3 * 100
    scores = poisson_scores(observed, expected)
    tail = -stats.poisson.logsf(observed - 1, np.maximum(expected, 1e-12)) / np.log(10)
    positive = observed > 0
    assert np.allclose(scores[positive], np.clip(tail[positive], 0, 300), rtol=1e-12)
    assert (scores[~positive] == 0).all()


def test_renumbering_keeps_the_order_of_the_ids() -> None:
    ids = np.array([900_000, 5, 77, 5, 900_000], dtype=np.int64)
    renumbered, original = _compact(ids, 1_000_000)
    assert original.tolist() == [5, 77, 900_000]
    assert renumbered.tolist() == [2, 0, 1, 0, 2]
    # Ids that use most of their range stay as they are.
    dense = np.array([3, 0, 2, 3], dtype=np.int64)
    renumbered, original = _compact(dense, 4)
    assert original[renumbered].tolist() == dense.tolist()


def test_peeling_finds_a_dense_block_among_a_million_unused_ids() -> None:
    """A cohort's search sees a few thousand accounts of a million: the peel works in the
    ids it is given and returns them, not their renumbering."""
    from plaudit.authenticity.blocks import Graph

    rng = np.random.default_rng(0)
    farm_rows, farm_cols = np.meshgrid(np.arange(40) * 20_000 + 7, np.arange(30) + 500)
    sparse_rows = rng.integers(0, 1_000_000, 3_000)
    sparse_cols = rng.integers(0, 2_000, 3_000)
    rows = np.concatenate([farm_rows.ravel(), sparse_rows]).astype(np.int64)
    cols = np.concatenate([farm_cols.ravel(), sparse_cols]).astype(np.int64)
    row_degree = np.bincount(rows, minlength=1_000_000).astype(np.float64)
    col_degree = np.bincount(cols, minlength=2_000).astype(np.float64)
    graph = Graph(
        rows=rows,
        cols=cols,
        origin=np.arange(len(rows), dtype=np.int64),
        row_degree=row_degree,
        col_degree=col_degree,
        total=float(len(rows)),
    )
    alive = np.arange(len(rows), dtype=np.int64)
    core_rows, core_cols = _peel(graph, column_weights(col_degree)[cols], alive, 0.3)
    assert set((np.arange(40) * 20_000 + 7).tolist()) <= set(core_rows.tolist())
    assert set(range(500, 530)) <= set(core_cols.tolist())
    assert len(core_rows) < 60


prefixes = st.lists(
    st.one_of(
        st.none(),
        st.just(""),
        st.sampled_from(["127.0.0.0/24", "10.1.2.0/24", "192.168.0.0/24", "100.64.3.0/24"]),
        st.sampled_from(["fd00:1:2::/48", "::1/128", "not a prefix"]),
        st.builds("{}.{}.7.0/24".format, st.integers(1, 223), st.integers(0, 255)),
        st.builds("2001:db8:{:x}::/48".format, st.integers(0, 15)),
        st.builds("2a01:{:x}:1::/48".format, st.integers(0, 15)),
    ),
    min_size=1,
    max_size=80,
)


@settings(max_examples=100, deadline=None)
@given(prefixes)
def test_network_codes_are_the_per_like_definition(column: list[str | None]) -> None:
    """The network kept with each like, as the detector table numbers it, gives the codes
    judging every like's prefix string gave: a public prefix numbered by first appearance,
    anything else (none, private, loopback, CGNAT, documentation ranges, garbage) -1."""
    codes: dict[str, int] = {}
    expected = [
        codes.setdefault(p, len(codes)) if p and is_public_prefix(p) else -1 for p in column
    ]
    stored = np.array([-1 if (c := network_code(p)) is None else c for p in column], np.int64)
    rows = np.zeros(len(column), dtype=np.int64)
    table = from_arrays(rows, rows, rows, ip=stored)
    assert table.ip is not None
    assert table.ip.tolist() == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.ip_addresses(), max_size=40))
def test_distinct_written_prefixes_keep_distinct_network_codes(addresses: list[object]) -> None:
    """Every prefix the platform writes (`ip_prefix`: /24 and /48) keeps its own code: two
    networks never merge, and only public ones have a code."""
    written = {ip_prefix(str(a)) for a in addresses}
    code_of = {p: network_code(p) for p in written}
    assert all((c is None) == (not is_public_prefix(p)) for p, c in code_of.items())
    public = [c for c in code_of.values() if c is not None]
    assert len(set(public)) == len(public)
    assert all(0 <= c < 2**63 for c in public)
