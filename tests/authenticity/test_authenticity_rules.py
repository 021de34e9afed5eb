"""The real-time rules without a database: sliding windows, holds, refusals, cancellation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.authenticity.rules import RuleEngine, RuleSettings, SlidingCounter
from plaudit.errors import RateLimited, RefusedByRule

T0 = datetime(2026, 11, 29, 12, tzinfo=UTC)
OLD = T0 - timedelta(days=30)


def engine(**limits: Any) -> RuleEngine:
    return RuleEngine(RuleSettings(**limits), lambda account_id: OLD)


def test_sliding_counter_counts_the_window_and_says_when_it_frees() -> None:
    counter = SlidingCounter(60)
    for at in (0.0, 10.0, 20.0):
        counter.add("k", at)
    assert counter.count("k", 20.0) == 3
    assert counter.count("k", 65.0) == 2  # the event at 0 has left (5, 65]
    assert counter.retry_after("k", 20.0, 3) == 40  # frees when the event at 0 leaves
    assert counter.retry_after("k", 20.0, 4) == 0
    counter.add("k", 5.0)  # out of order, as bulk items may come
    assert counter.times("k", 20.0) == [0.0, 5.0, 10.0, 20.0]
    counter.remove("k", 5.0)
    counter.prune(200.0)
    assert counter.count("k", 200.0) == 0


def test_account_velocity_holds_then_refuses_and_recovers_after_the_window() -> None:
    rules = engine(account_hold=2, account_limit=3)
    first = rules.admit(1, None, None, T0)
    second = rules.admit(1, None, None, T0 + timedelta(seconds=1))
    third = rules.admit(1, None, None, T0 + timedelta(seconds=2))
    assert (first.status, second.status, third.status) == ("accepted", "accepted", "held")
    assert third.rule == "account_velocity"
    assert third.risk > 50 >= second.risk
    with pytest.raises(RateLimited) as refused:
        rules.admit(1, None, None, T0 + timedelta(seconds=3))
    assert refused.value.extensions["retry_after"] == 57
    assert refused.value.extensions["rule"] == "account_velocity"
    assert rules.admit(2, None, None, T0 + timedelta(seconds=3)).status == "accepted"
    assert rules.admit(1, None, None, T0 + timedelta(seconds=61)).status == "accepted"


def test_a_cancelled_admission_does_not_count() -> None:
    rules = engine(account_hold=1, account_limit=1)
    rules.cancel(rules.admit(1, "phone", None, T0))
    assert rules.admit(1, "phone", None, T0).status == "accepted"


def test_device_shared_by_many_accounts_is_held_then_refused() -> None:
    rules = engine(device_accounts_hold=2, device_accounts_limit=3)
    statuses = [rules.admit(a, "phone", None, T0).status for a in (1, 2, 3)]
    assert statuses == ["accepted", "accepted", "held"]
    with pytest.raises(RefusedByRule, match="device_accounts"):
        rules.admit(4, "phone", None, T0)
    assert rules.admit(1, "phone", None, T0).status == "held"  # a known account still likes


def test_ip_rule_counts_public_prefixes_only() -> None:
    rules = engine(ip_hold=2, account_hold=100, account_limit=100)
    public = [rules.admit(a, None, "36.110.147.0/24", T0).status for a in range(3)]
    private = [rules.admit(a, None, "10.1.2.0/24", T0).status for a in range(10, 13)]
    assert public == ["accepted", "accepted", "held"]
    assert private == ["accepted"] * 3


def test_new_accounts_carry_risk_and_are_held_sooner() -> None:
    rules = RuleEngine(RuleSettings(new_account_hold=1), lambda account_id: T0)
    first = rules.admit(1, None, None, T0 + timedelta(minutes=5))
    second = rules.admit(1, None, None, T0 + timedelta(minutes=6))
    assert first.status == "accepted"
    assert first.risk >= 10
    assert second.status == "held"
    assert second.rule == "new_account"


def test_disabled_rules_accept_everything_with_no_risk() -> None:
    rules = engine(enabled=False, account_hold=1, account_limit=1)
    assert [rules.admit(1, "p", None, T0).risk for _ in range(5)] == [0] * 5


@given(
    st.lists(st.floats(0, 500, allow_nan=False), max_size=60),
    st.floats(0, 700, allow_nan=False),
)
def test_sliding_counter_counts_like_brute_force_from_the_newest_event_on(
    times: list[float], later: float
) -> None:
    counter = SlidingCounter(60)
    for at in times:
        counter.add("k", at)
    at = max([*times, 0.0]) + later
    assert counter.count("k", at) == sum(1 for t in times if at - 60 < t <= at)


def test_each_window_forgets_its_old_keys_once_a_quarter_of_its_span_has_passed() -> None:
    rules = engine()
    first = [(account, f"dev-{account}", None, T0) for account in range(1, 4097)]
    later = T0 + timedelta(minutes=30)
    second = [(account, f"dev-{account}", None, later) for account in range(5001, 9097)]
    for like in first + second:
        rules.admit(*like)
    # The minute windows were pruned at the 8,192nd like: only the second wave is left.
    assert len(rules._accounts) == len(rules._devices) == 4096
    # The day window keeps both waves: 30 minutes is less than a quarter of its 24 hours,
    # so it was not walked again (each like of a day no longer walks every device of it).
    assert len(rules._device_accounts) == 8192
    tomorrow = T0 + timedelta(days=1, hours=7)
    for account in range(20001, 24097):
        rules.admit(account, f"dev-{account}", None, tomorrow)
    assert len(rules._device_accounts) == 4096  # both earlier waves left the day window
