"""Group detectors: like-exchange rings among creators, device and network farms.

Rings: for creators a and b, the likes a gives b's videos are compared with what a's
activity and b's audience predict (Chung-Lu: d_a * r_b / m, with r_b the likes b's videos
receive). A pair is reciprocal when both directions are significant at `pair_score`; the
connected components of reciprocal pairs with at least `min_members` creators are candidate
rings, kept when their internal likes are significant at `group_score` as a whole.

Farms: accounts sharing one device id, or one IP prefix, form a group. Organic groups (a
family phone, a campus NAT) like different things; a farm likes the same things. A group is
flagged when the pairs of its members that like the same video ("co-likes") are far beyond
what the members' activity and the videos' popularity predict.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph

from plaudit.authenticity.stats import poisson_score, poisson_scores
from plaudit.authenticity.table import Interactions
from plaudit.authenticity.verdicts import Verdict

__all__ = ["FarmSettings", "RingSettings", "farms", "rings"]

I64 = NDArray[np.int64]


@dataclass(frozen=True)
class RingSettings:
    pair_score: float = 1.5
    """Each direction of a reciprocal pair must be this significant (weak on purpose: the
    group test below is what decides)."""
    member_score: float = 3.0
    """A member's likes into the rest of the ring must be this significant."""
    group_score: float = 30.0
    min_members: int = 3


@dataclass(frozen=True)
class FarmSettings:
    min_device_accounts: int = 5
    min_ip_accounts: int = 10
    group_score: float = 30.0
    min_ratio: float = 4.0


def rings(table: Interactions, settings: RingSettings) -> list[Verdict]:
    """Reciprocal like groups among creators; empty without a video -> creator map."""
    if table.creator is None:
        return []
    owner = table.creator[table.video].astype(np.int64)
    keep = (owner >= 0) & (owner != table.account)
    giver, taker = table.account[keep].astype(np.int64), owner[keep]
    rows = np.flatnonzero(keep)
    n, m = table.n_accounts, float(len(table))
    given = np.bincount(table.account, minlength=n).astype(np.float64)
    received = np.bincount(owner[owner >= 0], minlength=n).astype(np.float64)
    counts = sparse.coo_matrix((np.ones(len(giver)), (giver, taker)), shape=(n, n)).tocsr()
    counts.sum_duplicates()
    pairs = counts.tocoo()
    expected = given[pairs.row] * received[pairs.col] / m
    significant = poisson_scores(pairs.data, expected) >= settings.pair_score
    one_way = sparse.coo_matrix(
        (np.ones(int(significant.sum())), (pairs.row[significant], pairs.col[significant])),
        shape=(n, n),
    ).tocsr()
    mutual = one_way.multiply(one_way.T).tocsr()
    mutual.eliminate_zeros()
    _, labels = csgraph.connected_components(mutual, directed=False)
    members_count = np.bincount(labels)
    active = np.flatnonzero(np.asarray(mutual.sum(axis=1)).ravel() > 0)
    verdicts = []
    for label in np.unique(labels[active]):
        if members_count[label] < settings.min_members:
            continue
        members = np.flatnonzero(labels == label)
        verdict = _ring_verdict(table, members, giver, taker, rows, given, received, m, settings)
        if verdict is not None:
            verdicts.append(verdict)
    return verdicts


def _ring_verdict(
    table: Interactions,
    members: I64,
    giver: I64,
    taker: I64,
    rows: I64,
    given: NDArray[np.float64],
    received: NDArray[np.float64],
    m: float,
    settings: RingSettings,
) -> Verdict | None:
    is_member = np.zeros(table.n_accounts, dtype=bool)
    is_member[members] = True
    for _ in range(2):
        inside = is_member[giver] & is_member[taker]
        per_member = np.bincount(giver[inside], minlength=table.n_accounts)
        expected_each = given * received[is_member].sum() / m
        strong = poisson_scores(per_member, expected_each) >= settings.member_score
        is_member &= strong
    members = np.flatnonzero(is_member)
    if len(members) < settings.min_members:
        return None
    inside = is_member[giver] & is_member[taker]
    observed = float(inside.sum())
    expected = float(given[members].sum() * received[members].sum() / m)
    score = poisson_score(observed, expected)
    if score < settings.group_score:
        return None
    likes = rows[inside]
    per_member = np.bincount(giver[inside], minlength=table.n_accounts)[members]
    member_expected = given[members] * received[members].sum() / m
    times = table.ts[likes]
    k = len(members)
    return Verdict(
        detector="ring",
        accounts=members.astype(np.int32),
        account_scores=poisson_scores(per_member, member_expected),
        likes=likes,
        videos=np.unique(table.video[likes]).astype(np.int32),
        observed=observed,
        expected=expected,
        score=score,
        density=observed / max(1.0, float(received[members].sum())),
        window=(int(times.min()), int(times.max())),
        notes={"members": k},
    )


def farms(table: Interactions, settings: FarmSettings) -> list[Verdict]:
    """Device and IP-prefix groups whose members co-like far beyond chance."""
    found: list[Verdict] = []
    for name, codes, least in (
        ("device", table.device, settings.min_device_accounts),
        ("ip", table.ip, settings.min_ip_accounts),
    ):
        if codes is not None:
            found.extend(_farm_groups(table, name, codes, least, settings))
    return found


def _farm_groups(
    table: Interactions,
    name: str,
    codes: NDArray[np.int32],
    least: int,
    settings: FarmSettings,
) -> list[Verdict]:
    group_of = _group_of(table.account, codes, table.n_accounts)
    sizes = np.bincount(group_of[group_of >= 0])
    big = np.flatnonzero(sizes >= least)
    if len(big) == 0:
        return []
    m = float(len(table))
    degree = np.bincount(table.account, minlength=table.n_accounts).astype(np.float64)
    popularity = np.bincount(table.video, minlength=table.n_videos).astype(np.float64)
    collide = float((popularity**2).sum()) / m**2
    verdicts = []
    for group in big:
        members = np.flatnonzero(group_of == group)
        verdict = _farm_verdict(table, name, members, degree, collide, settings, codes == group)
        if verdict is not None:
            verdicts.append(verdict)
    return verdicts


def _group_of(account: NDArray[np.int32], codes: NDArray[np.int32], n: int) -> I64:
    """Per account, the one group it is judged in: the largest code among its likes' (-1
    when none has a code).

    This is the group the first version assigned by sorting every distinct (account, code)
    pair and keeping each account's last; a running maximum gives the same group without
    sorting the likes (two sorts of 16.5 M keys were most of the farm detector's time on
    the medium demo, where no group is large enough to test).
    """
    has = codes >= 0
    group_of = np.full(n, -1, dtype=np.int64)
    np.maximum.at(group_of, account[has], codes[has].astype(np.int64))
    return group_of


def _farm_verdict(
    table: Interactions,
    name: str,
    members: I64,
    degree: NDArray[np.float64],
    collide: float,
    settings: FarmSettings,
    on_shared: NDArray[np.bool_],
) -> Verdict | None:
    """`on_shared` marks the likes made from the group's device (or prefix): only those are
    judged fake, so a hijacked account keeps the likes it made from its own phone."""
    is_member = np.zeros(table.n_accounts, dtype=bool)
    is_member[members] = True
    rows = np.flatnonzero(is_member[table.account])
    keys = np.unique(table.account[rows].astype(np.int64) * table.n_videos + table.video[rows])
    per_video = np.bincount(keys % table.n_videos, minlength=table.n_videos).astype(np.float64)
    observed = float((per_video * (per_video - 1) / 2).sum())
    d = degree[members]
    expected = float((d.sum() ** 2 - (d**2).sum()) / 2 * collide)
    score = poisson_score(observed, expected)
    if score < settings.group_score or observed < settings.min_ratio * expected:
        return None
    shared = (per_video[table.video[rows]] >= 2) & on_shared[rows]
    likes = rows[shared]
    times = table.ts[likes]
    return Verdict(
        detector="farm",
        accounts=members.astype(np.int32),
        account_scores=np.full(len(members), score),
        likes=likes,
        videos=np.flatnonzero(per_video >= 2).astype(np.int32),
        observed=observed,
        expected=expected,
        score=score,
        density=float(len(likes)) / (len(members) * max(1, int((per_video >= 2).sum()))),
        window=(int(times.min()), int(times.max())) if len(likes) else (0, 0),
        notes={"shared": name},
    )
