"""The small community looks like a Chinese short-video community (roughly: the bounds are
wide enough for any seed, tight enough to catch a broken distribution)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import numpy as np

from plaudit.sim.geography import PROVINCES
from tests.sim.streams import Stream

_CST = timedelta(hours=8)


def _share(counter: Counter[str], keys: set[str]) -> float:
    return sum(counter[k] for k in keys) / sum(counter.values())


def test_city_tiers_and_provinces_follow_population(small: Stream) -> None:
    tiers = Counter(a.city_tier for a in small.accounts)
    assert 0.15 < _share(tiers, {"1", "new1"}) < 0.32
    assert 0.45 < _share(tiers, {"3", "4", "5"}) < 0.7
    provinces = Counter(a.province for a in small.accounts)
    assert len(provinces) >= 30
    assert provinces.most_common(1)[0][0] == "GD"  # the most populous province
    assert _share(provinces, {"HK", "MO", "TW"}) < 0.01
    names = {p.code: p.name for p in PROVINCES}
    for a in small.accounts:
        assert not a.city.startswith("other city") or a.city.endswith(names[a.province])


def test_people_are_of_all_ages_and_both_genders(small: Stream) -> None:
    ages = np.array([small.end.year - a.birth_year for a in small.accounts])
    assert ages.min() >= 13
    assert ages.max() <= 81
    assert 0.25 < np.mean((ages >= 20) & (ages < 35)) < 0.4
    assert 0.2 < np.mean(ages >= 50) < 0.35
    genders = Counter(a.gender for a in small.accounts)
    assert 0.45 < _share(genders, {"female"}) < 0.52


def test_spending_leans_low_and_rises_with_city_tier(small: Stream) -> None:
    bands = Counter(a.spending_band for a in small.accounts)
    assert _share(bands, {"0-1000", "1000-3000"}) > 0.55
    assert _share(bands, {"10000+"}) < 0.1

    def rich(tiers: set[str]) -> float:
        group = [a for a in small.accounts if a.city_tier in tiers]
        return sum(a.spending_band in ("5000-10000", "10000+") for a in group) / len(group)

    assert rich({"1", "new1"}) > rich({"4", "5"})


def test_consent_rates(small: Stream) -> None:
    n = len(small.accounts)
    assert 0.9 < sum(a.consent_personalisation for a in small.accounts) / n < 0.94
    assert 0.82 < sum(a.consent_targeting for a in small.accounts) / n < 0.88


def test_content_spans_the_categories(small: Stream) -> None:
    assert len({v.category for v in small.videos}) >= 30


def test_likes_and_followers_are_heavy_tailed(small: Stream) -> None:
    likes = Counter(i.target_id for i in small.items if i.kind == "like")
    per_video = np.sort(np.array([likes[v.id] for v in small.videos]))[::-1]
    top = len(per_video) // 100
    assert per_video[:top].sum() / per_video.sum() > 0.1  # 1% of videos, 10x their share
    follows = Counter(i.target_id for i in small.items if i.kind == "follow")
    counts = np.array(sorted(follows.values()))
    assert counts[-1] > 10 * np.median(counts)


def test_interaction_mix(small: Stream) -> None:
    kinds = Counter(i.kind for i in small.items)
    likes = kinds["like"]
    assert 0.75 < likes / len(small.items) < 0.95
    assert 0.04 < kinds["comment"] / likes < 0.06
    assert 0.015 < kinds["share"] / likes < 0.025
    assert 0.02 < kinds["unlike"] / likes < 0.04
    assert 0 < kinds["unfollow"] < kinds["follow"]
    assert 0.02 < sum(i.source == "web" for i in small.items) / len(small.items) < 0.1


def test_daily_rhythm_in_china_time(small: Stream) -> None:
    hours = Counter((i.at + _CST).hour for i in small.items)
    evening = sum(hours[h] for h in (20, 21, 22))
    small_hours = sum(hours[h] for h in (3, 4, 5))
    assert evening > 4 * small_hours
    assert hours[12] > hours[10]  # the lunch peak


def test_weekends_are_busier(small: Stream) -> None:
    start = small.end - timedelta(days=small.size.days - 14)  # past the ramp-up
    days = Counter((i.at + _CST).weekday() for i in small.items if i.at >= start)
    assert (days[5] + days[6]) / 2 > 1.05 * sum(days[d] for d in range(5)) / 5


def test_most_actions_come_from_home(small: Stream) -> None:
    homes: dict[int, Counter[str]] = {}
    for i in small.items:
        assert i.ip_prefix is not None
        homes.setdefault(i.account_id, Counter())[i.ip_prefix] += 1
    busy = [c for c in homes.values() if sum(c.values()) >= 20]
    home_share = np.mean([c.most_common(1)[0][1] / sum(c.values()) for c in busy])
    assert 0.7 < home_share < 0.9
