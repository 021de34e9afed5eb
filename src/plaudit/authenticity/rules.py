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
import math
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from plaudit.config import Settings
from plaudit.errors import PlauditError, RateLimited, RefusedByRule
from plaudit.store.rule_counters import WINDOW_BUCKETS, CounterKey, PostgresRuleCounters

if TYPE_CHECKING:
    from plaudit.authenticity.rule_batches import BoolArray, FloatArray, Grouped

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

    def times_of(self, key: Hashable) -> list[float] | None:
        """Every time kept for `key`, oldest first (set-based judging reads them)."""
        return self._times.get(key)

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

    def record_batch(self, group: Grouped, at: FloatArray, counted: BoolArray) -> None:
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

    def seen_of(self, key: Hashable) -> dict[int, float] | None:
        """Each member's last time for `key` (set-based judging reads them)."""
        return self._seen.get(key)

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
        from plaudit.authenticity import rule_batches as batches  # NumPy: at the first batch

        times = [like[3].timestamp() for like in likes]
        at = batches.as_times(times)
        if batches.goes_back(at):
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
        from plaudit.authenticity.rule_batches import as_times

        return at - as_times(created) < self.settings.new_account_age_s

    def _judge_batch(
        self,
        likes: Sequence[tuple[int, str | None, str | None, datetime]],
        counted: Sequence[bool],
        times: list[float],
        at: FloatArray,
        new: BoolArray,
    ) -> BatchAdmission | None:
        from plaudit.authenticity import rule_batches as batches

        rules = self.settings
        accounts = [like[0] for like in likes]
        devices = [like[1] or None for like in likes]
        ips = [ip if ip and _is_public(ip) else None for ip in (like[2] for like in likes)]
        fresh = [
            account if is_new else None
            for account, is_new in zip(accounts, batches.flags(new), strict=True)
        ]
        kept = batches.as_flags(counted)
        by_account, by_device = batches.Grouped(accounts), batches.Grouped(devices)
        account = batches.window_counts(self._accounts, by_account, at, kept)
        device = batches.window_counts(self._devices, by_device, at, kept)
        sharing = batches.sharing_counts(self._device_accounts, by_device, accounts, times, kept)
        if (
            batches.over(account, rules.account_limit)
            or batches.over(device, rules.device_limit)
            or batches.over(sharing, rules.device_accounts_limit)
        ):
            return None
        by_ip, by_new_account = batches.Grouped(ips), batches.Grouped(fresh)
        ip = batches.window_counts(self._ips, by_ip, at, kept)
        young = batches.window_counts(self._new_accounts, by_new_account, at, kept)
        risks, holds = batches.verdicts(rules, account, device, sharing, ip, young, new)
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


def _rate_limited(rule: str, what: str, limit: int, retry_after: int) -> RateLimited:
    return RateLimited(
        f"{what} (rule {rule}); retry after {retry_after} s",
        rule=rule,
        limit=limit,
        window_s=int(MINUTE),
        retry_after=retry_after,
    )
