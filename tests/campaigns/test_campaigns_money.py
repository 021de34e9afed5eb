"""Money is integer fen and a budget is never overspent: properties of the arithmetic, and of
the conditional UPDATE that moves a campaign's spend in the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from plaudit.campaigns.money import fits_budget, per_unit_fen, rate_bp, rewards_affordable
from plaudit.config import Settings, load_settings
from plaudit.platform import Platform
from plaudit.store import campaigns as sql
from plaudit.store import tables, utcnow

fen = st.integers(min_value=0, max_value=10**12)


@given(spent=fen, amount=fen, budget=fen)
def test_fits_budget_never_allows_overspend_or_negative(
    spent: int, amount: int, budget: int
) -> None:
    if fits_budget(spent, amount, budget):
        assert 0 <= spent + amount <= budget


@given(total=fen, units=st.integers(min_value=1, max_value=10**9))
def test_per_unit_is_the_nearest_fen_rounding_half_up(total: int, units: int) -> None:
    cost = per_unit_fen(total, units)
    assert cost is not None
    assert abs(cost * units - total) * 2 <= units  # within half a fen per unit
    assert (cost - 1) * units * 2 < 2 * total + units <= (cost + 1) * units * 2


def test_per_unit_rounds_half_up_and_has_no_value_without_units() -> None:
    assert per_unit_fen(5, 2) == 3  # 2.5 -> 3
    assert per_unit_fen(7, 3) == 2  # 2.33 -> 2
    assert per_unit_fen(100, 0) is None


@given(part=st.integers(min_value=0, max_value=10**9), extra=st.integers(0, 10**9))
def test_rate_is_basis_points_rounded_down(part: int, extra: int) -> None:
    whole = part + extra
    rate = rate_bp(part, whole)
    if whole == 0:
        assert rate is None
    else:
        assert rate is not None
        assert 0 <= rate <= 10_000
        assert rate * whole <= part * 10_000 < (rate + 1) * whole


@given(spent=fen, reward=st.integers(min_value=1, max_value=10**9), budget=fen)
def test_affordable_rewards_fit_and_one_more_would_not(
    spent: int, reward: int, budget: int
) -> None:
    n = rewards_affordable(spent, reward, budget)
    if spent <= budget:
        assert spent + n * reward <= budget < spent + (n + 1) * reward
    else:
        assert n == 0


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    settings: Settings = load_settings(
        flags={"data_dir": str(tmp_path_factory.mktemp("money") / "data")}, env={}
    )
    platform = Platform(settings).open()
    brand, _ = platform.accounts.create("money_brand", "brand")
    platform.campaigns.create_organisation(brand.id, "Org")
    yield platform
    platform.close()


def _campaign(platform: Platform, budget: int) -> int:
    brand, org = 1, 1  # the fixture's brand account and organisation
    now = utcnow()

    def op(conn: object) -> int:
        values = {
            "organisation_id": org,
            "name": "money",
            "task": "coupon",
            "segment": "gender = female",
            "starts_at": now,
            "ends_at": now + timedelta(days=1),
            "budget_fen": budget,
            "reward_fen": 1,
            "per_account_limit": 1,
            "time_zone": "Asia/Shanghai",
            "created_by": brand,
            "created_at": now,
        }
        return sql.insert_campaign(conn, values, [])  # type: ignore[arg-type]

    return platform.db.write(op)


@settings(max_examples=30, deadline=None)
@given(budget=st.integers(0, 10_000), amounts=st.lists(st.integers(0, 4_000), max_size=12))
def test_the_stored_spend_never_passes_the_budget(
    store: Platform, budget: int, amounts: list[int]
) -> None:
    campaign_id = _campaign(store, budget)
    expected = 0
    for amount in amounts:
        paid = store.db.write(lambda conn, a=amount: sql.spend(conn, campaign_id, a))
        assert paid == fits_budget(expected, amount, budget)
        expected += amount if paid else 0
    with store.db.read() as conn:
        c = tables.campaigns
        spent = conn.execute(select(c.c.spent_fen).where(c.c.id == campaign_id)).scalar_one()
    assert spent == expected
    assert 0 <= spent <= budget
