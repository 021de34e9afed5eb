"""Pure rules of campaigns: streak days in a time zone, coupon codes, spec validation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.campaigns.coupons import CODE_BITS, code_hash, new_code, normalise_code
from plaudit.campaigns.model import CampaignSpec, validate_spec
from plaudit.campaigns.streak import StreakState, check_in, current_streak, local_day
from plaudit.errors import AlreadyCheckedIn, InvalidInput, StreakEnded

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = date(2026, 11, 20)


def test_local_days_follow_the_campaign_time_zone() -> None:
    late = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    after_midnight = late + timedelta(hours=1)  # 00:30 the next day in Shanghai
    assert local_day(late, SHANGHAI) == D
    assert local_day(after_midnight, SHANGHAI) == D + timedelta(days=1)
    assert local_day(after_midnight, ZoneInfo("UTC")) == D


def test_n_days_in_a_row_complete_and_start_over() -> None:
    state = StreakState(0, None)
    state, done = check_in(state, D, 3, "reset")
    state, done2 = check_in(state, D + timedelta(days=1), 3, "reset")
    state, done3 = check_in(state, D + timedelta(days=2), 3, "reset")
    assert (done, done2, done3) == (False, False, True)
    assert state == StreakState(0, D + timedelta(days=2))


def test_a_second_check_in_the_same_day_is_refused() -> None:
    state, _ = check_in(StreakState(0, None), D, 3, "reset")
    with pytest.raises(AlreadyCheckedIn):
        check_in(state, D, 3, "reset")


def test_a_missed_day_resets_or_ends_as_configured() -> None:
    state, _ = check_in(StreakState(0, None), D, 3, "reset")
    state, _ = check_in(state, D + timedelta(days=1), 3, "reset")
    later = D + timedelta(days=3)
    assert check_in(state, later, 3, "reset") == (StreakState(1, later), False)
    with pytest.raises(StreakEnded):
        check_in(state, later, 3, "end")
    assert current_streak(state, later, "end") == (0, True)
    assert current_streak(state, later, "reset") == (0, False)
    assert current_streak(state, D + timedelta(days=2), "end") == (2, False)


def test_a_new_streak_after_a_completion_may_start_any_day() -> None:
    finished = StreakState(0, D)
    assert check_in(finished, D + timedelta(days=5), 3, "end") == (
        StreakState(1, D + timedelta(days=5)),
        False,
    )


@given(st.lists(st.integers(1, 3), min_size=1, max_size=40), st.integers(2, 7))
def test_streaks_never_exceed_their_length(gaps: list[int], days: int) -> None:
    state, day, completions = StreakState(0, None), D, 0
    for gap in gaps:
        day += timedelta(days=gap)
        state, done = check_in(state, day, days, "reset")
        completions += done
        assert 0 <= state.streak < days
    assert completions <= len(gaps) // days


def test_coupon_codes_have_at_least_80_random_bits_and_normalise() -> None:
    assert CODE_BITS >= 80
    codes = {new_code() for _ in range(1000)}
    assert len(codes) == 1000
    code = next(iter(codes))
    assert code_hash(code) == code_hash(code.lower().replace("-", " "))
    assert len(code_hash(code)) == 32


@pytest.mark.parametrize("bad", ["", "ABC", "AAAAA-AAAAA-AAAAA-AAAA1", "AAAAA-AAAAA-AAAAA-AAAA!"])
def test_malformed_coupon_codes_are_refused_precisely(bad: str) -> None:
    with pytest.raises(InvalidInput, match="20 letters"):
        normalise_code(bad)


SPEC = CampaignSpec(
    name="s",
    task="streak",
    segment="gender = female",
    starts_at=datetime(2026, 12, 1, tzinfo=UTC),
    ends_at=datetime(2026, 12, 31, tzinfo=UTC),
    budget_fen=10_000,
    reward_fen=500,
    video_ids=(1, 2, 3),
    streak_days=3,
    streak_miss="reset",
)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"task": "raffle"}, "task"),
        ({"ends_at": datetime(2026, 11, 1, tzinfo=UTC)}, "ends_at"),
        ({"starts_at": datetime(2026, 12, 1)}, "starts_at"),
        ({"budget_fen": 100}, "budget_fen"),
        ({"reward_fen": 0}, "reward_fen"),
        ({"video_ids": ()}, "video_ids"),
        ({"video_ids": (1, 1)}, "video_ids"),
        ({"streak_days": None}, "streak_days"),
        ({"streak_miss": "forgive"}, "streak_miss"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"task": "donate"}, "charity"),
        ({"per_account_limit": 0}, "per_account_limit"),
        ({"name": " "}, "name"),
    ],
)
def test_bad_campaign_specs_name_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        validate_spec(replace(SPEC, **change))  # type: ignore[arg-type]
    assert error.value.extensions["field"] == field


def test_a_good_spec_passes() -> None:
    assert validate_spec(SPEC) is SPEC


def test_reward_hold_accepts_scan_or_none_and_names_the_choices() -> None:
    from plaudit.config import load_settings
    from plaudit.errors import ConfigError

    assert load_settings(flags={}, env={}).reward_hold == "scan"
    assert load_settings(flags={}, env={"PLAUDIT_REWARD_HOLD": "NONE"}).reward_hold == "none"
    with pytest.raises(ConfigError, match="expected scan or none"):
        load_settings(flags={}, env={"PLAUDIT_REWARD_HOLD": "later"})
