"""Dense bipartite blocks, found by peeling and kept only when significant.

The search is FRAUDAR's (Hooi et al., KDD 2016): peel the lowest-degree nodes of an
account x item graph, with item columns weighted 1/log(degree + 5) so that liking popular
items (camouflage) adds little, and keep the densest state seen. Two changes make it safe on
clean data, where plain FRAUDAR still returns its densest block:

1. the block is refined against a null model: under the Chung-Lu model of the observed
   degree sequences an account of degree d_a puts d_a * D_T / m of its edges into items of
   total degree D_T; accounts and items whose edges into the block are beyond that at the
   account threshold stay, the rest go, and accounts outside the peeled core that pass join;
2. the whole block's edge count is tested (Poisson upper tail) against the same null; the
   search stops after `max_misses` blocks in a row that are not significant.

Peeling is batched (a fraction of the lowest-degree nodes per pass, compare Bahmani et al.,
VLDB 2012) so that a pass is a few NumPy scans over the edges.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph
from scipy.sparse import linalg as sparse_linalg

from plaudit.authenticity.stats import poisson_score, poisson_scores

__all__ = [
    "Block",
    "BlockSettings",
    "EdgeIndex",
    "Graph",
    "SlotNull",
    "column_weights",
    "corrected",
    "fdr_threshold",
    "find_blocks",
    "retest",
    "stable_order",
    "whole_blocks",
]

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


REFINE_STEPS = 6
"""Alternating account and item tests per refinement; they settle in three or four."""
MEMBER_ROUNDS = 2
"""Rounds of items joining, then accounts joining, an established block."""
SPECTRAL_MAX_EDGES = 400_000
"""Above this many core edges the spectral seeds come from a random share of its accounts."""
SPECTRAL_TOL = 1e-2
"""Seeds need only rough singular vectors: a loose tolerance saves most of the SVD."""
SPECTRAL_CUT = 0.3
"""A spectral seed keeps the nodes whose entry is at least this fraction of the largest."""
PEEL_EPSILON = 0.1
"""Bahmani's epsilon: a pass may remove nodes up to (1 + eps) times the average degree."""


@dataclass(frozen=True)
class BlockSettings:
    """Thresholds of the block search; scores are -log10 p-values."""

    block_score: float = 30.0
    """A block is reported only if its edge count is this significant under the null."""
    min_ratio: float = 4.0
    """... and holds at least this many times the edges the null expects."""
    account_score: float = 8.0
    """An account belongs to a block when its edges into it are this significant."""
    item_score: float = 2.0
    """An item belongs to a block when the block's accounts' edges into it are this significant."""
    min_edges: int = 2
    """An account needs at least this many edges into the block."""
    member_score: float = 8.0
    """Once a block is significant, an account joins it at this score ..."""
    member_edges: int = 2
    """... with at least this many edges into it."""
    account_fdr: float = 0.0
    """When positive, refinement keeps the accounts that Benjamini-Hochberg's procedure at
    this false discovery rate over all accounts of the graph keeps, instead of those at
    `account_score` (see `fdr_threshold`)."""
    member_fdr: float = 0.0
    """When positive, accounts join an established block at Benjamini-Hochberg's threshold
    at this false discovery rate over all accounts, instead of at `member_score`."""
    window_fdr: float = 0.0
    """With time slots (lockstep), when positive: a piece that gives no significant block at
    the fixed bars is refined again keeping also the accounts that Benjamini-Hochberg's
    procedure at this false discovery rate over all accounts keeps, provided they spend
    `window_share` of their likes in the block's slots inside the block; a block found so
    admits (and retests) its members at that bar too (`_synchronous`). Where the fixed
    bars find a block, nothing changes."""
    window_share: float = 0.5
    """The share of an account's edges in the block's time slots that fall in the block's
    cells, for an account kept at the `window_fdr` bar: a farm account spends its burst on
    the targets; a heavy user's session in the same hour goes mostly elsewhere."""
    min_accounts: int = 5
    min_items: int = 2
    min_density: float = 0.0
    """A block must fill at least this fraction of its accounts x items ..."""
    min_share: float = 0.0
    """... and its median account must spend at least this fraction of its edges in it."""
    max_blocks: int = 20
    max_misses: int = 2
    dismissed_is_miss: bool = True
    """Whether a core whose only significant blocks the `organic` check dismissed counts as
    a miss. The cohort pass says no: a cohort's heavy organic accounts can make its first
    core (dismissed as hits) and hide a farm behind it."""
    max_pieces: int = 10
    """At most this many connected pieces of a peeled core are tested."""
    spectral: int = 0
    """Also seed refinements from this many singular vectors of each core (0: none)."""
    peel_fraction: float = 0.3
    """Each peeling pass removes at most this fraction of the remaining nodes."""


@dataclass(frozen=True)
class Graph:
    """Candidate edges (row, col, origin) plus the degrees of the null model.

    `origin` maps an edge to the interaction row it came from. `row_degree`, `col_degree`
    and `total` describe the full graph the null model is drawn from, which may be larger
    than the candidate edges (the lockstep detector drops cells with one like).
    """

    rows: I64
    cols: I64
    origin: I64
    row_degree: F64
    col_degree: F64
    total: float
    col_group: I64 | None = None
    """Optional time slot of each column (a lockstep cell's window start, in half windows;
    slots next to each other overlap): a core is also cut into pieces of three neighbouring
    slots, so that a farm sharing its hour with busy organic accounts is refined on its own."""
    slots: SlotNull | None = None
    """With time slots, the null model is Chung-Lu within each slot (see `SlotNull`)."""
    capped: bool = False
    """Without slots: floor every expectation by the capped Chung-Lu model of the full
    degrees, sum of min(1, d_a d_v / m) over the pairs (see `_capped`)."""


@dataclass(frozen=True)
class SlotNull:
    """The per-window null of lockstep: what accounts' own sessions and the videos'
    popularity at that time predict.

    Within a time slot s with m_s likes, an account that made d_as likes then is expected to
    put d_as * D_Ts / m_s of them into the cells T of that slot (D_Ts their likes). One
    account liking fifty videos in one evening session is then ordinary, as is a hundred
    accounts all liking the evening's popular video; only accounts that share cells far
    beyond their own activity in that slot stand out (synchrony between accounts, as in
    CopyCatch and SynchroTrap). `col_slot` numbers the slot of each candidate column from 0.
    """

    col_slot: I64
    by_row: sparse.csr_matrix
    """Accounts x slots: the account's likes in each slot (all likes, single cells too)."""
    total: F64
    """Likes per slot."""
    popularity: F64
    """Per candidate column, its video's share of all likes over the whole period: the
    rate floor. A feed shows everyone the same popular videos, so accounts that happen to
    be online together like them together; a farm's targets are not that popular."""
    likes: float
    """Likes in all (each like is an edge on both grids)."""
    in_window: float = 0.0
    """1 to also floor the rate by the cells' share of the slot's other likes (trending
    videos); 0 leaves it out: a farm that is most of its window's activity, partly outside
    the block under test, would explain its own cells (`LockstepSettings.in_window`)."""


@dataclass(frozen=True)
class Block:
    rows: I64
    cols: I64
    row_scores: F64
    edges: I64
    """Indexes of the candidate edges inside the block."""
    observed: float
    expected: float
    score: float
    synchronous: bool = False
    """Found only at the false-discovery bar of `BlockSettings.window_fdr`: its members are
    admitted, and retested, at that bar too (`_synchronous`)."""


def column_weights(col_degree: F64) -> F64:
    """FRAUDAR's camouflage-resistant weight: popular columns count for little."""
    return 1.0 / np.log(col_degree + 5.0)


def find_blocks(
    graph: Graph,
    weights: F64,
    settings: BlockSettings,
    organic: Callable[[Block], bool] | None = None,
) -> list[Block]:
    """Significant blocks, in the order found; the edges of each are removed before the next.

    The peeled core can hold several unrelated dense groups (a farm, and organic fans who
    like their creator's uploads within the hour), so each connected piece of the core is
    refined and tested on its own. `organic`, when given, dismisses significant blocks that a
    second null model explains (the dense detector's creator audiences).
    """
    settings = corrected(settings, len(graph.row_degree))
    alive = np.arange(len(graph.rows), dtype=np.int64)
    degree = graph.row_degree
    whole = graph
    # The null model follows the graph as blocks are removed: a removed farm must not
    # inflate the degrees (and so deflate the expectations) of what is searched next.
    graph = replace(graph, row_degree=graph.row_degree.copy(), col_degree=graph.col_degree.copy())
    found: list[Block] = []
    misses = 0
    dismissed: list[Block] = []

    def judged(block: Block) -> bool:
        if organic is not None and organic(block):
            dismissed.append(block)
            return True
        return False

    for _ in range(settings.max_blocks):
        if len(alive) == 0 or misses >= settings.max_misses:
            break
        dismissed.clear()
        core_rows, core_cols = _peel(graph, weights, alive, settings.peel_fraction)
        blocks = _blocks_of_core(graph, alive, core_rows, core_cols, settings, judged, degree)
        found.extend(blocks)
        held = blocks or (dismissed and not settings.dismissed_is_miss)
        misses = 0 if held else misses + 1
        n_rows, n_cols = len(graph.row_degree), len(graph.col_degree)
        r, c = graph.rows[alive], graph.cols[alive]
        inside = _mask(core_rows, n_rows)[r] & _mask(core_cols, n_cols)[c]
        for block in blocks:
            inside |= _mask(block.rows, n_rows)[r] & _mask(block.cols, n_cols)[c]
        if not inside.any():
            break
        removed = alive[inside]
        graph.row_degree[:] -= np.bincount(graph.rows[removed], minlength=n_rows)
        graph.col_degree[:] -= np.bincount(graph.cols[removed], minlength=n_cols)
        graph = replace(graph, total=graph.total - len(removed))
        alive = alive[~inside]
    return [_final_members(whole, found, i, settings) for i in range(len(found))]


def whole_blocks(
    graph: Graph,
    blocks: list[Block],
    settings: BlockSettings,
    overlap: float = 0.5,
    index: EdgeIndex | None = None,
) -> list[Block]:
    """Blocks found in parts of `graph` (the dense detector's cohorts) made blocks of all of it.

    A farm's accounts start liking over several days, so its cohorts on the two grids, or
    two neighbouring cohorts, each hold part of it: blocks that share at least `overlap` of
    the smaller one's accounts are one block (their union, tested again). Then, once a
    block is established, any account of the graph may be one of its members: the
    members' test (`_final_members`) runs over every account, not only the cohort's.
    `index`, `graph`'s `EdgeIndex`, is built here when not given (a caller asking many
    times of one graph builds it once).
    """
    if not blocks:
        return []
    settings = corrected(settings, len(graph.row_degree))
    index = index if index is not None else EdgeIndex.of(graph)
    merged: list[Block] = []
    for block in sorted(blocks, key=lambda b: -len(b.rows)):
        same = [i for i, m in enumerate(merged) if np.isin(block.rows, m.rows).mean() >= overlap]
        if same:
            merged[same[0]] = _union(graph, index, merged[same[0]], block)
        else:
            merged.append(block)
    return [_final_members(graph, merged, i, settings, index) for i in range(len(merged))]


def _union(graph: Graph, index: EdgeIndex, a: Block, b: Block) -> Block:
    """The block of both blocks' accounts and items, tested against the null again."""
    n_rows, n_cols = len(graph.row_degree), len(graph.col_degree)
    scores = np.zeros(n_rows)
    scores[b.rows] = b.row_scores
    scores[a.rows] = np.maximum(scores[a.rows], a.row_scores)
    rows_mask = _mask(a.rows, n_rows) | _mask(b.rows, n_rows)
    cols_mask = _mask(a.cols, n_cols) | _mask(b.cols, n_cols)
    # The block's edges are among those into its items: `_scored` reads no other (and
    # only counts them, so they need no order until they are the block's).
    into = index.of_cols(np.flatnonzero(cols_mask))
    block = _scored(graph, into, rows_mask, cols_mask, scores)
    return replace(block, edges=np.sort(block.edges))


@dataclass(frozen=True)
class EdgeIndex:
    """A graph's edge ids grouped by row and by column (the orders of CSR and CSC).

    Growing a block to its members reads only the edges of its accounts and the edges into
    its items (`_with_members`); over a plain edge list each such read is a pass over every
    edge. The dense detector's popularity check grows every candidate of every cohort over
    the whole graph: on the medium demo (16.5 M edges) those passes were most of the scan's
    time. Grouped, a read costs the edges it returns. Building it costs two stable sorts of
    the edge list, so it is built once per graph and shared.
    """

    by_row: I64
    """Edge ids in order of their row; ascending within a row."""
    row_start: I64
    """Where each row's edges start in `by_row`, and one past the last."""
    by_col: I64
    """Edge ids in order of their column; ascending within a column."""
    col_start: I64
    """Where each column's edges start in `by_col`, and one past the last."""
    col_rows: I64
    """The row of each edge of `by_col`: the rows of the edges into some columns are then
    read in runs, where reading `graph.rows` at their ids costs a cache miss per edge
    (growth reads every edge into a block's items, hundreds of thousands on a hit)."""

    @staticmethod
    def of(graph: Graph) -> EdgeIndex:
        by_row, row_start = _grouped(graph.rows, len(graph.row_degree))
        by_col, col_start = _grouped(graph.cols, len(graph.col_degree))
        return EdgeIndex(
            by_row=by_row,
            row_start=row_start,
            by_col=by_col,
            col_start=col_start,
            col_rows=graph.rows[by_col],
        )

    def of_rows(self, rows: I64) -> I64:
        """Ids of the edges of `rows` (distinct rows), grouped by row."""
        return _gathered(self.by_row, self.row_start, rows)

    def of_cols(self, cols: I64) -> I64:
        """Ids of the edges into `cols` (distinct columns), grouped by column."""
        return _gathered(self.by_col, self.col_start, cols)

    def ends_of_cols(self, cols: I64) -> tuple[I64, I64, I64]:
        """`of_cols`, with each edge's row and column (those of `graph.rows` and
        `graph.cols` at the edges, read without going through the ids)."""
        at = _positions(self.col_start, cols)
        lengths = self.col_start[cols + 1] - self.col_start[cols]
        return self.by_col[at], self.col_rows[at], np.repeat(cols, lengths)


def _grouped(ids: I64, n: int) -> tuple[I64, I64]:
    """Positions of `ids` ordered by id (stable), and where each id's run starts."""
    order = stable_order(ids, n)
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(ids, minlength=n), out=start[1:])
    return order, start


def stable_order(keys: I64, bound: int) -> I64:
    """What `np.argsort(keys, kind="stable")` gives, for integer keys in 0..bound-1, in
    about half its time (16.5 M keys: 1.5 s of CPU against 2.8 s).

    Each key is packed with its position into one integer, key * n + position: the packed
    values are distinct and ordered as (key, position) are, so NumPy's unstable integer
    sort (radix and SIMD kernels) puts them in the stable order, where argsort's stable
    kind is a merge sort of indices. Keys whose packing would not fit in 62 bits take
    the merge sort.
    """
    n = len(keys)
    if n == 0 or bound * n >= 1 << 62:
        return np.argsort(keys, kind="stable").astype(np.int64)
    packed = keys.astype(np.int64) * n
    packed += np.arange(n, dtype=np.int64)
    packed.sort()
    order: I64 = np.remainder(packed, n, out=packed)
    return order


def _gathered(order: I64, start: I64, ids: I64) -> I64:
    """The runs of `order` of each id of `ids`, concatenated, without a loop over ids."""
    gathered: I64 = order[_positions(start, ids)]
    return gathered


def _positions(start: I64, ids: I64) -> I64:
    """Where the runs of each id of `ids` lie in a grouped order, concatenated."""
    first, lengths = start[ids], start[ids + 1] - start[ids]
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    # Position k of the output is run j's (k - where run j starts in the output)-th entry.
    shift = np.repeat(first - (ends - lengths), lengths)
    positions: I64 = np.arange(total, dtype=np.int64) + shift
    return positions


FAMILY_ALPHA = 0.01
"""Chance, over all accounts of a scan, of letting in one organic account by its own test."""


def corrected(settings: BlockSettings, accounts: int) -> BlockSettings:
    """The account thresholds raised to Bonferroni's over every account that is tested.

    Each account is tested against each block; at -log10(alpha / n) for n accounts, the
    chance that any organic account passes by chance is at most alpha. The settings stay
    the floor (smaller graphs), large graphs get stricter (8 at a million accounts). The
    block test (score 30 by default) is far beyond Bonferroni's bound for the few hundred
    candidate blocks a search examines (-log10(0.01 / 400) = 4.6).
    """
    bound = float(np.log10(max(accounts, 1) / FAMILY_ALPHA))
    return replace(
        settings,
        account_score=max(settings.account_score, bound),
        member_score=max(settings.member_score, bound),
    )


def fdr_threshold(scores: F64, tests: int, rate: float) -> float:
    """The score above which Benjamini-Hochberg's step-up procedure (1995) at false
    discovery rate `rate` rejects, for `scores` (-log10 p-values) of `tests` tests; the
    tests not in `scores` have p-value 1. Infinite when it rejects none.

    The k-th largest score is compared with -log10(rate * k / tests): the more accounts
    stand out together, the lower the bar for each, while the expected share of organic
    accounts among those kept stays at most `rate` (when the null model holds). This is what
    a block known to exist asks of its members: a 200-account farm whose accounts each score
    about 4 is 200 discoveries, where each alone would not pass Bonferroni's bound.
    """
    ordered = np.sort(scores[scores > 0])[::-1]
    if len(ordered) == 0:
        return math.inf
    bounds = -np.log10(rate * np.arange(1, len(ordered) + 1) / max(tests, len(ordered)))
    passing = np.flatnonzero(ordered >= bounds)
    return float(bounds[passing[-1]]) if len(passing) else math.inf


def _threshold(scores: F64, fixed: float, rate: float, tests: int) -> float:
    """`fixed`, or Benjamini-Hochberg's threshold over `tests` accounts when `rate` is set."""
    return fdr_threshold(scores, tests, rate) if rate > 0 else fixed


def _final_members(
    graph: Graph,
    found: list[Block],
    i: int,
    settings: BlockSettings,
    index: EdgeIndex | None = None,
) -> Block:
    """Members of block `i` against the whole graph, without the other blocks' edges.

    The search removes each core it peels; accounts of a farm that fell outside the block
    found in that core lost those edges, and only the whole graph shows them again. With
    `graph`'s `index`, each round reads only the edges around the block, with the same
    result as scanning every edge (which is what it does without one).
    """
    keep = np.ones(len(graph.rows), dtype=bool)
    for j, other in enumerate(found):
        if j != i:
            keep[other.edges] = False
    edges: _Listed | _Indexed = (
        _Listed(graph, np.flatnonzero(keep))
        if index is None
        else _Indexed(index, keep if len(found) > 1 else None)
    )
    block = found[i]
    rows = block.rows
    scores = np.zeros(len(graph.row_degree))
    scores[rows] = block.row_scores
    for _ in range(MEMBER_ROUNDS + 1):
        # Each round the block's accounts grow, the outside popularity of its items falls
        # and more of a large farm's sparse members stand out.
        current = replace(block, rows=rows, row_scores=scores[rows])
        grown = _with_members(graph, edges, current, settings)
        scores[grown.rows] = grown.row_scores
        if len(np.union1d(rows, grown.rows)) == len(rows):
            break
        rows = np.union1d(rows, grown.rows)
    if len(rows) == len(block.rows):
        return block
    # Only accounts join here: the items stay those of the block as found.
    into, into_rows, _ = edges.ends_into_cols(block.cols)
    scores[block.rows] = block.row_scores
    return replace(
        block,
        rows=rows,
        row_scores=scores[rows],
        edges=np.sort(into[_mask(rows, len(graph.row_degree))[into_rows]]),
    )


def retest(graph: Graph, found: list[Block], i: int, settings: BlockSettings) -> Block | None:
    """Block `i` of `found` tested again, as it stands, against `graph`'s null model and
    without the other blocks' edges: None when it is no longer significant; its accounts
    whose edges into it no longer reach the member threshold leave it.

    For a null model that changed after the search (lockstep: the videos' trending shares
    measured without the likes of the other verdicts), nothing joins: a retest can only
    take away what the search found.
    """
    settings = corrected(settings, len(graph.row_degree))
    n_rows, n_cols = len(graph.row_degree), len(graph.col_degree)
    alive = np.ones(len(graph.rows), dtype=bool)
    for j, other in enumerate(found):
        if j != i:
            alive[other.edges] = False
    block = found[i]
    alive[block.edges] = True
    edges = np.flatnonzero(alive)
    rows_mask, cols_mask = _mask(block.rows, n_rows), _mask(block.cols, n_cols)
    whole = _scored(graph, edges, rows_mask, cols_mask, np.zeros(n_rows))
    if not _significant(whole, settings):
        return None
    per_row, per_col = _edges_into(graph, edges, rows_mask, cols_mask)
    scores = _scores(
        np.where(rows_mask, per_row, 0.0),
        settings.member_edges,
        partial(_row_expected, graph, cols_mask, per_col),
    )
    members = (scores >= settings.member_score) & (per_row >= settings.member_edges)
    if block.synchronous and settings.window_fdr > 0 and graph.slots is not None:
        members |= _synchronous(graph, cols_mask, per_row, scores, settings, n_rows) & (
            per_row >= settings.member_edges
        )
    rows_mask &= members
    kept = replace(
        _scored(graph, edges, rows_mask, cols_mask, scores), synchronous=block.synchronous
    )
    return kept if _significant(kept, settings) else None


def _blocks_of_core(
    graph: Graph,
    alive: I64,
    core_rows: I64,
    core_cols: I64,
    settings: BlockSettings,
    organic: Callable[[Block], bool] | None,
    degree: F64,
) -> list[Block]:
    """The significant blocks of the core's connected and time-slot pieces; when there are
    none, of its spectral seeds (a partial SVD, so only then)."""
    seeds: list[Callable[[], list[tuple[I64, I64]]]] = [
        lambda: (
            # Lockstep is synchrony: with time slots a block is searched only within runs
            # of neighbouring slots, never as a union of co-likes over weeks.
            (_pieces(graph, alive, core_rows, core_cols, settings) if graph.slots is None else [])
            + _group_pieces(graph, alive, core_rows, core_cols, settings)
        )
    ]
    if settings.spectral:
        seeds.append(lambda: _spectral_pieces(graph, alive, core_rows, core_cols, settings))
    for pieces in seeds:
        blocks = _blocks_of_pieces(graph, alive, pieces(), settings, organic, degree)
        if blocks:
            return blocks
    return []


def _blocks_of_pieces(
    graph: Graph,
    alive: I64,
    pieces: list[tuple[I64, I64]],
    settings: BlockSettings,
    organic: Callable[[Block], bool] | None,
    degree: F64,
) -> list[Block]:
    """Pieces may overlap, so the edges of a block found leave the search for the next."""
    blocks: list[Block] = []
    n_rows, n_cols = len(graph.row_degree), len(graph.col_degree)
    if not pieces:
        return blocks
    # Refinement only reads edges into a piece's items: filter the edges once for all pieces.
    piece_cols = _mask(np.concatenate([cols for _, cols in pieces]), n_cols)
    candidate = alive[piece_cols[graph.cols[alive]]]
    for rows, cols in pieces:
        block = _best_refinement(graph, candidate, rows, cols, settings)
        if block is None or not _significant(block, settings):
            continue
        if organic is not None and organic(block):
            continue
        for _ in range(MEMBER_ROUNDS):
            block = _with_members(graph, _Listed(graph, alive), block, settings)
        if _median_share(graph, degree, block) < settings.min_share:
            continue
        blocks.append(block)
        r, c = graph.rows[alive], graph.cols[alive]
        alive = alive[~(_mask(block.rows, n_rows)[r] & _mask(block.cols, n_cols)[c])]
        r, c = graph.rows[candidate], graph.cols[candidate]
        candidate = candidate[~(_mask(block.rows, n_rows)[r] & _mask(block.cols, n_cols)[c])]
    return blocks


def _median_share(graph: Graph, degree: F64, block: Block) -> float:
    """The median over the block's accounts of the share of all their edges (`degree`, before
    any block was removed) that are inside the block."""
    inside = np.bincount(graph.rows[block.edges], minlength=len(degree))[block.rows]
    return float(np.median(inside / np.maximum(degree[block.rows], 1.0)))


@dataclass(frozen=True)
class _Listed:
    """The edges `alive` (ascending ids) of `graph`, read by scanning them all: a search's
    own shrinking edge list, which no index describes."""

    graph: Graph
    alive: I64

    def of_rows(self, rows: I64) -> I64:
        """The edges of `rows`, ascending."""
        mask = _mask(rows, len(self.graph.row_degree))
        edges: I64 = self.alive[mask[self.graph.rows[self.alive]]]
        return edges

    def into_cols(self, cols: I64) -> I64:
        """The edges into `cols`, ascending."""
        mask = _mask(cols, len(self.graph.col_degree))
        edges: I64 = self.alive[mask[self.graph.cols[self.alive]]]
        return edges

    def ends_into_cols(self, cols: I64) -> tuple[I64, I64, I64]:
        """The edges into `cols` with their rows and columns."""
        edges = self.into_cols(cols)
        return edges, self.graph.rows[edges], self.graph.cols[edges]


@dataclass(frozen=True)
class _Indexed:
    """The edges of a graph that `keep` marks, read through the graph's `EdgeIndex`: each
    read costs the edges it returns."""

    index: EdgeIndex
    keep: NDArray[np.bool_] | None
    """None: every edge."""

    def of_rows(self, rows: I64) -> I64:
        """The edges of `rows`, grouped by row (member growth only counts them)."""
        edges = self.index.of_rows(rows)
        if self.keep is None:
            return edges
        kept: I64 = edges[self.keep[edges]]
        return kept

    def ends_into_cols(self, cols: I64) -> tuple[I64, I64, I64]:
        """The edges into `cols`, grouped by column, with their rows and columns read
        through the index. Growth only counts them, so they are not sorted: a block sorts
        its own edges, a small part of every edge into its items (hundreds of thousands
        when the items are hits)."""
        edges, rows, of_cols = self.index.ends_of_cols(cols)
        if self.keep is None:
            return edges, rows, of_cols
        kept = self.keep[edges]
        return edges[kept], rows[kept], of_cols[kept]


def _with_members(
    graph: Graph, edges: _Listed | _Indexed, block: Block, settings: BlockSettings
) -> Block:
    """Once a block is established, accounts join it at the looser member threshold.

    The block's own test is strict; deciding whether one more account belongs to a block
    known to exist needs only to control the false members among all accounts. Only two
    sets of edges decide it: the block's accounts' (which items join) and those into the
    block's items once joined (which accounts join, and the block's own edges), so those
    are all it reads of `edges`.
    """
    n_rows, n_cols = len(graph.row_degree), len(graph.col_degree)
    rows_mask = _mask(block.rows, n_rows)
    # Items first: a block refined from a partial seed may miss some of the farm's targets.
    own = edges.of_rows(block.rows)
    per_col = np.bincount(graph.cols[own], minlength=n_cols).astype(np.float64)
    # The rows' whole activity (not only outside the block): a conservative expectation.
    col_scores = _scores(
        per_col, settings.member_edges, partial(_col_expected, graph, rows_mask, None, per_col)
    )
    joining = (col_scores >= settings.member_score) & (per_col >= settings.member_edges)
    if graph.slots is not None and graph.col_group is not None and len(block.cols):
        # Cells join only from the block's own time span (one slot either side).
        slot = graph.col_group
        joining &= (slot >= slot[block.cols].min() - 1) & (slot <= slot[block.cols].max() + 1)
    cols_mask = _mask(block.cols, n_cols) | joining
    into, r, c = edges.ends_into_cols(np.flatnonzero(cols_mask))
    per_row = np.bincount(r, minlength=n_rows).astype(np.float64)
    inside_col = np.bincount(c[rows_mask[r]], minlength=n_cols).astype(np.float64)
    scores = _scores(
        per_row, settings.member_edges, partial(_row_expected, graph, cols_mask, inside_col)
    )
    least = _threshold(scores, settings.member_score, settings.member_fdr, n_rows)
    joins = (scores >= least) & (per_row >= settings.member_edges)
    joins &= per_row >= settings.min_share * graph.row_degree
    if block.synchronous and settings.window_fdr > 0 and graph.slots is not None:
        joins |= _synchronous(graph, cols_mask, per_row, scores, settings, n_rows) & (
            per_row >= settings.member_edges
        )
    joins[block.rows] = False
    rows_mask = rows_mask | joins
    scores[block.rows] = block.row_scores
    grown = _scored_ends(graph, into, r, c, rows_mask, cols_mask, scores)
    # A block lists its edges in id order (`into` may be grouped by column).
    return replace(grown, edges=np.sort(grown.edges), synchronous=block.synchronous)


def _pieces(
    graph: Graph, alive: I64, core_rows: I64, core_cols: I64, settings: BlockSettings
) -> list[tuple[I64, I64]]:
    """The connected pieces of the core large enough to be a block, largest first."""
    if len(core_rows) == 0 or len(core_cols) == 0:
        return []
    n_rows, n_cols = len(graph.row_degree), len(graph.col_degree)
    r, c = graph.rows[alive], graph.cols[alive]
    inside = _mask(core_rows, n_rows)[r] & _mask(core_cols, n_cols)[c]
    rows, cols = r[inside], c[inside]
    row_index = np.searchsorted(core_rows, rows)
    col_index = len(core_rows) + np.searchsorted(core_cols, cols)
    size = len(core_rows) + len(core_cols)
    adjacency = sparse.coo_matrix(
        (np.ones(len(rows), dtype=np.int8), (row_index, col_index)), shape=(size, size)
    )
    _, labels = csgraph.connected_components(adjacency, directed=False)
    row_labels, col_labels = labels[: len(core_rows)], labels[len(core_rows) :]
    row_counts = np.bincount(row_labels, minlength=labels.max() + 1)
    col_counts = np.bincount(col_labels, minlength=labels.max() + 1)
    big = np.flatnonzero((row_counts >= settings.min_accounts) & (col_counts >= settings.min_items))
    big = big[np.argsort(-row_counts[big])][: settings.max_pieces]
    pieces = [(core_rows[row_labels == k], core_cols[col_labels == k]) for k in big]
    return pieces


def _spectral_pieces(
    graph: Graph, alive: I64, core_rows: I64, core_cols: I64, settings: BlockSettings
) -> list[tuple[I64, I64]]:
    """Seeds from the leading singular vectors of the core's degree-normalised adjacency.

    A core can mix a farm with many busy organic accounts so that neither whole-core
    refinement isolates the farm; the farm is then a block of its own in the core's
    spectrum (each singular vector past the first, with either sign, is a candidate).
    """
    shape = (len(core_rows), len(core_cols))
    k = min(settings.spectral, min(shape) - 1)
    if k < 2:
        return []
    r, c = graph.rows[alive], graph.cols[alive]
    n_rows, n_cols = len(graph.row_degree), len(graph.col_degree)
    inside = _mask(core_rows, n_rows)[r] & _mask(core_cols, n_cols)[c]
    edges = int(inside.sum())
    if edges > SPECTRAL_MAX_EDGES:
        # A random share of the core's accounts keeps the SVD's cost bounded; a farm keeps
        # the same share of its accounts, still a block, and refinement brings back the rest.
        share = SPECTRAL_MAX_EDGES / edges
        sampled = np.random.default_rng(0).random(len(core_rows)) < share
        inside &= _mask(core_rows[sampled], n_rows)[r]
    row_index = np.searchsorted(core_rows, r[inside])
    col_index = np.searchsorted(core_cols, c[inside])
    adjacency = sparse.csr_matrix(
        (np.ones(len(row_index)), (row_index, col_index)), shape=shape, dtype=np.float64
    )
    adjacency.data[:] = 1.0  # an account liking a video twice is one edge
    row_scale = 1.0 / np.sqrt(np.maximum(np.asarray(adjacency.sum(axis=1)).ravel(), 1.0))
    col_scale = 1.0 / np.sqrt(np.maximum(np.asarray(adjacency.sum(axis=0)).ravel(), 1.0))
    normalised = sparse.diags(row_scale) @ adjacency @ sparse.diags(col_scale)
    try:
        u, _, vt = sparse_linalg.svds(normalised, k=k, tol=SPECTRAL_TOL, random_state=0)
    except (sparse_linalg.ArpackError, ValueError):
        # No convergence, or ARPACK failing on a degenerate core (error 3, "no shifts could
        # be applied", met on a small cohort's core): seeds are optional, the search goes on.
        return []
    pieces = []
    for j in range(k):
        for sign in (1.0, -1.0):
            left, right = sign * u[:, j], sign * vt[j]
            if left.max() <= 0 or right.max() <= 0:
                continue
            rows = core_rows[left >= SPECTRAL_CUT * left.max()]
            cols = core_cols[right >= SPECTRAL_CUT * right.max()]
            if len(rows) >= settings.min_accounts and len(cols) >= settings.min_items:
                pieces.append((rows, cols))
    return pieces


def _group_pieces(
    graph: Graph, alive: I64, core_rows: I64, core_cols: I64, settings: BlockSettings
) -> list[tuple[I64, I64]]:
    """The core cut into runs of three neighbouring slots, the runs with most edges first."""
    if graph.col_group is None:
        return []
    r, c = graph.rows[alive], graph.cols[alive]
    inside = _mask(core_rows, len(graph.row_degree))[r] & _mask(core_cols, len(graph.col_degree))[c]
    rows, cols = r[inside], c[inside]
    slot = graph.col_group[cols]
    slots, edges = np.unique(slot, return_counts=True)
    around = edges.astype(np.int64).copy()
    for step in (-1, 1):
        at = np.searchsorted(slots, slots + step)
        found = (at < len(slots)) & (slots[np.minimum(at, len(slots) - 1)] == slots + step)
        around[found] += edges[at[found]]
    pieces: list[tuple[I64, I64]] = []
    least = settings.min_edges * settings.min_accounts
    for k in np.argsort(-around, kind="stable"):
        if len(pieces) >= settings.max_pieces or around[k] < least:
            break
        near = np.abs(slot - slots[k]) <= 1
        piece_rows, piece_cols = np.unique(rows[near]), np.unique(cols[near])
        if len(piece_rows) >= settings.min_accounts and len(piece_cols) >= settings.min_items:
            pieces.append((piece_rows, piece_cols))
    return pieces


def _mask(ids: I64, n: int) -> NDArray[np.bool_]:
    mask = np.zeros(n, dtype=bool)
    mask[ids] = True
    return mask


def _significant(block: Block, settings: BlockSettings) -> bool:
    return (
        block.score >= settings.block_score
        and block.observed >= settings.min_ratio * block.expected
        and len(block.rows) >= settings.min_accounts
        and len(block.cols) >= settings.min_items
        and block.observed >= settings.min_density * len(block.rows) * len(block.cols)
    )


def _peel(graph: Graph, weights: F64, alive: I64, fraction: float) -> tuple[I64, I64]:
    """The densest state (weighted edges per node) met while peeling low-degree nodes."""
    rows, row_ids = _compact(graph.rows[alive], len(graph.row_degree))
    cols, col_ids = _compact(graph.cols[alive], len(graph.col_degree))
    w = weights[alive]
    best = -1.0
    best_rows = best_cols = np.empty(0, dtype=np.int64)
    while len(rows):
        row_deg = np.bincount(rows, w, len(row_ids))
        col_deg = np.bincount(cols, w, len(col_ids))
        live_rows = np.flatnonzero(row_deg)
        live_cols = np.flatnonzero(col_deg)
        density = float(w.sum()) / (len(live_rows) + len(live_cols))
        if density > best:
            best, best_rows, best_cols = density, row_ids[live_rows], col_ids[live_cols]
        degrees = np.concatenate([row_deg[live_rows], col_deg[live_cols]])
        cut = max(float(np.quantile(degrees, fraction)), float(degrees.min()))
        cut = min(cut, 2.0 * (1.0 + PEEL_EPSILON) * density)
        cut = max(cut, float(degrees.min()))
        # Two gathers per edge from byte masks, not from the float degrees: a million
        # accounts' degrees do not stay in cache, their masks do.
        keep = (row_deg > cut)[rows] & (col_deg > cut)[cols]
        if keep.all():
            break
        rows, cols, w = rows[keep], cols[keep], w[keep]
        # Each pass costs the edges left plus the node ids in use: renumber the nodes when
        # most ids are gone, so that late passes (and a cohort's search, whose accounts are
        # a few thousand of a million) cost their own size.
        if 4 * len(rows) < len(row_ids):
            rows, kept = _compact(rows, len(row_ids))
            row_ids = row_ids[kept]
        if 4 * len(cols) < len(col_ids):
            cols, kept = _compact(cols, len(col_ids))
            col_ids = col_ids[kept]
    return best_rows, best_cols


def _compact(ids: I64, n: int) -> tuple[I64, I64]:
    """`ids` renumbered 0..k-1 in their order, and the original id of each new one (left
    as they are when they use most of the n ids: renumbering would cost a pass for little)."""
    used = _mask(ids, n)
    if 2 * int(np.count_nonzero(used)) > n:
        return ids, np.arange(n, dtype=np.int64)
    number = np.cumsum(used) - 1
    return number[ids], np.flatnonzero(used)


def _edges_into(
    graph: Graph, alive: I64, rows_mask: NDArray[np.bool_], cols_mask: NDArray[np.bool_]
) -> tuple[F64, F64]:
    """Per row, its edges into the chosen columns; per column, edges from the chosen rows."""
    r, c = graph.rows[alive], graph.cols[alive]
    to_cols = cols_mask[c]
    from_rows = rows_mask[r]
    per_row = np.bincount(r[to_cols], minlength=len(rows_mask)).astype(np.float64)
    per_col = np.bincount(c[from_rows], minlength=len(cols_mask)).astype(np.float64)
    return per_row, per_col


def _best_refinement(
    graph: Graph, alive: I64, core_rows: I64, core_cols: I64, settings: BlockSettings
) -> Block | None:
    """Refine starting from the accounts and from the items; keep the more significant.

    Accounts first fails when the core spans most items (every account looks ordinary
    against them); items first fails when the core holds many busy organic accounts
    (every item looks ordinary against them). Each succeeds where the other fails.
    """
    # Items only leave during refinement, so only edges into the core's items matter.
    alive = alive[_mask(core_cols, len(graph.col_degree))[graph.cols[alive]]]
    part = _Part.of(graph, alive, core_rows, core_cols)
    fixed = replace(settings, window_fdr=0.0)
    block = _refined(part, fixed)
    if settings.window_fdr <= 0 or graph.slots is None:
        return block
    if block is not None and _significant(block, settings):
        return block
    # Only a piece that gives no block at the fixed bar is refined again at the false-
    # discovery bar: where the fixed bar finds a block, it stays the block it was.
    sparse = _refined(part, settings)
    if sparse is None or not _significant(sparse, settings):
        return block
    return replace(sparse, synchronous=True)


@dataclass(frozen=True)
class _Part:
    """The part of a graph one refinement reads, its accounts and items numbered densely.

    A refinement reads only the edges into its core's items, and in a cohort's search those
    touch a few thousand of a million accounts; over the whole graph's numbering every
    step's counts, scores and masks were sized to every account and item (on the medium
    demo, 43% of the dense detector). Here `graph` holds those edges alone, renumbered in
    the order of their ids (so every sum adds the same numbers in the same order and the
    blocks are bit for bit those of the whole numbering), with the degrees and the slot null
    of its own nodes; the null's totals stay the whole graph's.
    """

    graph: Graph
    """The part's edges (all of them alive), rows and columns numbered 0..k-1."""
    edges: I64
    """The whole graph's id of each of the part's edges."""
    row_ids: I64
    """The whole graph's id of each of the part's rows, ascending."""
    col_ids: I64
    """The whole graph's id of each of the part's columns, ascending."""
    core_rows: I64
    """The core's accounts, in the part's numbering."""
    core_cols: I64
    """The core's items, in the part's numbering."""
    accounts: int
    """The whole graph's accounts: a false-discovery bar is over all of them."""

    @staticmethod
    def of(graph: Graph, alive: I64, core_rows: I64, core_cols: I64) -> _Part:
        """The edges `alive` of `graph`, with the core's nodes even where they have none
        (their degrees count in the null until a test drops them)."""
        rows, row_ids = _renumbered(graph.rows[alive], core_rows, len(graph.row_degree))
        cols, col_ids = _renumbered(graph.cols[alive], core_cols, len(graph.col_degree))
        slots = graph.slots
        if slots is not None:
            slots = replace(
                slots,
                col_slot=slots.col_slot[col_ids],
                by_row=slots.by_row[row_ids],
                popularity=slots.popularity[col_ids],
            )
        part = Graph(
            rows=rows,
            cols=cols,
            origin=alive,
            row_degree=graph.row_degree[row_ids],
            col_degree=graph.col_degree[col_ids],
            total=graph.total,
            col_group=None if graph.col_group is None else graph.col_group[col_ids],
            slots=slots,
            capped=graph.capped,
        )
        return _Part(
            graph=part,
            edges=alive,
            row_ids=row_ids,
            col_ids=col_ids,
            core_rows=np.searchsorted(row_ids, core_rows),
            core_cols=np.searchsorted(col_ids, core_cols),
            accounts=len(graph.row_degree),
        )

    def block(self, local: Block) -> Block:
        """A block found in the part, in the whole graph's ids."""
        return replace(
            local,
            rows=self.row_ids[local.rows],
            cols=self.col_ids[local.cols],
            edges=self.edges[local.edges],
        )


def _renumbered(ids: I64, core: I64, n: int) -> tuple[I64, I64]:
    """`ids` (and `core`) of n numbered 0..k-1 in ascending order; the original of each."""
    used = _mask(core, n)
    used[ids] = True
    original = np.flatnonzero(used)
    number = np.empty(n, dtype=np.int64)
    number[original] = np.arange(len(original), dtype=np.int64)
    local: I64 = number[ids]
    return local, original


def _refined(part: _Part, settings: BlockSettings) -> Block | None:
    candidates = [_refine(part, settings, first) for first in (0, 1)]
    found = [block for block in candidates if block is not None]
    significant = [block for block in found if _significant(block, settings)]
    pool = significant or found
    return max(pool, key=lambda block: (block.score, block.observed)) if pool else None


def _part_edges_into(
    graph: Graph, rows_mask: NDArray[np.bool_], cols_mask: NDArray[np.bool_]
) -> tuple[F64, F64]:
    """`_edges_into` over all the edges of a part (no list of edges to gather through)."""
    r, c = graph.rows, graph.cols
    per_row = np.bincount(r[cols_mask[c]], minlength=len(rows_mask)).astype(np.float64)
    per_col = np.bincount(c[rows_mask[r]], minlength=len(cols_mask)).astype(np.float64)
    return per_row, per_col


def _keep_rows(
    part: _Part,
    rows_mask: NDArray[np.bool_],
    cols_mask: NDArray[np.bool_],
    settings: BlockSettings,
) -> tuple[F64, NDArray[np.bool_]]:
    graph = part.graph
    per_row, per_col = _part_edges_into(graph, rows_mask, cols_mask)
    if graph.total - per_col[cols_mask].sum() <= 0:  # every edge is the candidate's own:
        # no background to compare with, so no evidence (a tiny platform, one proxy)
        return np.zeros(per_row.shape, dtype=np.float64), np.zeros(per_row.shape, dtype=bool)
    row_scores = _scores(
        per_row, settings.min_edges, partial(_row_expected, graph, cols_mask, per_col)
    )
    least = _threshold(row_scores, settings.account_score, settings.account_fdr, part.accounts)
    keep = (row_scores >= least) & (per_row >= settings.min_edges)
    if settings.account_fdr > 0:
        # At the looser false-discovery bar, an account also spends `min_share` of its
        # likes in the block, as a joining member must: real taste is overdispersed, and a
        # heavy user of a genre scores 4-6 against a farm's targets in it by its breadth.
        keep &= per_row >= settings.min_share * graph.row_degree
    if settings.window_fdr > 0 and graph.slots is not None:
        keep |= _synchronous(graph, cols_mask, per_row, row_scores, settings, part.accounts)
    return row_scores, keep


def _synchronous(
    graph: Graph,
    cols_mask: NDArray[np.bool_],
    per_row: F64,
    row_scores: F64,
    settings: BlockSettings,
    tests: int,
) -> NDArray[np.bool_]:
    """Accounts of a lockstep candidate kept at the false-discovery bar: many accounts
    together in the same cells, each spending its own burst there.

    A sparse farm's account gives about ten likes in its half hour to targets that may be
    a fifth of a small catalogue: against the per-window null each scores 4-6, under the
    fixed bar, while two hundred of them together are far beyond chance; Benjamini-
    Hochberg's procedure over all accounts lowers the bar as more of them stand out (see
    `fdr_threshold`). What keeps organic accounts out at that bar is where the rest of
    their likes in those hours went: an account kept so spends `window_share` of its edges
    in the block's slots in the block's cells (the farm's burst is its targets), where a
    heavy user's session in the same hour, or a light user's visit, likes mostly other
    videos. The same bar admits members of a block found so (`_with_members`).

    It is a second chance only (`_best_refinement`): where the fixed bar finds a block,
    the accounts the looser bar would add bring in the farm's targets that are popular
    videos, whose trending share raises every member's expectation, and a farm's
    sparsest accounts then fall out (synthetic, a 200 x 200 farm at density 0.05 with
    popular camouflage: 3 of 200 lost).
    """
    assert graph.slots is not None
    null = graph.slots
    used = np.zeros(len(null.total), dtype=bool)
    used[null.col_slot[np.flatnonzero(cols_mask)]] = True
    least = fdr_threshold(row_scores, tests, settings.window_fdr)
    chosen = np.flatnonzero((row_scores >= least) & (per_row >= settings.min_edges))
    kept = np.zeros(len(per_row), dtype=bool)
    if len(chosen) == 0:
        return kept
    activity = np.asarray(null.by_row[chosen][:, np.flatnonzero(used)].sum(axis=1)).ravel()
    kept[chosen] = per_row[chosen] >= settings.window_share * activity
    return kept


def _keep_cols(
    graph: Graph,
    rows_mask: NDArray[np.bool_],
    cols_mask: NDArray[np.bool_],
    settings: BlockSettings,
) -> NDArray[np.bool_]:
    per_row, per_col = _part_edges_into(graph, rows_mask, cols_mask)
    if graph.total - per_row[rows_mask].sum() <= 0:  # as in _keep_rows: no evidence
        return np.zeros(per_col.shape, dtype=bool)
    col_scores = _scores(
        np.where(cols_mask, per_col, 0.0),
        settings.min_edges,
        partial(_col_expected, graph, rows_mask, cols_mask, per_col),
    )
    return cols_mask & (col_scores >= settings.item_score) & (per_col >= settings.min_edges)


def _refine(part: _Part, settings: BlockSettings, items_first: int) -> Block | None:
    """Alternate item and account tests against the block's own outside activity.

    The null degrees leave the block out: an account's chance to land a like in the items T
    is their popularity among everyone but the block's accounts (D'_T / m'), and an item's
    chance to be liked by the accounts S is their activity outside T (D'_S / m'). With the
    full degrees a farm large enough to make most of its targets' likes would explain itself.
    """
    graph = part.graph
    rows_mask = _mask(part.core_rows, len(graph.row_degree))
    cols_mask = _mask(part.core_cols, len(graph.col_degree))
    if not rows_mask.any() or not cols_mask.any():
        return None
    row_scores = np.zeros(len(graph.row_degree))
    for step in range(REFINE_STEPS):
        if (step + items_first) % 2 == 0:
            row_scores, rows_mask = _keep_rows(part, rows_mask, cols_mask, settings)
        else:
            cols_mask = _keep_cols(graph, rows_mask, cols_mask, settings)
        if not rows_mask.any() or not cols_mask.any():
            return None
    every = np.arange(len(graph.rows), dtype=np.int64)
    block = _scored_ends(graph, every, graph.rows, graph.cols, rows_mask, cols_mask, row_scores)
    return part.block(block)


def _scored(
    graph: Graph,
    alive: I64,
    rows_mask: NDArray[np.bool_],
    cols_mask: NDArray[np.bool_],
    row_scores: F64,
) -> Block:
    """The block of the chosen rows and columns with its edge count tested against the null."""
    return _scored_ends(
        graph, alive, graph.rows[alive], graph.cols[alive], rows_mask, cols_mask, row_scores
    )


def _scored_ends(
    graph: Graph,
    alive: I64,
    r: I64,
    c: I64,
    rows_mask: NDArray[np.bool_],
    cols_mask: NDArray[np.bool_],
    row_scores: F64,
) -> Block:
    """`_scored` with the edges' rows `r` and columns `c` already read (they are what
    costs: gathers from the whole graph's arrays)."""
    inside_edges = np.flatnonzero(rows_mask[r] & cols_mask[c])
    observed = float(len(inside_edges))
    per_col = np.bincount(c[inside_edges], minlength=len(cols_mask)).astype(np.float64)
    expected = _block_expected(graph, rows_mask, cols_mask, per_col)
    rows = np.flatnonzero(rows_mask)
    return Block(
        rows=rows,
        cols=np.flatnonzero(cols_mask),
        row_scores=row_scores[rows],
        edges=alive[inside_edges],
        observed=observed,
        expected=float(expected),
        score=poisson_score(observed, float(expected)),
    )


def _scores(counts: F64, least: int, expected: Callable[[I64], F64]) -> F64:
    """Poisson scores of the counts of at least `least` (and one), 0 elsewhere.

    Nodes with fewer edges can never pass, so their expectation is never computed: a
    cohort's search on a million accounts, or a lockstep block among millions of cells,
    then costs its own candidates, not the whole graph, per refinement step.
    """
    chosen = np.flatnonzero(counts >= max(least, 1))
    scores = np.zeros(len(counts), dtype=np.float64)
    scores[chosen] = poisson_scores(counts[chosen], expected(chosen))
    return scores


def _popularity(null: SlotNull, inside: F64, cols: I64) -> F64:
    """Per column of `cols`, its video's share of the likes outside the block."""
    share: F64 = np.maximum(null.popularity[cols] - inside[cols] / null.likes, 0.0)
    return share


def _slot_sums(null: SlotNull, cols: I64, values: F64) -> F64:
    """Per slot, the sum of `values` (one per column of `cols`) over those columns."""
    sums = np.bincount(null.col_slot[cols], values, minlength=len(null.total))
    return sums.astype(np.float64)


def _row_expected(graph: Graph, cols_mask: NDArray[np.bool_], inside: F64, rows: I64) -> F64:
    """Per account of `rows`, the edges into the columns T the null expects, the block
    left out.

    `inside[c]` counts the block's own edges into column c: they leave both T's popularity
    and the total, or a farm that makes most of its targets' likes would explain itself.
    """
    if graph.slots is not None:
        null = graph.slots
        cols = np.flatnonzero(cols_mask)
        inside_s = _slot_sums(null, cols, inside[cols])
        rate = np.maximum(_slot_sums(null, cols, graph.col_degree[cols]) - inside_s, 0.0)
        rate /= np.maximum(null.total - inside_s, 1.0)
        rate = np.maximum(
            rate * null.in_window, _slot_sums(null, cols, _popularity(null, inside, cols))
        )
        expected: F64 = np.asarray(null.by_row[rows] @ rate, dtype=np.float64).ravel()
        return expected
    inner = float(inside[cols_mask].sum())
    outside_t = max(float(graph.col_degree[cols_mask].sum()) - inner, 0.0)
    degree = graph.row_degree[rows]
    expected = degree * outside_t / max(graph.total - inner, 1.0)
    if graph.capped:
        expected = np.maximum(expected, _capped(degree, graph.col_degree[cols_mask], graph.total))
    return expected


def _col_expected(
    graph: Graph,
    rows_mask: NDArray[np.bool_],
    cols_mask: NDArray[np.bool_] | None,
    per_col: F64,
    cols: I64,
) -> F64:
    """Per column of `cols`, the edges from the accounts S the null expects; with
    `cols_mask`, the block's own edges (`per_col` over those columns) are left out of S's
    activity.

    Per slot, a column c is expected to get (d_c - S's likes of c) * S's share of the rest
    of the slot's likes: Chung-Lu in the slot with the block's own edges left out."""
    inside = per_col if cols_mask is not None else np.zeros_like(per_col)
    chosen = cols_mask if cols_mask is not None else np.zeros(len(per_col), dtype=bool)
    if graph.slots is not None:
        null = graph.slots
        block_cols = np.flatnonzero(chosen)
        inside_s = _slot_sums(null, block_cols, inside[block_cols])
        activity = np.asarray(null.by_row[np.flatnonzero(rows_mask)].sum(axis=0)).ravel()
        rate = np.maximum(activity - inside_s, 0.0) / np.maximum(null.total - inside_s, 1.0)
        # A column's own likes from S leave it too: a farm that is most of its window's
        # activity must not predict its own cells (S's share of the slot is then near one).
        others = np.maximum(graph.col_degree[cols] - per_col[cols], 0.0)
        slot = null.col_slot[cols]
        outside = np.maximum(activity - inside_s, 0.0)[slot]
        expected: F64 = np.maximum(
            others * rate[slot] * null.in_window, outside * _popularity(null, per_col, cols)
        )
        return expected
    inner = float(inside[chosen].sum())
    outside_s = max(float(graph.row_degree[rows_mask].sum()) - inner, 0.0)
    degree = graph.col_degree[cols]
    expected = degree * outside_s / max(graph.total - inner, 1.0)
    if graph.capped:
        expected = np.maximum(expected, _capped(degree, graph.row_degree[rows_mask], graph.total))
    return expected


def _block_expected(
    graph: Graph, rows_mask: NDArray[np.bool_], cols_mask: NDArray[np.bool_], per_col: F64
) -> float:
    """The block's edges the null expects (per slot, or floored by the capped model)."""
    if graph.slots is not None:
        null = graph.slots
        cols = np.flatnonzero(cols_mask)
        inside_s = _slot_sums(null, cols, per_col[cols])
        activity = np.asarray(null.by_row[np.flatnonzero(rows_mask)].sum(axis=0)).ravel()
        popularity = _slot_sums(null, cols, graph.col_degree[cols])
        by_s = np.maximum(activity - inside_s, 0.0)
        rate = np.maximum(popularity - inside_s, 0.0) / np.maximum(null.total - inside_s, 1.0)
        rate = np.maximum(
            rate * null.in_window, _slot_sums(null, cols, _popularity(null, per_col, cols))
        )
        return float((by_s * rate).sum())
    inner = float(per_col[cols_mask].sum())
    outside_s = max(float(graph.row_degree[rows_mask].sum()) - inner, 0.0)
    outside_t = max(float(graph.col_degree[cols_mask].sum()) - inner, 0.0)
    expected = outside_s * outside_t / max(graph.total - inner, 1.0)
    if graph.capped:
        floor = _capped(graph.row_degree[rows_mask], graph.col_degree[cols_mask], graph.total)
        expected = max(expected, float(floor.sum()))
    return expected


def _capped(degree: F64, other: F64, total: float) -> F64:
    """Per node of `degree`, the sum over `other` of min(1, d * d_o / m).

    Chung-Lu with each pair's probability capped at one: a heavy user who likes a third of
    the catalogue is expected to like most of its popular videos. Where the leave-out
    expectation above is small because a block holds most of its accounts' and items'
    activity (a heavy core), this floor says what their degrees alone predict. The callers
    pass the items' popularity outside the block's accounts (and the total without the
    block's edges): a farm's targets are popular only through the farm, a heavy core's
    videos are popular with everyone. Sorted prefix sums make it O((n + k) log k).
    """
    ordered = np.sort(other)
    prefix = np.concatenate([[0.0], np.cumsum(ordered)])
    threshold = total / np.maximum(degree, 1e-9)
    below = np.searchsorted(ordered, threshold, side="left")
    capped: F64 = (len(ordered) - below) + degree * prefix[below] / max(total, 1.0)
    return capped.astype(np.float64)
