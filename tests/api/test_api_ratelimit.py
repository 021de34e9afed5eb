"""The in-process moving window behind the rate limits: exactly the quota per window, the
quota left and the reset time the `RateLimit` field reports, and idle callers forgotten."""

from __future__ import annotations

from pathlib import Path

import limits
import pytest

from plaudit.api.ratelimit import AccountQuota, _MemoryWindows
from plaudit.config import load_settings
from plaudit.errors import RateLimited

PER_MINUTE = limits.parse("3/minute")
PER_HOUR = limits.parse("2/hour")


def test_the_quota_is_allowed_then_refused_until_the_oldest_request_leaves_the_window() -> None:
    windows = _MemoryWindows()
    answers = [windows.hit_now(PER_MINUTE, "a", t) for t in (100.0, 110.0, 120.0, 130.0)]
    assert answers == [
        (True, 2, 160.0),
        (True, 1, 160.0),
        (True, 0, 160.0),
        (False, 0, 160.0),  # refused: counted nowhere, so it does not push the reset back
    ]
    assert windows.hit_now(PER_MINUTE, "a", 159.9) == (False, 0, 160.0)
    assert windows.hit_now(PER_MINUTE, "a", 160.0) == (True, 0, 170.0)  # 100.0 has left
    assert windows.hit_now(PER_MINUTE, "a", 181.0) == (True, 1, 220.0)  # 110 and 120 too
    assert windows.hit_now(PER_MINUTE, "a", 245.0) == (True, 2, 305.0)  # a fresh window


def test_callers_and_policies_count_apart() -> None:
    windows = _MemoryWindows()
    for t in (0.0, 1.0, 2.0):
        assert windows.hit_now(PER_MINUTE, "a", t)[0]
    assert not windows.hit_now(PER_MINUTE, "a", 3.0)[0]
    assert windows.hit_now(PER_MINUTE, "b", 3.0) == (True, 2, 63.0)
    assert windows.hit_now(PER_HOUR, "a", 3.0) == (True, 1, 3603.0)


def test_a_sweep_forgets_idle_callers_but_never_one_still_inside_its_longest_window() -> None:
    windows = _MemoryWindows()
    windows.hit_now(PER_HOUR, "slow", 0.0)
    windows.hit_now(PER_HOUR, "slow", 1.0)
    for index in range(_MemoryWindows._SWEEP_EVERY):  # many minute callers, then a sweep
        windows.hit_now(PER_MINUTE, f"fast{index}", 2.0 + index * 0.001)
    windows.hit_now(PER_MINUTE, "late", 500.0)
    assert windows.hit_now(PER_HOUR, "slow", 600.0) == (False, 0, 3600.0)
    swept = _MemoryWindows()
    swept.hit_now(PER_MINUTE, "gone", 0.0)
    for index in range(_MemoryWindows._SWEEP_EVERY - 1):
        swept.hit_now(PER_MINUTE, f"now{index}", 100.0)
    assert len(swept._times) == _MemoryWindows._SWEEP_EVERY - 1  # "gone" was idle 100 s


def test_the_account_quota_counts_in_process_and_refuses_with_when_to_retry(
    tmp_path: Path,
) -> None:
    settings = load_settings(
        flags={"data_dir": str(tmp_path), "rate_limit_account": "3/minute"}, env={}
    )
    quota = AccountQuota(settings)
    for _ in range(3):
        quota.count(7)
    with pytest.raises(RateLimited) as refused:
        quota.count(7)
    assert refused.value.extensions["rule"] == "account"
    assert 1 <= refused.value.extensions["retry_after"] <= 60
    assert "more than 3 requests in 60 s" in refused.value.detail
    quota.count(8)  # another account has its own quota
