"""The rules' set-based path (`RuleEngine.admit_batch`) against the same likes judged one at a
time by `admit`, each like not created taken back by `cancel` before the next.

Bulk ingest judges a batch's likes together only because this equality holds: the same risk
and hold for every like, None (nothing counted) whenever one like would be refused, and the
same windows afterwards (what they can still count), so the likes after the batch are
judged the same way too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from plaudit.authenticity import rules as rules_module
from plaudit.authenticity.rules import Admission, RuleEngine, RuleSettings
from plaudit.errors import AccountNotFound, RateLimited, RefusedByRule

T0 = datetime(2026, 11, 29, 12, tzinfo=UTC)
OLD = T0 - timedelta(days=30)
CREATED = {1: T0, 2: OLD, 3: OLD, 4: T0 - timedelta(hours=2), 5: OLD, 6: T0 + timedelta(hours=1)}
LIMITS = RuleSettings(
    account_hold=2,
    account_limit=5,
    device_hold=3,
    device_limit=7,
    ip_hold=3,
    device_accounts_hold=1,
    device_accounts_limit=3,
    new_account_hold=2,
)


def created_at(account_id: int) -> datetime:
    if account_id not in CREATED:
        raise AccountNotFound(f"account {account_id} does not exist")
    return CREATED[account_id]


Like = tuple[int, str | None, str | None, datetime]

# seconds from one like to the next: equal times, within and across every window's edge
STEPS = st.sampled_from([0.0, 0.0, 0.5, 1.0, 7.0, 59.0, 60.0, 61.0, 600.0, 3600.0, 86_400.0])
LIKE = st.tuples(
    st.integers(1, 6),  # account (6 is created after the likes: new throughout)
    st.sampled_from([None, "", "dev-a", "dev-b", "dev-c"]),
    st.sampled_from([None, "8.8.8.0/24", "10.0.0.0/24", "1.1.1.0/24"]),
    STEPS,
    st.booleans(),  # created (False: already liked, or an unknown video)
)
BATCHES = st.lists(
    st.tuples(st.lists(LIKE, min_size=1, max_size=25), st.booleans()), min_size=1, max_size=5
)


def windows(engine: RuleEngine, now: datetime) -> dict[str, Any]:
    """What the windows can still count for a like at `now` or later (the newest like
    judged so far): each window's times within its span of `now`. Beyond that, a window
    may keep or drop a stale time or an empty key depending on when it was pruned (one by
    one, a prune runs between a like's add and its take-back); no such like counts them.
    """
    at = now.timestamp()
    sliding = {
        name: {
            key: kept
            for key, times in getattr(engine, name)._times.items()
            if (kept := [t for t in times if t > at - getattr(engine, name).span])
        }
        for name in ("_accounts", "_devices", "_ips", "_new_accounts")
    }
    sharing = {
        key: kept
        for key, seen in engine._device_accounts._seen.items()
        if (kept := {who: t for who, t in seen.items() if t > at - rules_module.DAY})
    }
    pruned = [
        getattr(engine, name).pruned_at
        for name in ("_accounts", "_devices", "_ips", "_new_accounts", "_device_accounts")
    ]
    return {**sliding, "sharing": sharing, "pruned": pruned, "admitted": engine._admitted}


def one_by_one(
    engine: RuleEngine, likes: list[Like], created: list[bool]
) -> tuple[list[tuple[int, str | None] | None], list[Admission]]:
    """Each like's (risk, holding rule) or None when refused, and the admissions kept."""
    verdicts: list[tuple[int, str | None] | None] = []
    kept: list[Admission] = []
    for like, made in zip(likes, created, strict=True):
        try:
            admission = engine.admit(*like)
        except (RateLimited, RefusedByRule):
            verdicts.append(None)
            continue
        verdicts.append((admission.risk, admission.rule if admission.held else None))
        if made:
            kept.append(admission)
        else:
            engine.cancel(admission)
    return verdicts, kept


@settings(  # the patched constant is the same for every example
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(BATCHES, st.sampled_from([3, 5, 4096]))
@example(  # three accounts on one device within the day: the third is held
    batches=[
        ([(2, "dev-a", None, 0.0, True), (3, "dev-a", None, 1.0, True)], False),
        ([(5, "dev-a", None, 1.0, True), (2, "dev-a", None, 1.0, False)], False),
    ],
    prune_every=4096,
)
def test_a_batch_judged_together_matches_its_likes_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
    batches: list[tuple[list[tuple[int, str | None, str | None, float, bool]], bool]],
    prune_every: int,
) -> None:
    monkeypatch.setattr(rules_module, "_PRUNE_EVERY", prune_every)
    reference = RuleEngine(LIMITS, created_at)
    together = RuleEngine(LIMITS, created_at)
    at = T0
    for batch, undone in batches:
        likes: list[Like] = []
        for account, device, ip, step, _ in batch:
            at += timedelta(seconds=step)
            likes.append((account, device, ip, at))
        created = [made for *_, made in batch]
        expected, kept = one_by_one(reference, likes, created)
        got = together.admit_batch(likes, created)
        if None in expected:  # a refusal: only the in-order path decides, nothing counted
            assert got is None
            one_by_one(together, likes, created)  # what bulk ingest then does
        else:
            assert got is not None
            assert list(zip(got.risks, got.holds, strict=True)) == expected
            if undone:  # the batch's transaction did not commit
                for admission in reversed(kept):
                    reference.cancel(admission)
                together.cancel_batch(got)
        assert windows(together, at) == windows(reference, at)


def test_the_property_sees_holds_refusals_and_new_accounts() -> None:
    """The limits above hold, refuse and flag new accounts (the property is not vacuous)."""
    engine = RuleEngine(LIMITS, created_at)
    likes: list[Like] = [(1, "dev-a", "8.8.8.0/24", T0 + timedelta(seconds=i)) for i in range(5)]
    got = engine.admit_batch(likes, [True] * 5)
    assert got is not None
    assert got.holds[-1] is not None
    assert got.risks[0] >= rules_module.NEW_ACCOUNT_RISK
    assert engine.admit_batch([(1, "dev-a", None, T0 + timedelta(seconds=6))], [True]) is None


def test_likes_going_back_in_time_are_left_to_the_in_order_path() -> None:
    engine = RuleEngine(LIMITS, created_at)
    engine.admit(4, None, None, T0)
    before = windows(engine, T0)
    likes: list[Like] = [(2, None, None, T0 + timedelta(seconds=5)), (3, None, None, T0)]
    assert engine.admit_batch(likes, [True, True]) is None
    assert windows(engine, T0) == before


def test_disabled_rules_accept_a_batch_with_no_risk() -> None:
    engine = RuleEngine(RuleSettings(enabled=False), created_at)
    got = engine.admit_batch([(2, "d", None, T0)] * 3, [True] * 3)
    assert got is not None
    assert (got.risks, got.holds) == ([0, 0, 0], [None, None, None])
