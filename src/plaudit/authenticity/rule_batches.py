"""The real-time rules' set-based judging of a bulk batch (`RuleEngine.admit_batch`): each
window's counts for every like of the batch from arrays, and the verdicts from them.

Kept apart from `rules.py` so that NumPy loads with the first bulk batch, not with the API
(`tests/api/test_api_lazy_imports.py`). The windows stay `rules.py`'s; this module only reads
them (`SlidingCounter.times_of`, `DistinctCounter.seen_of`).
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from plaudit.authenticity.rules import HOLD_RISK, NEW_ACCOUNT_RISK

if TYPE_CHECKING:
    from plaudit.authenticity.rules import DistinctCounter, RuleSettings, SlidingCounter

__all__ = [
    "Grouped",
    "as_flags",
    "as_times",
    "flags",
    "goes_back",
    "over",
    "sharing_counts",
    "verdicts",
    "window_counts",
]

RULE_ORDER = (
    "account_velocity",
    "device_velocity",
    "device_accounts",
    "ip_velocity",
    "new_account",
)
"""The rules in the order `RuleEngine._verdict` weighs them (the numbers `verdicts` uses)."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
_NO_TIMES: list[float] = []


class Grouped:
    """A batch's likes grouped by one window's key: `codes` numbers each like's key among
    `keys` (first seen first; -1: the rule does not apply), `order` lists the likes by key
    and, within a key, in item order; the keyless ones (-1) come first, `skip` of them."""

    def __init__(self, keys: Sequence[Hashable | None]) -> None:
        index: dict[Hashable, int] = {}
        self.codes: IntArray = np.fromiter(
            (-1 if key is None else index.setdefault(key, len(index)) for key in keys),
            np.int64,
            len(keys),
        )
        self.keys: list[Hashable] = list(index)
        self.order: IntArray = np.argsort(self.codes, kind="stable")
        self.skip = int(np.count_nonzero(self.codes < 0))

    def bounds(self) -> tuple[IntArray, IntArray]:
        """Where each key's likes start and end in `order` (keys in number order)."""
        sorted_codes = self.codes[self.order]
        starts = np.searchsorted(sorted_codes, np.arange(len(self.keys)), "left")
        ends = np.append(starts[1:], len(sorted_codes))
        return starts, ends

    def singles(
        self, at: FloatArray, counted: BoolArray
    ) -> Iterator[tuple[Hashable, list[float], list[bool]]]:
        """(key, [time], [counted]) of each key with one like in the batch."""
        starts, ends = self.bounds()
        one = np.flatnonzero(ends - starts == 1)
        likes = self.order[starts[one]]
        for number, when, kept in zip(
            one.tolist(), at[likes].tolist(), counted[likes].tolist(), strict=True
        ):
            yield self.keys[number], [when], [kept]

    def runs(
        self, at: FloatArray, counted: BoolArray
    ) -> Iterator[tuple[Hashable, list[float], list[bool]]]:
        """(key, times, counted) in item order, of each key with several likes."""
        starts, ends = self.bounds()
        for number in np.flatnonzero(ends - starts > 1).tolist():
            likes = self.order[starts[number] : ends[number]]
            yield self.keys[number], at[likes].tolist(), counted[likes].tolist()


def window_counts(
    window: SlidingCounter, group: Grouped, at: FloatArray, counted: BoolArray
) -> IntArray:
    """What `window.count(key, t_i) + 1` is for each like i of a batch judged one by one, in
    order, when only the likes with `counted` stay in the window: its stored times in
    (t_i - span, t_i], the counted likes before i with its key (their times are at most
    t_i: the batch's times must not decrease), and i itself. 0 where the key is None.

    Set-based: the batch's likes, the stored times of its keys and each like's window
    start are ranked together (exact comparisons of the same floats `count` compares),
    so that (key, rank) pairs are integers one binary search answers for every like.
    """
    size = len(group.codes)
    if not group.keys:
        return np.zeros(size, np.int64)
    codes, order = group.codes, group.order
    since = at - window.span
    stored = [window.times_of(key) or _NO_TIMES for key in group.keys]
    lengths = np.fromiter(map(len, stored), np.int64, len(stored))
    stored_times = np.fromiter(itertools.chain.from_iterable(stored), np.float64)
    ranks = np.unique(np.concatenate((at, since, stored_times)), return_inverse=True)[1]
    width = int(ranks.max()) + 1
    at_key = codes * width + ranks[:size]
    since_key = codes * width + ranks[size : 2 * size]
    stored_key = np.repeat(np.arange(len(stored)), lengths) * width + ranks[2 * size :]
    in_window = np.searchsorted(stored_key, at_key, "right") - np.searchsorted(
        stored_key, since_key, "right"
    )
    # the batch's own likes: grouped by key, in item order (so in time order) within
    first_in_window = np.searchsorted(at_key[order], since_key[order], "right")
    before = np.zeros(size + 1, np.int64)
    np.cumsum(counted[order], out=before[1:])
    counts = np.empty(size, np.int64)
    counts[order] = before[:-1] - before[first_in_window] + 1
    counts += in_window
    counts[codes < 0] = 0
    return counts


def sharing_counts(
    window: DistinctCounter,
    group: Grouped,
    members: Sequence[int],
    at: Sequence[float],
    counted: BoolArray,
) -> IntArray:
    """`window.count_with(key, member, t_i)` for each like i of a batch judged one by one in
    order, the likes with `counted` staying in the window (0 where the key is None). A
    key with one member among its stored ones and the batch's counts 1 for every like;
    the others (a device shared by accounts) are counted like by like."""
    counts = np.zeros(len(members), np.int64)
    codes = group.codes
    if not group.keys:
        return counts
    who = np.array(members, np.int64)[group.order]
    starts, ends = group.bounds()
    first = group.order[starts]
    alone = np.minimum.reduceat(who[group.skip :], starts - group.skip) == np.maximum.reduceat(
        who[group.skip :], starts - group.skip
    )
    for number, key in enumerate(group.keys):
        seen = window.seen_of(key)
        if seen and not (alone[number] and seen.keys() <= {members[first[number]]}):
            alone[number] = False
    counts[codes >= 0] = 1
    shared = np.flatnonzero(~alone)
    kept = counted.tolist()
    for number in shared.tolist():
        key = group.keys[number]
        seen = dict(window.seen_of(key) or {})
        for p in group.order[starts[number] : ends[number]].tolist():
            member = members[p]
            counts[p] = _count_in(seen, member, at[p] - window.span)
            if kept[p]:
                last = seen.get(member)
                seen[member] = at[p] if last is None else max(at[p], last)
    return counts


def _count_in(seen: Mapping[int, float], member: int, since: float) -> int:
    return sum(1 for who, last in seen.items() if last > since and who != member) + 1


def verdicts(
    rules: RuleSettings,
    account: IntArray,
    device: IntArray,
    sharing: IntArray,
    ip: IntArray,
    young: IntArray,
    new: BoolArray,
) -> tuple[list[int], list[str | None]]:
    """`RuleEngine._verdict` over arrays of counts (0: the rule does not apply): the same
    float divisions and comparisons, and the same rounding (half to even, as `round`)."""
    ratio = account / rules.account_hold
    rule = np.zeros(len(ratio), np.int64)
    candidates = (
        (device / rules.device_hold, device > 0),
        (sharing / rules.device_accounts_hold, device > 0),
        (ip / rules.ip_hold, ip > 0),
        (young / rules.new_account_hold, young > 0),
    )
    for number, (value, applies) in enumerate(candidates, start=1):
        nearer = applies & (value > ratio)  # a later window wins only when strictly nearer
        ratio = np.where(nearer, value, ratio)
        rule[nearer] = number
    risk = np.minimum(100, np.rint(HOLD_RISK * ratio).astype(np.int64) + NEW_ACCOUNT_RISK * new)
    holds = [
        RULE_ORDER[number] if held else None
        for number, held in zip(rule.tolist(), (ratio > 1.0).tolist(), strict=True)
    ]
    return risk.tolist(), holds


def as_times(times: Sequence[float | None]) -> FloatArray:
    return np.array(times, np.float64)


def as_flags(values: Sequence[bool]) -> BoolArray:
    return np.array(values, np.bool_)


def goes_back(at: FloatArray) -> bool:
    """Whether a time is earlier than the one before it."""
    return len(at) > 1 and bool((at[1:] < at[:-1]).any())


def over(counts: IntArray, limit: int) -> bool:
    return bool((counts > limit).any())


def flags(values: BoolArray) -> list[bool]:
    return [bool(value) for value in values.tolist()]
