"""Experiments end to end on a real store: create, assign with exposure logging, report on likes
written through the interactions service with their own timestamps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from plaudit.errors import AccountNotFound, Conflict, Forbidden, InvalidInput, NotFound
from plaudit.experiments import Experiment, assign
from plaudit.interactions.service import NO_DEVICE, like_op
from plaudit.platform import Platform
from plaudit.store import utcnow

EFFECT_LIKES = 4  # extra likes a treated creator receives in the 10-day window


def _experiment(platform: Platform, owner: int, metric: str = "likes_received") -> Experiment:
    now = utcnow()
    windows = (now - timedelta(days=20), now - timedelta(days=10), now + timedelta(days=1))
    return platform.experiments.create(
        owner, "reply to fans", "creator", metric, ["control:1", "treatment:1"], windows
    )


def _like(platform: Platform, fan: int, video: int, days_ago: float) -> None:
    at = utcnow() - timedelta(days=days_ago)
    platform.db.write(like_op(fan, video, "app", NO_DEVICE, at))


def _community(platform: Platform, creators: int, fans: int) -> tuple[list[int], list[int]]:
    creator_ids = [
        platform.accounts.create(f"creator{i}", "creator")[0].id for i in range(creators)
    ]
    fan_ids = [platform.accounts.create(f"fan{i}", "fan")[0].id for i in range(fans)]
    return creator_ids, fan_ids


def test_report_measures_the_effect_written_into_the_data(platform: Platform) -> None:
    creators, fans = _community(platform, creators=40, fans=40)
    operator = platform.accounts.create("ops", "operator")[0].id
    experiment = _experiment(platform, operator)
    rng = np.random.default_rng(5)
    for creator in creators:
        arm = platform.experiments.assign(experiment.id, creator, expose=True)["arm"]
        before = platform.videos.publish(creator, "before", "food").id
        during = platform.videos.publish(creator, "during", "food").id
        level = int(rng.integers(2, 30))  # creators differ a lot: what CUPED explains
        extra = EFFECT_LIKES if arm == "treatment" else 0
        for fan in fans[:level]:
            _like(platform, fan, before, days_ago=15)
        for fan in fans[: min(len(fans), level + extra + int(rng.integers(0, 2)))]:
            _like(platform, fan, during, days_ago=5)
    report = platform.experiments.report(experiment.id)
    (comparison,) = report["comparisons"]
    true_effect = EFFECT_LIKES / report["window"]["days"]  # per day, over ~10 days
    plain, cuped = comparison["plain"], comparison["cuped"]
    assert plain["ci95"][0] <= true_effect + 0.05
    assert cuped["ci95"][0] <= true_effect + 0.05
    assert cuped["ci95"][0] - 0.05 <= true_effect <= cuped["ci95"][1] + 0.05
    assert cuped["ci95"][0] > 0  # the effect is detected once the pre-period is used
    assert _width(cuped["ci95"]) < _width(plain["ci95"]) / 3
    assert report["cuped"]["variance_reduction"] > 0.8
    assert sum(arm["units"] for arm in report["arms"]) == len(creators)


def _width(interval: list[float]) -> float:
    return interval[1] - interval[0]


def _total(report: dict[str, Any]) -> float:
    """Sum of every unit's metric: mean x units over the arms."""
    return float(sum(arm["mean"] * arm["units"] for arm in report["arms"]))


def test_assignment_uses_the_hash_and_logs_the_first_exposure_only(platform: Platform) -> None:
    creators, _ = _community(platform, creators=3, fans=0)
    experiment = _experiment(platform, creators[0])
    peek = platform.experiments.assign(experiment.id, creators[1], expose=False)
    assert peek["exposed_at"] is None
    assert peek["arm"] == assign(experiment.id, creators[1], experiment.arms)
    first = platform.experiments.assign(experiment.id, creators[1], expose=True)
    again = platform.experiments.assign(experiment.id, creators[1], expose=True)
    assert first["first_exposure"]
    assert not again["first_exposure"]
    assert again["exposed_at"] == first["exposed_at"]


def test_who_may_create_read_and_be_a_unit(platform: Platform) -> None:
    creators, fans = _community(platform, creators=2, fans=1)
    experiment = _experiment(platform, creators[0])
    with pytest.raises(Forbidden, match="only a creator or operator"):
        _experiment(platform, fans[0])
    with pytest.raises(Forbidden, match="only a operator"):
        platform.experiments.get(experiment.id, actor_id=creators[1])
    with pytest.raises(Forbidden, match="only a creator account may be a unit"):
        platform.experiments.assign(experiment.id, fans[0], expose=True)
    with pytest.raises(AccountNotFound):
        platform.experiments.assign(experiment.id, 999, expose=True)
    with pytest.raises(NotFound):
        platform.experiments.report(12345)


def test_bad_definitions_and_early_reports_are_refused(platform: Platform) -> None:
    creators, _ = _community(platform, creators=1, fans=0)
    now = utcnow()
    ok = (now - timedelta(days=2), now - timedelta(days=1), now + timedelta(days=1))
    create = platform.experiments.create
    with pytest.raises(InvalidInput, match="measured on creators"):
        create(creators[0], "x", "fan", "likes_received", ["a", "b"], ok)
    with pytest.raises(InvalidInput, match="metric 'views' is not known"):
        create(creators[0], "x", "creator", "views", ["a", "b"], ok)
    with pytest.raises(InvalidInput, match="pre-period"):
        create(creators[0], "x", "creator", "likes_received", ["a", "b"], (ok[1], ok[1], ok[2]))
    future = (now, now + timedelta(days=1), now + timedelta(days=2))
    experiment = create(creators[0], "x", "creator", "likes_received", ["a", "b"], future)
    with pytest.raises(Conflict, match="report after it has run"):
        platform.experiments.report(experiment.id)


def test_authentic_metric_leaves_out_held_likes(platform: Platform) -> None:
    from plaudit.store import tables

    creators, fans = _community(platform, creators=4, fans=3)
    experiment = _experiment(platform, creators[0], metric="authentic_likes_received")
    plain = _experiment(platform, creators[0])
    for creator in creators:
        platform.experiments.assign(experiment.id, creator, expose=True)
        platform.experiments.assign(plain.id, creator, expose=True)
        video = platform.videos.publish(creator, "v", "food").id
        for fan in fans:
            _like(platform, fan, video, days_ago=3)
    with platform.db.write_engine.begin() as conn:
        held_like = conn.execute(tables.likes.select().limit(1)).one()
        conn.execute(
            tables.holds.insert().values(
                like_id=held_like.id,
                video_id=held_like.video_id,
                rule="test",
                risk=1,
                held_at=utcnow(),
            )
        )
    held = platform.experiments.report(experiment.id)
    everything = platform.experiments.report(plain.id)
    days = held["window"]["days"]
    assert _total(held) == pytest.approx(_total(everything) - 1 / days)
