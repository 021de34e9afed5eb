"""Real-time rules at ingest: velocity per account, device and IP prefix; device sharing; new
accounts. Each like is admitted (accepted or held, with a risk score 0-100) or refused.

Rules and their outcomes (limits are settings, docs/authenticity.md "Real-time rules"):

    rule              key                       window  hold above          refuse above
    account_velocity  account                   60 s    account_hold        account_limit (429)
    device_velocity   device id                 60 s    device_hold         device_limit (429)
    ip_velocity       public IP prefix          60 s    ip_hold             never (carrier NAT)
    device_accounts   distinct accounts/device  24 h    device_accounts_hold  ..._limit (403)
    new_account       account younger than age  1 h     new_account_hold    never

By default (SQLite) the counters are sliding windows kept in this process's memory: nothing
is read from or written to the database for an accepted like. With several API processes on
PostgreSQL each would count on its own (N processes let through up to N times a limit), so
there the windows live in the database, shared by every process (`SharedWindows`, setting
`rules_counter_store`): one round trip per like, in time buckets (10 s buckets summed over
the minute windows, 10 min buckets over the new-account hour, hour buckets over the 24 h
device window), so a window spans between 5/6 of its length and its length: it may forget a
like up to one bucket early, never counts one the memory window would not. The batch
detectors, which read the stored history, are the backstop either way.

Loopback and private prefixes are never counted by the IP rule: such an address is a proxy
or a load balancer in front of the platform, not a client.
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
import itertools
import math
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from plaudit.config import Settings
from plaudit.errors import PlauditError, RateLimited, RefusedByRule
from plaudit.store.rule_counters import WINDOW_BUCKETS, CounterKey, PostgresRuleCounters

__all__ = [
    "Admission",
    "BatchAdmission",
    "RuleEngine",
    "RuleSettings",
    "SharedWindows",
    "SlidingCounter",
]

MINUTE = 60.0
HOUR = 3600.0
DAY = 86_400.0
HOLD_RISK = 50
"""The risk of a like exactly at a hold limit; held likes score above it."""
NEW_ACCOUNT_RISK = 10
_PRUNE_EVERY = 4096
_PRUNE_AFTER_S = 10.0
_PRUNE_FRACTION = 4
"""Pruning a window walks every key, so it waits for 4,096 likes and a quarter of the
window's span (at least 10 s) of like time since it last pruned: the 24-hour device window
is walked every 6 hours of like time, not every 4,096 likes (a bulk load of likes one day
long walked its hundreds of thousands of devices hundreds of times for nothing to forget,
issue #18). Each window then holds at most 1.25 spans of keys, and the walks cost a bounded
amount per like."""
_AGES_KEPT = 200_000
"""Most account creation times remembered (an account's age only grows; forgetting them all
at once costs one read per account seen afterwards)."""


@dataclass(frozen=True)
class RuleSettings:
    """The limits of the rules (see the module docstring); built from Settings."""

    enabled: bool = True
    account_hold: int = 20
    account_limit: int = 60
    device_hold: int = 30
    device_limit: int = 120
    ip_hold: int = 600
    device_accounts_hold: int = 3
    device_accounts_limit: int = 10
    new_account_age_s: int = 86_400
    new_account_hold: int = 30

    @classmethod
    def from_settings(cls, settings: Settings) -> RuleSettings:
        return cls(
            enabled=settings.rules_enabled,
            account_hold=settings.rule_account_hold_per_min,
            account_limit=settings.rule_account_limit_per_min,
            device_hold=settings.rule_device_hold_per_min,
            device_limit=settings.rule_device_limit_per_min,
            ip_hold=settings.rule_ip_hold_per_min,
            device_accounts_hold=settings.rule_device_accounts_hold,
            device_accounts_limit=settings.rule_device_accounts_limit,
            new_account_age_s=settings.rule_new_account_age_s,
            new_account_hold=settings.rule_new_account_hold_per_hour,
        )


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
_NO_TIMES: list[float] = []


class _Grouped:
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


class SlidingCounter:
    """Event times per key; counts the events in the window (t - span, t].

    Times are kept sorted, so bulk items that arrive out of order count correctly; live
    traffic arrives in order and only appends.
    """

    def __init__(self, span: float) -> None:
        self.span = span
        self._times: dict[Hashable, list[float]] = {}
        self.pruned_at = -math.inf

    def __len__(self) -> int:
        """How many keys the counter remembers (pruning bounds it)."""
        return len(self._times)

    def times(self, key: Hashable, at: float) -> list[float]:
        """The times in the window ending at `at`, oldest first."""
        times = self._times.get(key)
        if not times:
            return []
        start = bisect.bisect_right(times, at - self.span)
        return times[start : bisect.bisect_right(times, at)]

    def count(self, key: Hashable, at: float) -> int:
        times = self._times.get(key)
        if not times:
            return 0
        if times[-1] <= at:  # live traffic: everything up to now is in range
            return len(times) - bisect.bisect_right(times, at - self.span)
        return bisect.bisect_right(times, at) - bisect.bisect_right(times, at - self.span)

    def add(self, key: Hashable, at: float) -> None:
        times = self._times.get(key)
        if times is None:  # most keys of a bulk batch are new
            self._times[key] = [at]
            return
        if not times or times[-1] <= at:
            times.append(at)
            if times[0] <= at - self.span:  # keep only what a later event can still count
                del times[: bisect.bisect_right(times, at - self.span)]
        else:
            bisect.insort(times, at)

    def remove(self, key: Hashable, at: float) -> None:
        times = self._times.get(key)
        if times:
            index = bisect.bisect_left(times, at)
            if index < len(times) and times[index] == at:
                del times[index]

    def retry_after(self, key: Hashable, at: float, limit: int) -> int:
        """Whole seconds until one more event at that time would be within `limit`."""
        window = self.times(key, at)
        if len(window) < limit:
            return 0
        frees_at = window[len(window) - limit] + self.span
        return max(1, math.ceil(frees_at - at))

    def batch_counts(self, group: _Grouped, at: FloatArray, counted: BoolArray) -> IntArray:
        """What `count(key, t_i) + 1` is for each like i of a batch judged one by one, in
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
        since = at - self.span
        stored = [self._times.get(key) or _NO_TIMES for key in group.keys]
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

    def record_batch(self, group: _Grouped, at: FloatArray, counted: BoolArray) -> None:
        """Leave the window as judging the batch one by one does: each like added, and
        taken back at once unless `counted` (a like not created); see `batch_counts`."""
        windows = self._times
        for key, times, kept in group.singles(at, counted):
            stored = windows.get(key)
            if not stored:  # the common case: a key's one like, nothing stored
                windows[key] = [times[0]] if kept[0] else []
            else:
                self._record_key(key, stored, times, kept)
        for key, times, kept in group.runs(at, counted):
            self._record_key(key, windows.get(key), times, kept)

    def _record_key(
        self, key: Hashable, stored: list[float] | None, times: list[float], kept: list[bool]
    ) -> None:
        if stored and stored[-1] > times[0]:  # older than a stored time: one by one
            for when, counts in zip(times, kept, strict=True):
                self.add(key, when)
                if not counts:
                    self.remove(key, when)
            return
        merged = (stored or []) + [when for when, counts in zip(times, kept, strict=True) if counts]
        cutoff = times[-1] - self.span  # what the last `add` forgot
        if merged and merged[0] <= cutoff:
            del merged[: bisect.bisect_right(merged, cutoff)]
        self._times[key] = merged

    def prune(self, now: float) -> None:
        """Forget keys whose newest event left the window (keeps memory bounded)."""
        self.pruned_at = now
        cutoff = now - self.span
        # one walk: a bulk load's windows hold thousands of keys, most of them stale
        self._times = kept = {
            key: times for key, times in self._times.items() if times and times[-1] > cutoff
        }
        for times in kept.values():
            if times[0] <= cutoff:
                del times[: bisect.bisect_right(times, cutoff)]


class DistinctCounter:
    """Distinct members (accounts) seen per key (device) within the window."""

    def __init__(self, span: float) -> None:
        self.span = span
        self._seen: dict[Hashable, dict[int, float]] = {}
        self.pruned_at = -math.inf

    def __len__(self) -> int:
        """How many keys the counter remembers (pruning bounds it)."""
        return len(self._seen)

    def count_with(self, key: Hashable, member: int, at: float) -> int:
        """How many distinct members there would be in the window with `member` added."""
        seen = self._seen.get(key)
        if not seen:
            return 1
        since = at - self.span
        others = sum(1 for who, last in seen.items() if last > since and who != member)
        return others + 1

    def add(self, key: Hashable, member: int, at: float) -> float | None:
        """Record `member` at `at`; returns its previous time (for `restore`)."""
        seen = self._seen.get(key)
        if seen is None:
            self._seen[key] = {member: at}
            return None
        before = seen.get(member)
        seen[member] = max(at, before or at)
        return before

    def restore(self, key: Hashable, member: int, before: float | None) -> None:
        seen = self._seen.get(key)
        if seen is None:
            return
        if before is None:
            seen.pop(member, None)
        else:
            seen[member] = before

    def batch_counts(
        self, group: _Grouped, members: Sequence[int], at: Sequence[float], counted: BoolArray
    ) -> IntArray:
        """`count_with(key, member, t_i)` for each like i of a batch judged one by one in
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
        stored = self._seen
        for number, key in enumerate(group.keys):
            seen = stored.get(key)
            if seen and not (alone[number] and seen.keys() <= {members[first[number]]}):
                alone[number] = False
        counts[codes >= 0] = 1
        shared = np.flatnonzero(~alone)
        kept = counted.tolist()
        for number in shared.tolist():
            key = group.keys[number]
            seen = dict(stored.get(key) or {})
            for p in group.order[starts[number] : ends[number]].tolist():
                member = members[p]
                counts[p] = self._count_in(seen, member, at[p] - self.span)
                if kept[p]:
                    last = seen.get(member)
                    seen[member] = at[p] if last is None else max(at[p], last)
        return counts

    @staticmethod
    def _count_in(seen: Mapping[int, float], member: int, since: float) -> int:
        return sum(1 for who, last in seen.items() if last > since and who != member) + 1

    def record_batch(
        self,
        keys: Sequence[Hashable | None],
        members: Sequence[int],
        at: Sequence[float],
        counted: Sequence[bool],
    ) -> dict[tuple[Hashable, int], float | None]:
        """Leave the window as judging the batch one by one does; returns each counted
        (key, member)'s time before the batch, None when it was not there (for `restore`)."""
        before: dict[tuple[Hashable, int], float | None] = {}
        windows = self._seen
        for key, member, when, kept in zip(keys, members, at, counted, strict=True):
            if key is None:
                continue
            seen = windows.get(key)
            if seen is None:  # a like not created still leaves its key (`add`, `restore`)
                if kept:
                    windows[key] = {member: when}
                    before[key, member] = None
                else:
                    windows[key] = {}
                continue
            if not kept:
                continue
            last = seen.get(member)
            if (key, member) not in before:
                before[key, member] = last
            seen[member] = when if last is None else max(when, last)
        return before

    def prune(self, now: float) -> None:
        self.pruned_at = now
        for key in list(self._seen):
            seen = {m: t for m, t in self._seen[key].items() if t > now - self.span}
            if seen:
                self._seen[key] = seen
            else:
                del self._seen[key]


@functools.lru_cache(maxsize=65536)
def _is_public(prefix: str) -> bool:
    try:
        return ipaddress.ip_network(prefix, strict=False).is_global
    except ValueError:
        return False


class Admission(NamedTuple):
    """A like the rules let in: `status` accepted or held (by `rule`), with its risk 0-100.

    It also remembers what it added to the counters (`ip_prefix` only when public, the
    only prefixes counted), so that `RuleEngine.cancel` can take it back when the like is
    not created after all (already liked, unknown video). A NamedTuple, not a frozen
    dataclass: one is made per like, and a frozen dataclass's nine `object.__setattr__`
    calls cost 2-3 µs of a bulk like's budget of 10 (issue #18).
    """

    status: str
    risk: int
    rule: str | None
    account_id: int
    device_key: str | None
    ip_prefix: str | None
    at: float
    new_account: bool = False
    device_seen_before: float | None = None

    @property
    def held(self) -> bool:
        return self.status == "held"


ACCEPT_ALL = Admission("accepted", 0, None, 0, None, None, 0.0)


class BatchAdmission(NamedTuple):
    """The rules' verdicts on a batch's likes (`RuleEngine.admit_batch`), by position:
    each like's risk, and the rule that held it (None: accepted). The rest is what the
    batch added to the windows, for `RuleEngine.cancel_batch`."""

    risks: list[int]
    holds: list[str | None]
    likes: tuple[
        list[int], list[str | None], list[str | None], list[int | None], list[float], Sequence[bool]
    ]
    """The batch's accounts, device keys, public IP prefixes, new accounts (None: not new),
    times and whether each like was counted."""
    device_accounts: dict[tuple[Hashable, int], float | None]


_RULE_ORDER = (
    "account_velocity",
    "device_velocity",
    "device_accounts",
    "ip_velocity",
    "new_account",
)


class _Counts(NamedTuple):
    """The count of each window with the like being judged in it (0: rule not applicable)."""

    account: int
    device: int
    device_accounts: int
    ip: int
    new_account: int


_BUCKET_S = {"account": 10, "device": 10, "ip": 10, "new_account": 600}
"""Bucket length per shared counter: 6 buckets make each window (60 s, or 1 h)."""
_PRUNE_SHARED_S = 60.0


class SharedWindows:
    """The rules' windows in PostgreSQL (`store/rule_counters.py`), shared by every process.

    `count` records the like in every window it belongs to and returns the counts with it,
    in one round trip; `take_back` undoes that for a refused or cancelled like.
    """

    def __init__(self, store: PostgresRuleCounters) -> None:
        self._store = store
        self._pruned_at = 0.0
        self._ready = False

    def count(
        self, account_id: int, device_key: str | None, ip: str | None, at: float, new: bool
    ) -> tuple[_Counts, bool]:
        """The counts with this like in them, and whether its account was new on its
        device within the hour (a take-back then forgets it)."""
        if not self._ready:  # at the first like, not at start-up: most commands never like
            self._store.ensure()
            self._ready = True
        self._prune_now_and_then(at)
        recorded = self._store.record(
            _keys(account_id, device_key, ip, at, new), device_key, account_id, _hour(at)
        )
        got = recorded.counts
        counts = _Counts(
            got.get("account", 0),
            got.get("device", 0),
            got.get("device_accounts", 0),
            got.get("ip", 0),
            got.get("new_account", 0),
        )
        return counts, recorded.device_account_new

    def take_back(self, admission: Admission) -> None:
        a = admission
        keys = _keys(a.account_id, a.device_key, a.ip_prefix, a.at, a.new_account)
        forget = a.device_seen_before is None
        self._store.take_back(keys, a.device_key, a.account_id, _hour(a.at), forget)

    def close(self) -> None:
        self._store.close()

    @staticmethod
    def retry_after(counter: str, at: float) -> int:
        """Seconds until the oldest bucket of the window leaves it (a retry then may still
        be refused when the newer buckets hold the limit on their own)."""
        size = _BUCKET_S[counter]
        oldest_leaves = (math.floor(at / size) + 1) * size
        return max(1, math.ceil(oldest_leaves - at))

    def _prune_now_and_then(self, at: float) -> None:
        if at - self._pruned_at < _PRUNE_SHARED_S:
            return
        self._pruned_at = at
        current = {name: math.floor(at / size) for name, size in _BUCKET_S.items()}
        self._store.prune(current, _hour(at))


def _hour(at: float) -> int:
    return math.floor(at / HOUR)


def _keys(
    account_id: int, device_key: str | None, ip: str | None, at: float, new: bool
) -> list[CounterKey]:
    def key(counter: str, value: str) -> CounterKey:
        return CounterKey(counter, value, math.floor(at / _BUCKET_S[counter]))

    keys = [key("account", str(account_id))]
    if device_key:
        keys.append(key("device", device_key))
    if ip:
        keys.append(key("ip", ip))
    if new:
        keys.append(key("new_account", str(account_id)))
    return keys


assert WINDOW_BUCKETS * _BUCKET_S["account"] == MINUTE
assert WINDOW_BUCKETS * _BUCKET_S["new_account"] == HOUR


class RuleEngine:
    """Admits likes against the rules; one per process (see the module docstring).

    With `shared`, the windows are those of every process (PostgreSQL); without, this
    process's memory.
    """

    def __init__(
        self,
        settings: RuleSettings,
        created_at: Callable[[int], datetime],
        shared: SharedWindows | None = None,
        knows_created_at: Callable[[int], bool] = lambda _account_id: False,
    ) -> None:
        self.settings = settings
        self._shared = shared
        self.blocking = shared is not None
        """True when admitting any like waits on the database (see `admits_without_io`)."""
        self._created_at = created_at
        self._knows_created_at = knows_created_at
        self._ages: dict[int, float] = {}
        self._accounts = SlidingCounter(MINUTE)
        self._devices = SlidingCounter(MINUTE)
        self._ips = SlidingCounter(MINUTE)
        self._new_accounts = SlidingCounter(HOUR)
        self._device_accounts = DistinctCounter(DAY)
        self._lock = threading.Lock()
        self._admitted = 0

    def close(self) -> None:
        """Close the shared windows' connections (memory windows hold none)."""
        if self._shared is not None:
            self._shared.close()

    def admits_without_io(self, account_id: int) -> bool:
        """True when `admit` for this account waits on nothing (an event loop may call it);
        False when it reads the account's age or shared windows (call it from a thread)."""
        if self.blocking:
            return False
        return (
            not self.settings.enabled
            or account_id in self._ages
            or self._knows_created_at(account_id)
        )

    def admit(
        self, account_id: int, device_key: str | None, ip_prefix: str | None, at: datetime
    ) -> Admission:
        """Judge one like; raises RateLimited (429) or RefusedByRule (403) to refuse it."""
        if not self.settings.enabled:
            return ACCEPT_ALL
        when = at.timestamp()
        new = self._is_new(account_id, when)
        public_ip = ip_prefix if ip_prefix and _is_public(ip_prefix) else None
        if self._shared is not None:
            return self._admit_shared(self._shared, account_id, device_key, public_ip, when, new)
        with self._lock:
            counts = self._counts(account_id, device_key, public_ip, when, new)
            self._refuse_if_over(account_id, device_key, counts, when)
            return self._admitted_now(account_id, device_key, public_ip, when, new, counts)

    def admit_batch(
        self,
        likes: Sequence[tuple[int, str | None, str | None, datetime]],
        counted: Sequence[bool],
    ) -> BatchAdmission | None:
        """Judge a batch's likes, (account, device key, IP prefix, time) in item order,
        exactly as `admit` one by one would, with each like not `counted` (not created:
        already liked, an unknown video) cancelled before the next: the same risks and
        holds, and the same windows afterwards.

        Set-based (issue #18): each window's counts for the whole batch come from one
        sort and a few binary searches over arrays (`SlidingCounter.batch_counts`), the
        verdicts from array comparisons. Returns None, having changed nothing, where only
        the in-order path can decide: shared windows (PostgreSQL), times that go back in
        item order (a like then does not see the likes before it), an account whose age
        cannot be read, or any like a limit would refuse (a refused like does not count
        for the likes after it, so the rest must be judged in turn).
        """
        size = len(likes)
        if not self.settings.enabled:
            return BatchAdmission([0] * size, [None] * size, ([], [], [], [], [], []), {})
        if self._shared is not None:
            return None
        times = [like[3].timestamp() for like in likes]
        at = np.array(times, np.float64)
        if size > 1 and bool((at[1:] < at[:-1]).any()):
            return None
        with self._lock:
            try:
                new = self._new_flags([like[0] for like in likes], at)
            except PlauditError:
                return None
            return self._judge_batch(likes, counted, times, at, new)

    def _new_flags(self, accounts: list[int], at: FloatArray) -> BoolArray:
        ages = self._ages
        created = [ages.get(account) for account in accounts]
        if None in created:  # not learnt from the batch's read: read as `admit` does
            for position, account in enumerate(accounts):
                if created[position] is None:
                    self._is_new(account, float(at[position]))
                    created[position] = ages[account]
        age = at - np.array(created, np.float64)
        return age < self.settings.new_account_age_s

    def _judge_batch(
        self,
        likes: Sequence[tuple[int, str | None, str | None, datetime]],
        counted: Sequence[bool],
        times: list[float],
        at: FloatArray,
        new: BoolArray,
    ) -> BatchAdmission | None:
        rules = self.settings
        accounts = [like[0] for like in likes]
        devices = [like[1] or None for like in likes]
        ips = [ip if ip and _is_public(ip) else None for ip in (like[2] for like in likes)]
        fresh = [
            account if is_new else None
            for account, is_new in zip(accounts, new.tolist(), strict=True)
        ]
        kept = np.array(counted, np.bool_)
        by_account, by_device = _Grouped(accounts), _Grouped(devices)
        account = self._accounts.batch_counts(by_account, at, kept)
        device = self._devices.batch_counts(by_device, at, kept)
        sharing = self._device_accounts.batch_counts(by_device, accounts, times, kept)
        if (
            bool((account > rules.account_limit).any())
            or bool((device > rules.device_limit).any())
            or bool((sharing > rules.device_accounts_limit).any())
        ):
            return None
        by_ip, by_new_account = _Grouped(ips), _Grouped(fresh)
        ip = self._ips.batch_counts(by_ip, at, kept)
        young = self._new_accounts.batch_counts(by_new_account, at, kept)
        risks, holds = _verdicts(rules, account, device, sharing, ip, young, new)
        self._accounts.record_batch(by_account, at, kept)
        self._devices.record_batch(by_device, at, kept)
        self._ips.record_batch(by_ip, at, kept)
        self._new_accounts.record_batch(by_new_account, at, kept)
        prunes = self._prunes_due(times)
        before = self._device_accounts.record_batch(devices, accounts, times, counted)
        for position in prunes:
            self._prune(times[position])
        self._admitted += len(times)
        return BatchAdmission(risks, holds, (accounts, devices, ips, fresh, times, counted), before)

    def _prunes_due(self, times: list[float]) -> range:
        """The positions where `_record` would prune, judging the batch one by one: each
        like judged whose count reaches a multiple of 4,096. Pruning at their times after
        the batch's adds forgets the same (the likes after each are no older)."""
        first = self._admitted
        return range((-first - 1) % _PRUNE_EVERY, len(times), _PRUNE_EVERY)

    def cancel_batch(self, batch: BatchAdmission) -> None:
        """Take back what `admit_batch` counted (its transaction did not commit)."""
        with self._lock:
            accounts, devices, ips, fresh, times, counted = batch.likes
            for position in reversed(range(len(times))):
                if not counted[position]:
                    continue
                at = times[position]
                self._accounts.remove(accounts[position], at)
                if fresh[position] is not None:
                    self._new_accounts.remove(accounts[position], at)
                if devices[position]:
                    self._devices.remove(devices[position], at)
                if ips[position]:
                    self._ips.remove(ips[position], at)
            for (key, member), seen in batch.device_accounts.items():
                self._device_accounts.restore(key, member, seen)

    def _admitted_now(
        self,
        account_id: int,
        device_key: str | None,
        ip: str | None,
        at: float,
        new: bool,
        counts: _Counts,
    ) -> Admission:
        """Judge a like the limits let in and count it in the memory windows."""
        status, risk, rule = self._verdict(device_key, ip, new, counts)
        before = self._record(account_id, device_key, ip, at, new)
        return Admission(status, risk, rule, account_id, device_key, ip, at, new, before)

    def learn_ages(self, created: Mapping[int, datetime]) -> None:
        """Remember accounts' creation times a caller read anyway (a bulk batch reads its
        accounts once), so that judging their likes reads nothing."""
        ages = self._ages
        if len(ages) + len(created) > _AGES_KEPT:
            ages.clear()
        for account_id, at in created.items():
            if account_id not in ages:
                ages[account_id] = at.timestamp()

    def _admit_shared(
        self,
        shared: SharedWindows,
        account_id: int,
        device_key: str | None,
        ip: str | None,
        at: float,
        new: bool,
    ) -> Admission:
        counts, device_account_new = shared.count(account_id, device_key, ip, at, new)
        status, risk, rule = self._verdict(device_key, ip, new, counts)
        # None: the device's account for the hour was added by this like (cancel forgets it)
        seen_before = None if device_account_new else at
        admission = Admission(status, risk, rule, account_id, device_key, ip, at, new, seen_before)
        try:
            self._refuse_if_over(account_id, device_key, counts, at)
        except PlauditError:
            shared.take_back(admission)
            raise
        return admission

    def _counts(
        self, account_id: int, device_key: str | None, ip: str | None, at: float, new: bool
    ) -> _Counts:
        """What each window would hold with this like in it."""
        return _Counts(
            self._accounts.count(account_id, at) + 1,
            self._devices.count(device_key, at) + 1 if device_key else 0,
            self._device_accounts.count_with(device_key, account_id, at) if device_key else 0,
            self._ips.count(ip, at) + 1 if ip else 0,
            self._new_accounts.count(account_id, at) + 1 if new else 0,
        )

    def cancel(self, admission: Admission) -> None:
        """Take back an admission whose like was not created (it must not count)."""
        if admission is ACCEPT_ALL:
            return
        if self._shared is not None:
            self._shared.take_back(admission)
            return
        with self._lock:
            at = admission.at
            self._accounts.remove(admission.account_id, at)
            if admission.new_account:
                self._new_accounts.remove(admission.account_id, at)
            if admission.device_key:
                self._devices.remove(admission.device_key, at)
                self._device_accounts.restore(
                    admission.device_key, admission.account_id, admission.device_seen_before
                )
            if admission.ip_prefix:
                self._ips.remove(admission.ip_prefix, at)

    def _is_new(self, account_id: int, at: float) -> bool:
        created = self._ages.get(account_id)
        if created is None:
            if len(self._ages) > _AGES_KEPT:
                self._ages.clear()
            created = self._created_at(account_id).timestamp()
            self._ages[account_id] = created
        return at - created < self.settings.new_account_age_s

    def _refuse_if_over(
        self, account_id: int, device_key: str | None, counts: _Counts, at: float
    ) -> None:
        rules = self.settings
        if counts.account > rules.account_limit:
            raise _rate_limited(
                "account_velocity",
                f"this account liked more than {rules.account_limit} times in 60 seconds",
                rules.account_limit,
                self._retry_after("account", account_id, at, rules.account_limit),
            )
        if not device_key:
            return
        if counts.device > rules.device_limit:
            raise _rate_limited(
                "device_velocity",
                f"this device sent more than {rules.device_limit} likes in 60 seconds",
                rules.device_limit,
                self._retry_after("device", device_key, at, rules.device_limit),
            )
        if counts.device_accounts > rules.device_accounts_limit:
            raise RefusedByRule(
                f"{counts.device_accounts} accounts liked from this device within 24 hours; "
                f"the most is {rules.device_accounts_limit} (rule device_accounts). Like from "
                "your own device.",
                rule="device_accounts",
                limit=rules.device_accounts_limit,
                window_s=int(DAY),
            )

    def _retry_after(self, counter: str, key: Hashable, at: float, limit: int) -> int:
        if self._shared is not None:
            return self._shared.retry_after(counter, at)
        window = self._accounts if counter == "account" else self._devices
        return window.retry_after(key, at, limit)

    def _verdict(
        self, device_key: str | None, ip_prefix: str | None, new: bool, counts: _Counts
    ) -> tuple[str, int, str | None]:
        """(accepted or held, risk, the rule that held it): the window nearest its hold
        limit decides (the first of equals, in the order of the module docstring)."""
        rules = self.settings
        ratio, rule = counts.account / rules.account_hold, "account_velocity"
        # each window in the docstring's order; a later one wins only when strictly nearer
        if device_key:
            value = counts.device / rules.device_hold
            if value > ratio:
                ratio, rule = value, "device_velocity"
            value = counts.device_accounts / rules.device_accounts_hold
            if value > ratio:
                ratio, rule = value, "device_accounts"
        if ip_prefix:
            value = counts.ip / rules.ip_hold
            if value > ratio:
                ratio, rule = value, "ip_velocity"
        if new:
            value = counts.new_account / rules.new_account_hold
            if value > ratio:
                ratio, rule = value, "new_account"
        risk = min(100, round(HOLD_RISK * ratio) + (NEW_ACCOUNT_RISK if new else 0))
        if ratio > 1.0:
            return "held", risk, rule
        return "accepted", risk, None

    def _record(
        self, account_id: int, device_key: str | None, ip: str | None, at: float, new: bool
    ) -> float | None:
        """Count an admitted like; returns when its account was last seen on its device."""
        before = None
        self._accounts.add(account_id, at)
        if new:
            self._new_accounts.add(account_id, at)
        if device_key:
            self._devices.add(device_key, at)
            before = self._device_accounts.add(device_key, account_id, at)
        if ip:  # public prefixes only (admit filters them)
            self._ips.add(ip, at)
        self._admitted += 1
        if self._admitted % _PRUNE_EVERY == 0:
            self._prune(at)
        return before

    def _prune(self, now: float) -> None:
        """Prune the windows due (see _PRUNE_FRACTION)."""
        counters: tuple[SlidingCounter | DistinctCounter, ...] = (
            self._accounts,
            self._devices,
            self._ips,
            self._new_accounts,
            self._device_accounts,
        )
        for counter in counters:
            if now - counter.pruned_at >= max(_PRUNE_AFTER_S, counter.span / _PRUNE_FRACTION):
                counter.prune(now)


def _verdicts(
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
        _RULE_ORDER[number] if held else None
        for number, held in zip(rule.tolist(), (ratio > 1.0).tolist(), strict=True)
    ]
    return risk.tolist(), holds


def _rate_limited(rule: str, what: str, limit: int, retry_after: int) -> RateLimited:
    return RateLimited(
        f"{what} (rule {rule}); retry after {retry_after} s",
        rule=rule,
        limit=limit,
        window_s=int(MINUTE),
        retry_after=retry_after,
    )
