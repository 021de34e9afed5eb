"""The two block detectors: lockstep (account x video-time cell) and dense (account x video).

Lockstep is in the spirit of CopyCatch (Beutel et al., WWW 2013): fake accounts like the
same videos within the same short window. Cutting time into windows of `window` seconds,
on two grids offset by half a window so that a burst straddling a boundary still falls in
one cell of the other grid, turns a lockstep group into a dense block of account x (video,
window) cells. Organic likes rarely share a cell (a video gets a few likes an hour), so
cells with a single like are dropped before the search; the null model still counts them.

Dense finds blocks in account x video with no time at all, which is what a slow-drip farm
spread over days leaves behind.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from plaudit.authenticity.blocks import (
    Block,
    BlockSettings,
    EdgeIndex,
    Graph,
    SlotNull,
    column_weights,
    find_blocks,
    retest,
    stable_order,
    whole_blocks,
)
from plaudit.authenticity.table import Interactions
from plaudit.authenticity.verdicts import Verdict

__all__ = ["CohortSettings", "DenseSettings", "LockstepSettings", "dense_blocks", "lockstep"]


@dataclass(frozen=True)
class LockstepSettings:
    window: int = 3600
    """Seconds in a time window; a lockstep burst is expected to fit in half of it."""
    per_window: bool = True
    """Test against Chung-Lu within each window (`blocks.SlotNull`): each account's own
    likes in that window times its videos' share of the likes around it; off, the
    whole-period degrees (the model of the first rounds, which takes one account's session
    for lockstep)."""
    band: int = 86_400
    """Seconds either side of a window over which a video's trending share is measured
    (the window itself left out); the expected rate of a cell is that share."""
    # Each like is an edge on both grids, so four edges are two likes at least: one organic
    # like that happens to fall in a farm's window must not make its author a member.
    blocks: BlockSettings = field(
        default_factory=lambda: BlockSettings(
            min_edges=4,
            account_score=8.0,
            member_edges=2,
            # Members of an established block: Bonferroni over the accounts (5.6 at 4,000,
            # 8 at a million) is the floor; 7 lost 10-19% of 200 x 200 farms at density
            # 0.05 on heavy-core, whose targets are a fifth of its catalogue.
            member_score=5.0,
            min_ratio=10.0,
            min_accounts=10,
            # A sparse farm's accounts score 4-6 each against the per-window null (ten likes
            # on targets that are a fifth of the catalogue); together they are many
            # discoveries. Where the fixed bars find no block, Benjamini-Hochberg at 0.2%
            # keeps those that spend most of their likes in the block's hours on its cells
            # (`blocks._synchronous`; docs/authenticity.md, seventh round).
            window_fdr=0.002,
            window_share=0.5,
        )
    )


@dataclass(frozen=True)
class DenseSettings:
    blocks: BlockSettings = field(
        # Without time, organic taste is itself dense: on KuaiRec, groups of 15-40 heavy
        # viewers of the same videos reach 7-10 times the null; farms reach 30 and more.
        default_factory=lambda: BlockSettings(
            block_score=30.0,
            min_ratio=15.0,
            spectral=8,
            min_accounts=30,
            min_density=0.08,
            min_share=0.5,
            member_score=12.0,
            member_edges=3,
        )
    )
    capped: bool = True
    """Floor every expectation by the capped Chung-Lu model (sum of min(1, d_a d'_v / m'),
    d'_v the video's likes from outside the block): heavy users x popular videos is dense
    by degree alone (`blocks._capped`)."""
    creator_spread: float = 0.7
    """A block whose videos span fewer than this fraction of the creators that as many
    random videos would span is a creator's audience, not a farm (needs creator_id)."""
    drip: BlockSettings | None = None
    """Second pass for slow-drip farms over the whole graph: a wide target set at a lower
    ratio. Off by default since the cohort pass (issue 19, third round): at 3x and at 4x it
    flagged 110 real MovieLens raters in a drip run (docs/authenticity.md, "Slow drip").
    `DRIP_SEARCH` holds its last calibrated settings."""
    drip_popularity: float = 1.2
    """The drip pass dismisses a block whose videos' median likes from outside it exceed
    this many times the median video's likes (`_popular_targets`)."""
    cohort: CohortSettings | None = field(default_factory=lambda: CohortSettings())
    """Third pass: the drip search within each cohort of accounts that started together
    (None: off)."""
    cohort_accounts: bool = True
    """A cohort verdict judges every like of its accounts fake, not only those in its block
    (bought accounts have no authentic likes; `_every_like`); False keeps to the block."""
    started_together: float = 0.5
    """... but only when at least this share of its accounts started (first like) within
    one cohort width (`CohortSettings.days`) around the block's median start: a block
    whose members started weeks apart is not a cohort of bought accounts but real ones
    taken over (hijacked), who keep the likes they made themselves (`_bought`)."""


DRIP_SEARCH = BlockSettings(
    # On dense real graphs (KuaiRec's small matrix: 4.6% filled) a farm at density 0.1-0.2
    # is only 2.5-6 times the degree-aware null, below the 15x of the first search, while
    # organic taste blocks reach 8-10 times it. What tells them apart is the target set: a
    # farm sells likes on many ordinary videos (at least 50), organic heavy users meet on the
    # hits (`drip_popularity`). See docs/authenticity.md, "Slow drip: the target set".
    block_score=30.0,
    min_ratio=3.0,
    spectral=8,
    min_accounts=30,
    min_items=50,
    min_density=0.08,
    min_share=0.3,
    member_score=12.0,
    member_edges=3,
)
"""The second round's whole-graph drip search (`DenseSettings(drip=DRIP_SEARCH)` turns it on)."""


@dataclass(frozen=True)
class CohortSettings:
    """The cohort pass of the dense detector: farms are bought and start together.

    An account's start is its first like. Accounts are grouped by start into windows of
    `days` days on two grids offset by half a window, so that accounts made within half a
    window of each other share a cohort on one grid. The drip search (`blocks`) then runs on
    each cohort's likes alone, against the same degree-aware null of the whole graph: the
    block test is unchanged, but the search no longer meets the organic blocks of heavy
    users who started at other times, which is what lets its ratio be lower.
    """

    days: int = 8
    """Width of a cohort. A drip account's first like comes a few days after it was made
    (20-40 likes over weeks), so a farm made within a day starts liking over 3-5 days."""
    censor_gaps: float = 1.5
    """An account whose first like falls in the file's first window is in a cohort only
    when that like came later than this many of its own mean gaps between days with likes
    after the file's start (`_starts`); 0 dates everyone, infinity no one of the first
    window (the rule before issue 19's fifth round)."""
    popularity: float = 1.2
    """A cohort block whose videos' geometric-mean likes from accounts outside the cohort
    exceed this many times the catalogue's is dismissed: new users meeting on the hits
    (MovieLens' sign-up asks every new user to rate the same popular films)."""
    blocks: BlockSettings = field(
        default_factory=lambda: BlockSettings(
            block_score=30.0,
            min_ratio=2.0,
            spectral=8,
            min_accounts=30,
            min_items=50,
            min_density=0.08,
            min_share=0.3,
            member_score=6.0,
            member_edges=3,
            account_fdr=0.01,
            member_fdr=0.01,
            max_misses=1,
            dismissed_is_miss=False,
        )
    )


def lockstep(table: Interactions, settings: LockstepSettings) -> list[Verdict]:
    by_video = _by_video(table)
    graph = _cell_graph(table, settings.window, settings.per_window, settings.band, by_video)
    weights = column_weights(graph.col_degree)[graph.cols]
    blocks = find_blocks(graph, weights, settings.blocks)
    if graph.slots is not None:
        blocks = _without_each_other(table, by_video, graph, blocks, settings)
    return [_verdict("lockstep", table, graph, block) for block in blocks]


def _without_each_other(
    table: Interactions,
    by_video: _ByVideo,
    graph: Graph,
    blocks: list[Block],
    settings: LockstepSettings,
) -> list[Block]:
    """Each lockstep block tested again against trending shares measured without the likes
    of the other blocks; a block that fails is dropped and the rest are tested again.

    A farm's likes are not the organic trend of their day: a farm of 8,000 likes at a quiet
    hour makes most of the likes in the day either side of it, so every other video's share
    of that band, and with it the null of every organic session that day, drops (MovieLens,
    a 200 x 200 farm at density 0.2: 24 real raters 13 hours later tested against 12 cell
    likes where their own day predicts 202). The search runs on the shares as measured; the
    shares each block is finally judged by leave the other verdicts' likes out.
    """
    assert graph.slots is not None
    cell_video = np.zeros(len(graph.col_degree), dtype=np.int64)
    cell_video[graph.cols] = table.video[graph.origin]
    current = blocks
    while len(current) > 1:
        tested = [
            _retested(table, by_video, graph, cell_video, current, i, settings)
            for i in range(len(current))
        ]
        if all(block is not None for block in tested):
            return [block for block in tested if block is not None]
        current = [block for block, kept in zip(current, tested, strict=True) if kept is not None]
    return current


def _retested(
    table: Interactions,
    by_video: _ByVideo,
    graph: Graph,
    cell_video: NDArray[np.int64],
    blocks: list[Block],
    i: int,
    settings: LockstepSettings,
) -> Block | None:
    """Block `i` against the trending shares of its own cells without the other blocks'
    likes (`blocks.retest`)."""
    assert graph.slots is not None
    assert graph.col_group is not None
    others = np.zeros(len(table), dtype=bool)
    for j, block in enumerate(blocks):
        if j != i:
            others[graph.origin[block.edges]] = True
    kept = ~others[by_video.order]
    organic = _ByVideo(order=by_video.order[kept], video=by_video.video[kept], ts=by_video.ts[kept])
    whole = np.bincount(organic.video, minlength=table.n_videos) / max(1, len(organic.order))
    cols = blocks[i].cols
    popularity = graph.slots.popularity.copy()
    popularity[cols] = _band_share(
        organic,
        cell_video[cols],
        graph.col_group[cols],
        settings.window,
        settings.band,
        whole[cell_video[cols]],
    )
    null = replace(graph.slots, popularity=popularity)
    return retest(replace(graph, slots=null), blocks, i, settings.blocks)


def dense_blocks(table: Interactions, settings: DenseSettings) -> list[Verdict]:
    graph = replace(_video_graph(table), capped=settings.capped)
    weights = column_weights(graph.col_degree)[graph.cols]
    audience = None
    if table.creator is not None:
        audience = partial(_creator_audience, table.creator, settings.creator_spread)
    blocks = find_blocks(graph, weights, settings.blocks, audience)
    if settings.drip is not None:
        popular = partial(_popular_targets, graph, settings.drip_popularity)

        def organic(block: Block) -> bool:
            return popular(block) or (audience is not None and audience(block))

        blocks += _new_blocks(blocks, find_blocks(graph, weights, settings.drip, organic))
    bought: list[Block] = []
    if settings.cohort is not None:
        bought = _new_blocks(blocks, _cohort_blocks(table, graph, weights, settings, audience))
    verdicts = [_verdict("dense", table, graph, block) for block in blocks]
    start = _first_likes(table) if bought else np.empty(0, dtype=np.int64)
    for block in bought:
        verdict = _verdict("dense", table, graph, block)
        if settings.cohort_accounts and _bought(start, block, settings):
            verdict = _every_like(table, verdict)
        verdicts.append(verdict)
    return verdicts


def _first_likes(table: Interactions) -> NDArray[np.int64]:
    """Each account's first like (its start, as the cohort pass sees it)."""
    start = np.full(table.n_accounts, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(start, table.account, table.ts)
    return start


def _bought(start: NDArray[np.int64], block: Block, settings: DenseSettings) -> bool:
    """Whether a cohort block's accounts started together, as bought accounts do.

    The cohort pass finds a block within one cohort, then any account of the graph may
    join it as a member (`blocks.whole_blocks`). A farm's accounts were made within days
    of each other, and nearly all of them started within a cohort width of their median
    start (heavy-core, a drip at density 0.1: 98%). Hijacked real accounts that like the
    same targets started whenever they joined the platform (heavy-core, 200 hijacked
    accounts: 23%): their block is theirs, the rest of their likes are their own.
    """
    assert settings.cohort is not None
    starts = start[block.rows]
    half = settings.cohort.days * DAY / 2
    near = np.abs(starts - float(np.median(starts))) <= half
    return float(near.mean()) >= settings.started_together


def _every_like(table: Interactions, verdict: Verdict) -> Verdict:
    """The verdict extended to every like of its accounts.

    A cohort verdict convicts accounts that started together and spend their likes on one
    target set: bought accounts, with no authentic like of their own. Its block holds only
    the targets its accounts like beyond what their degrees predict; on a hit, a farm's
    likes are no more than the hit's own audience would give (MovieLens, a drip at density
    0.2: the 22 targets left out of the block had 157-583 organic likes, against a median
    film's 27), and the block leaves them and the camouflage standing. A lockstep verdict
    keeps to its burst: a hijacked account keeps the likes it made itself.
    """
    likes = np.flatnonzero(np.isin(table.account, verdict.accounts)).astype(np.int64)
    return replace(verdict, likes=likes, notes={**verdict.notes, "extent": "accounts"})


def _cohort_blocks(
    table: Interactions,
    graph: Graph,
    weights: NDArray[np.float64],
    settings: DenseSettings,
    audience: Callable[[Block], bool] | None,
) -> list[Block]:
    """The drip search within each cohort of accounts that started together.

    Edges are sorted once by their account's cohort, so each cohort's search reads only its
    own edges; the null degrees stay those of the whole graph. The whole graph's edges are
    grouped once by account and by video (`EdgeIndex`) for what each candidate and each block
    found asks of the whole graph: its members and its videos' popularity outside it.
    """
    cohort = settings.cohort
    assert cohort is not None
    start, dated = _starts(table, cohort)
    first = int(table.ts.min())
    width = cohort.days * DAY
    index = EdgeIndex.of(graph)
    found: list[Block] = []
    for offset in (0, width // 2):
        ids = np.where(dated, (start - first + offset) // width, -1)
        sizes = np.bincount(ids[dated])
        edge_ids = ids[graph.rows]
        order = stable_order(edge_ids + 1, len(sizes) + 1)  # -1: in no cohort
        bounds = np.searchsorted(edge_ids[order], np.arange(len(sizes) + 1))
        for k in np.flatnonzero(sizes >= cohort.blocks.min_accounts):
            edges = order[bounds[k] : bounds[k + 1]]
            sub = replace(
                graph, rows=graph.rows[edges], cols=graph.cols[edges], origin=graph.origin[edges]
            )
            popular = partial(_hits, graph, index, _Cohort(graph, ids == k, edges), cohort)

            def organic(block: Block, popular: Callable[[Block], bool] = popular) -> bool:
                return popular(block) or (audience is not None and audience(block))

            for block in find_blocks(sub, weights[edges], cohort.blocks, organic):
                found.append(replace(block, edges=edges[block.edges]))
    return whole_blocks(graph, found, cohort.blocks, index=index)


def _starts(
    table: Interactions, cohort: CohortSettings
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Each account's first like, and whether that is its start (it is "dated").

    An account whose first like falls in the file's first window may be older than the
    file: its first like is then the file's start plus a wait at its own pace, about one
    of its mean gaps between days with likes (if the wait were exponential, it would be
    longer than `censor_gaps` = 1.5 of them 22% of the time). Such an account is dated only
    when its first like came later than that, so that a farm made in the file's first days
    still has part of its accounts in a cohort (the rest join its block as members, from
    the whole graph); most of the first window's older accounts stay out of every cohort,
    and those that do not are organic accounts among the cohort's others. Accounts after
    the first window are always dated.
    """
    n = table.n_accounts
    start = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(start, table.account, table.ts)
    last = np.zeros(n, dtype=np.int64)
    np.maximum.at(last, table.account, table.ts)
    # The pace is counted in days with likes, not likes: a session of fifty likes in an
    # hour is one visit, and an account's first like waits for its next visit.
    first = int(table.ts.min())
    span = int(table.ts.max() - first) // DAY + 1
    # Distinct (account, day) pairs by one sort of dense keys (a hash-based unique of keys
    # whose low bits are the day collides badly: 60 s at 5 M likes).
    keys = np.sort(table.account.astype(np.int64) * span + (table.ts - first) // DAY)
    distinct = np.ones(len(keys), dtype=bool)
    distinct[1:] = keys[1:] != keys[:-1]
    days = np.bincount(keys[distinct] // span, minlength=n)
    gap = (last - start) / np.maximum(days - 1, 1)
    since = (start - first).astype(np.float64)
    wait = np.minimum(float(cohort.days * DAY), cohort.censor_gaps * np.maximum(gap, 1.0))
    # An account that liked on a single day has no pace: it waits the whole first window.
    wait = np.where(days > 1, wait, float(cohort.days * DAY))
    return start, (days > 0) & (since >= wait)


def _popular_targets(graph: Graph, most: float, block: Block) -> bool:
    """Whether a block's videos are, by their likes from outside it, far more popular than
    the catalogue's median video: heavy users meeting on the hits, not bought likes.

    A farm is paid to lift videos that need it; its targets, by their organic likes, are
    ordinary videos of the catalogue.
    """
    inside = np.bincount(graph.cols[block.edges], minlength=len(graph.col_degree))
    outside = (graph.col_degree - inside)[block.cols]
    return float(np.median(outside)) > most * float(np.median(graph.col_degree))


class _Cohort:
    """One cohort's accounts and edges, with its likes per video counted once, when its
    first candidate asks (`_hits` asks it of every candidate, most cohorts of none)."""

    def __init__(self, graph: Graph, accounts: NDArray[np.bool_], edges: NDArray[np.int64]):
        self.graph = graph
        self.accounts = accounts
        """Whether each account of the graph is in the cohort."""
        self.edges = edges
        """The cohort's edges (the graph's ids), those of its accounts."""
        self._per_video: NDArray[np.int64] | None = None

    def per_video(self) -> NDArray[np.int64]:
        """The cohort's likes of each video."""
        if self._per_video is None:
            cols = self.graph.cols[self.edges]
            self._per_video = np.bincount(cols, minlength=len(self.graph.col_degree))
        return self._per_video


def _hits(
    graph: Graph,
    index: EdgeIndex,
    members: _Cohort,
    cohort: CohortSettings,
    block: Block,
) -> bool:
    """Whether a cohort block's videos are hits among the accounts outside it: their
    geometric-mean likes from those accounts above `cohort.popularity` times the catalogue's.

    Outside means neither in the cohort nor a member of the block anywhere in the graph
    (`whole_blocks`): a farm whose accounts started over several days has members in the
    next cohort too, and their likes on its targets (on KuaiRec, whose median video has 3
    likes, 20 each) are not the targets' popularity. A geometric mean, unlike a median of
    small counts, moves smoothly. `index` is `graph`'s: each candidate then reads the edges
    of its own accounts and items, not the whole graph's.
    """
    candidate = replace(block, edges=members.edges[block.edges])
    (grown,) = whole_blocks(graph, [candidate], cohort.blocks, index=index)
    # The cohort's likes are counted once per cohort; only the members from elsewhere
    # are read per candidate (integer counts: the same sums in any order).
    joined = grown.rows[~members.accounts[grown.rows]]
    theirs = graph.cols[index.of_rows(joined)]
    away = members.per_video() + np.bincount(theirs, minlength=len(graph.col_degree))
    outside = graph.col_degree - away
    liked = outside >= 0
    block_mean = float(np.mean(np.log1p(outside[block.cols])))
    catalogue = float(np.mean(np.log1p(outside[liked])))
    return block_mean > float(np.log(cohort.popularity)) + catalogue


def _new_blocks(found: list[Block], more: list[Block]) -> list[Block]:
    """Blocks of `more` whose accounts are mostly outside every block of `found`."""
    if not found:
        return more
    taken = np.concatenate([block.rows for block in found])
    return [block for block in more if np.isin(block.rows, taken).mean() < 0.5]


def _creator_audience(creator: NDArray[np.int32], least: float, block: Block) -> bool:
    """Whether a block's videos come from far fewer creators than as many random videos.

    Fans like many videos of the creators they follow, so without time an audience is a
    dense block; a farm's targets are spread over creators like any random set of videos.
    """
    _, per_creator = np.unique(creator, return_counts=True)
    share = per_creator / len(creator)
    expected = float((1.0 - (1.0 - share) ** len(block.cols)).sum())
    return len(np.unique(creator[block.cols])) < least * expected


DAY = 86_400

BAND_PRIOR = 50.0
"""Weight, in likes, of a video's whole-period share in its trending share of a band."""


def _band_share(
    by_video: _ByVideo,
    video: NDArray[np.int64],
    slot: NDArray[np.int64],
    window: int,
    band: int,
    prior: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Per cell, its video's share of the likes in the `band` seconds either side of the
    cell's window, the window and its two neighbours left out (shrunk towards `prior`).

    This is what a video trending that day predicts: accounts online at once all like the
    new popular video. Leaving the window itself out means a farm, however large, cannot
    raise the rate its own likes are tested against.
    """
    half = window // 2
    start = slot * half  # a cell of slot s covers [s * half, s * half + window)
    inner_lo, inner_hi = start - window, start + 2 * window
    outer_lo, outer_hi = start - band, start + window + band
    # The likes sorted by (video, time) are sorted by this key: one binary search per bound.
    base = int(by_video.ts.min()) - 2 * band - 2 * window
    span = int(by_video.ts.max()) - base + 2 * band + 2 * window + 1
    keys = by_video.video * span + (by_video.ts - base)

    def count_video(lo: NDArray[np.int64], hi: NDArray[np.int64]) -> NDArray[np.int64]:
        left = np.searchsorted(keys, video * span + (lo - base), side="left")
        right = np.searchsorted(keys, video * span + (hi - base), side="left")
        counts: NDArray[np.int64] = right - left
        return counts

    count_all = _time_counter(by_video.ts, outer_lo, math.gcd(half, window, band))
    mine = count_video(outer_lo, outer_hi) - count_video(inner_lo, inner_hi)
    everyone = count_all(outer_lo, outer_hi) - count_all(inner_lo, inner_hi)
    # Shrunk towards the video's share of the whole period by BAND_PRIOR likes' weight:
    # a quiet band holds too few likes to say much about one video.
    share: NDArray[np.float64] = (mine + BAND_PRIOR * prior) / (everyone + BAND_PRIOR)
    return share


def _time_counter(
    ts: NDArray[np.int64], lows: NDArray[np.int64], step: int
) -> Callable[[NDArray[np.int64], NDArray[np.int64]], NDArray[np.int64]]:
    """Counts of likes with lo <= ts < hi, for bounds that are multiples of `step` seconds.

    One histogram of the times on that step and its prefix sums answer every query in
    O(1), where binary searches into the sorted times would cost a sort of every like and
    a cache miss per query. A step so fine that the histogram would outgrow the likes
    falls back to the sort.
    """
    if len(ts) == 0:
        return lambda lo, hi: np.zeros(len(lo), dtype=np.int64)
    lowest = min(int(ts.min()), int(lows.min()) if len(lows) else int(ts.min()))
    base = (lowest // step) * step
    bins = (int(ts.max()) - base) // step + 1
    if bins > 4 * len(ts) + 1_000_000:
        times = np.sort(ts)

        def by_search(lo: NDArray[np.int64], hi: NDArray[np.int64]) -> NDArray[np.int64]:
            counts: NDArray[np.int64] = np.searchsorted(times, hi, "left") - np.searchsorted(
                times, lo, "left"
            )
            return counts

        return by_search
    prefix = np.zeros(bins + 1, dtype=np.int64)
    np.cumsum(np.bincount((ts - base) // step, minlength=bins), out=prefix[1:])

    def at(bound: NDArray[np.int64]) -> NDArray[np.int64]:
        index: NDArray[np.int64] = prefix[np.clip((bound - base) // step, 0, bins)]
        return index

    return lambda lo, hi: at(hi) - at(lo)


@dataclass(frozen=True)
class _ByVideo:
    """The likes sorted by (video, time): `order` gives each position's like."""

    order: NDArray[np.int64]
    video: NDArray[np.int64]
    ts: NDArray[np.int64]


def _by_video(table: Interactions) -> _ByVideo:
    video = table.video.astype(np.int64)
    first = int(table.ts.min()) if len(table) else 0
    span = (int(table.ts.max()) - first + 1) if len(table) else 1
    order = np.argsort(video * span + (table.ts - first))
    return _ByVideo(order=order, video=video[order], ts=table.ts[order])


def _cells(
    by_video: _ByVideo, window: int, n_videos: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Each like's cell on each grid, the cells numbered in (video, grid, window) order.

    Returns the cell of every edge (like i on grid 0 is edge i, on grid 1 edge n + i) and
    each cell's video and slot (in half windows). Within one video the likes are sorted by
    time, so a grid's windows are runs of the sorted likes: no sort beyond `_by_video`.
    """
    n = len(by_video.order)
    ids: list[NDArray[np.int64]] = []
    videos: list[NDArray[np.int64]] = []
    slots: list[NDArray[np.int64]] = []
    for grid in (0, 1):
        bucket = (by_video.ts + grid * (window // 2)) // window
        starts = np.ones(n, dtype=bool)
        starts[1:] = (by_video.video[1:] != by_video.video[:-1]) | (bucket[1:] != bucket[:-1])
        ids.append(np.cumsum(starts) - 1)
        heads = np.flatnonzero(starts)
        videos.append(by_video.video[heads])
        slots.append(2 * bucket[heads] - grid)
    per_video = [np.bincount(v, minlength=n_videos) for v in videos]
    # Grid 0 cells of video v come after every cell of the videos before v; grid 1 cells
    # after those and the grid 0 cells of v.
    offsets = [np.cumsum(per_video[1]) - per_video[1], np.cumsum(per_video[0])]
    total = len(videos[0]) + len(videos[1])
    cols = np.empty(2 * n, dtype=np.int64)
    cell_video = np.empty(total, dtype=np.int64)
    cell_slot = np.empty(total, dtype=np.int64)
    for grid in (0, 1):
        number = np.arange(len(videos[grid]), dtype=np.int64) + offsets[grid][videos[grid]]
        cols[grid * n + by_video.order] = number[ids[grid]]
        cell_video[number] = videos[grid]
        cell_slot[number] = slots[grid]
    return cols, cell_video, cell_slot


def _cell_graph(
    table: Interactions,
    window: int,
    per_window: bool = True,
    band: int = 86_400,
    by_video: _ByVideo | None = None,
) -> Graph:
    n = len(table)
    origin = np.concatenate([np.arange(n, dtype=np.int64)] * 2)
    accounts = np.tile(table.account.astype(np.int64), 2)
    by_video = by_video if by_video is not None else _by_video(table)
    cols, cell_video, cell_slot = _cells(by_video, window, table.n_videos)
    col_degree = np.bincount(cols, minlength=len(cell_video)).astype(np.float64)
    row_degree = np.bincount(accounts, minlength=table.n_accounts).astype(np.float64)
    # Only cells with two likes or more are candidates; number them densely so that each
    # peeling pass scans those cells and not the millions of single-like ones.
    kept = col_degree >= 2
    new_index = np.cumsum(kept) - 1
    shared = kept[cols]
    slots_null = None
    if per_window:
        whole = np.bincount(table.video, minlength=table.n_videos) / max(1, n)
        popularity = _band_share(
            by_video, cell_video[kept], cell_slot[kept], window, band, whole[cell_video[kept]]
        )
        # Grid 0 window k starts at k * window, grid 1 window j at (j - 1/2) * window: in
        # half windows, 2k and 2j - 1.
        slots = cell_slot[cols]
        slots_null = _slot_null(accounts, slots, cell_slot[kept], table.n_accounts, popularity)
    return Graph(
        rows=accounts[shared],
        cols=new_index[cols[shared]].astype(np.int64),
        origin=origin[shared],
        row_degree=row_degree,
        col_degree=col_degree[kept],
        total=float(len(origin)),
        col_group=cell_slot[kept],
        slots=slots_null,
    )


def _slot_null(
    accounts: NDArray[np.int64],
    slots: NDArray[np.int64],
    col_slot: NDArray[np.int64],
    n: int,
    popularity: NDArray[np.float64],
) -> SlotNull:
    """Each account's likes per time slot, over every like (single-like cells too)."""
    first = int(slots.min())
    index = (slots - first).astype(np.int32)
    width = int(index.max()) + 1
    counts = sparse.csr_matrix(
        (np.ones(len(index), dtype=np.float32), (accounts.astype(np.int32), index)),
        shape=(n, width),
    )
    counts.sum_duplicates()
    total = np.bincount(index, minlength=width).astype(np.float64)
    return SlotNull(
        col_slot=(col_slot - first).astype(np.int64),
        by_row=counts,
        total=total,
        popularity=popularity,
        likes=len(accounts) / 2,
    )


def _video_graph(table: Interactions) -> Graph:
    keys = table.account.astype(np.int64) * table.n_videos + table.video
    # np.unique(keys, return_index=True)'s `first`, each key's first row, through the
    # packed sort (`stable_order`) rather than its merge sort of 16.5 M indexes.
    order = stable_order(keys, table.n_accounts * table.n_videos)
    ordered = keys[order]
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    first = order[starts]
    rows = table.account[first].astype(np.int64)
    cols = table.video[first].astype(np.int64)
    return Graph(
        rows=rows,
        cols=cols,
        origin=first.astype(np.int64),
        row_degree=np.bincount(rows, minlength=table.n_accounts).astype(np.float64),
        col_degree=np.bincount(cols, minlength=table.n_videos).astype(np.float64),
        total=float(len(rows)),
    )


def _verdict(detector: str, table: Interactions, graph: Graph, block: Block) -> Verdict:
    likes = np.unique(graph.origin[block.edges])
    times = table.ts[likes]
    return Verdict(
        detector=detector,
        accounts=block.rows.astype(np.int32),
        account_scores=block.row_scores,
        likes=likes,
        videos=np.unique(table.video[likes]).astype(np.int32),
        observed=block.observed,
        expected=block.expected,
        score=block.score,
        density=block.observed / (len(block.rows) * len(block.cols)),
        window=(int(times.min()), int(times.max())),
    )
