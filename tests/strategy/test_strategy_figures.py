"""Insights and plan figures on hand-built activity, where every expected number is counted
by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from pyroaring import BitMap

from plaudit.strategy import insights, plan
from plaudit.strategy.activity import Activity

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def row(**values: Any) -> SimpleNamespace:
    return SimpleNamespace(**values)


def like(account: int, video: int, days: float) -> SimpleNamespace:
    return row(account_id=account, video_id=video, created_at=ago(days))


def comment(cid: int, account: int, video: int, days: float, body: str = "nice") -> SimpleNamespace:
    return row(id=cid, account_id=account, video_id=video, created_at=ago(days), body=body,
               title="v")  # fmt: skip


def follow(account: int, days: float, removed: float | None = None) -> SimpleNamespace:
    return row(follower_id=account, created_at=ago(days),
               removed_at=None if removed is None else ago(removed))  # fmt: skip


def activity(**parts: list[Any]) -> Activity:
    return Activity(
        creator_id=1,
        now=NOW,
        since=ago(97),
        videos=parts.get("videos", []),
        follows=parts.get("follows", []),
        likes=parts.get("likes", []),
        comments=parts.get("comments", []),
        shares=parts.get("shares", []),
    )


def test_growth_counts_follows_unfollows_followers_and_likers_per_week() -> None:
    act = activity(
        follows=[follow(10, 20), follow(11, 10), follow(12, 9, removed=2), follow(13, 1)],
        likes=[like(10, 1, 3), like(11, 1, 3), like(10, 2, 4), like(14, 1, 10)],
    )
    weeks = insights.growth(act)
    assert len(weeks) == insights.WEEKS
    last, before = weeks[-1], weeks[-2]  # days 7..0 and 14..7
    assert (last["follows"], last["unfollows"], last["net"]) == (1, 1, 0)
    assert last["followers"] == 3  # 10, 11 and 13; 12 left two days ago
    assert last["churn_rate"] == pytest.approx(
        1 / 3, abs=1e-4
    )  # one of the three at the week's start
    assert last["likers"] == 2  # accounts 10 and 11
    assert (before["follows"], before["likers"]) == (2, 1)
    assert weeks[-3]["follows"] == 1
    assert weeks[-3]["churn_rate"] is None


def test_a_follow_is_credited_to_the_first_liked_video_within_seven_days() -> None:
    act = activity(
        videos=[row(id=1, title="first", category="food"), row(id=2, title="second",
                                                               category="food")],
        follows=[follow(10, 5), follow(11, 5), follow(12, 5)],
        likes=[
            like(10, 1, 9), like(10, 2, 8),  # both within the 7 days before: video 1 first
            like(11, 2, 6), like(11, 1, 5.5),  # video 2 first
            like(12, 1, 20),  # too early: not a conversion
        ],
    )  # fmt: skip
    rows = insights.conversions(act)
    by_video = {r["video_id"]: r for r in rows}
    assert by_video[1]["conversions"] == 1
    assert by_video[2]["conversions"] == 1
    assert by_video[1]["likers"] == 3  # accounts 10, 11 and 12 liked it in 90 days
    assert by_video[1]["conversion_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert by_video[1]["title"] == "first"


def test_fan_hours_count_distinct_fans_per_china_hour_and_suppress_small_cells() -> None:
    at_utc_1 = NOW.replace(hour=1) - timedelta(days=2)  # 09:00 in China
    fans = [follow(a, 30) for a in range(10, 16)]
    likes = [row(account_id=a, video_id=1, created_at=at_utc_1) for a in range(10, 16)]
    likes.append(row(account_id=99, video_id=1, created_at=at_utc_1))  # not a follower
    cells = insights.fan_hours(activity(follows=fans, likes=likes), k=5)
    assert cells[9] == {"hour": 9, "fans": 6, "share": 1.0}
    assert cells[10] == {"hour": 10, "fans": "<5", "suppressed": True}


def test_headline_names_the_largest_group_and_its_ratio_to_the_platform() -> None:
    members = {
        ("female", 13, 24): BitMap(range(0, 25)),  # 25 of 100 accounts on the platform
        ("female", 40, 55): BitMap(range(25, 50)),
        ("male", 40, 55): BitMap(range(50, 100)),
    }
    fans = BitMap(range(0, 20)) | BitMap(range(60, 65))  # 20 young women, 5 older men
    found = insights.headline(members, 100, fans, k=5)
    # women 13-24: 20 of 25 fans = 80%; on the platform 25 of 100 = 25%: 3.2x
    assert (found["gender"], found["age_from"], found["age_to"]) == ("female", 13, 24)
    assert found["share"] == 0.8
    assert found["platform_share"] == 0.25
    assert found["en"] == "80% of your fans are women aged 13-24, 3.2x the platform average"
    assert found["zh"] == "你的粉丝中80%是13-24岁的女性，是平台平均水平的3.2倍"
    assert insights.headline(members, 100, fans, k=21)["suppressed"]


def test_headline_groups_are_segment_expressions() -> None:
    found = dict(insights.groups())
    assert found[("female", 18, 35)] == "gender = female and age in 18..35"
    assert len(found) == 2 * len(insights.AGE_WINDOWS)


def test_fans_rank_by_value_and_churn_risk_and_open_comments_are_answers() -> None:
    steady = [like(10, 1, d) for d in range(1, 31, 3)]  # every 3 days, last seen a day ago
    drifting = [like(11, 1, d) for d in range(21, 51, 3)]  # same rhythm, silent for 21 days
    act = activity(
        follows=[follow(10, 60), follow(11, 60), follow(12, 60)],
        likes=steady + drifting + [like(12, 1, 2)],
        comments=[comment(7, 12, 1, 2, "怎么做的？"), comment(8, 12, 1, 20)],
    )
    fans = plan.rank_fans(act, answered=set())
    by_id = {f["fan_id"]: f for f in fans}
    assert by_id[11]["churn_risk"] > 0.99 > by_id[10]["churn_risk"]
    # same counts; the drifting fan's older likes weigh less, but the risk ranks them first
    assert by_id[11]["value"] < by_id[10]["value"]
    assert by_id[11]["rank"] < by_id[10]["rank"]
    assert by_id[12]["action"] == "answer"
    assert by_id[12]["comment_id"] == 7
    assert by_id[10]["action"] == "thank"
    assert "drifting away" in by_id[11]["reason"]["en"]
    assert "10 likes" in by_id[10]["reason"]["en"]
    assert "点赞10次" in by_id[10]["reason"]["zh"]
    assert plan.rank_fans(act, answered={7})[-1]["comment_id"] is None  # old one is too old


def test_non_followers_are_not_in_the_plan() -> None:
    act = activity(follows=[follow(10, 5)], likes=[like(10, 1, 1), like(99, 1, 1)])
    assert [f["fan_id"] for f in plan.rank_fans(act, answered=set())] == [10]


def test_best_hours_need_k_fans_and_rank_hours_by_engagement() -> None:
    base = NOW.replace(hour=12) - timedelta(days=3)  # 20:00 China time
    fans = [follow(a, 30) for a in range(10, 16)]
    likes = [row(account_id=a, video_id=1, created_at=base) for a in range(10, 16)]
    likes += [row(account_id=10, video_id=2, created_at=base - timedelta(hours=10))]  # 10:00
    hours = plan.best_hours(activity(follows=fans, likes=likes), k=5)
    assert [h["hour"] for h in hours["hours"]] == [20, 10]
    assert hours["hours"][0]["share"] == pytest.approx(6 / 7, abs=1e-4)
    assert not plan.best_hours(activity(follows=fans, likes=likes), k=7)["available"]


def test_categories_compare_likes_per_video_and_suggest_untried_interests() -> None:
    videos = [row(id=1, category="food", likes=30), row(id=2, category="food", likes=10),
              row(id=3, category="pets", likes=60)]  # fmt: skip
    interests = [
        {"tag": "interest.travel", "en": "Travel", "zh": "旅行", "tgi": 150.0},
        {"tag": "interest.food", "en": "Food", "zh": "美食", "tgi": 130.0},
        {"tag": "interest.pets.strong", "en": "Pets", "zh": "萌宠", "tgi": 125.0},
    ]
    found = plan.categories(activity(videos=videos), interests)
    assert [r["category"] for r in found["resonating"]] == ["pets", "food"]
    assert found["resonating"][0]["index"] == pytest.approx(180.0)  # 60 vs a mean of 100/3
    assert [i["category"] for i in found["fan_interests_to_try"]] == ["travel"]


def test_campaign_expressions_are_over_indexing_tags() -> None:
    fan_base = {"families": {
        "interest": [{"tag": "interest.travel", "tgi": 150.0, "share": 0.2},
                     {"tag": "interest.food", "tgi": 90.0, "share": 0.5},
                     {"tag": "interest.pets", "count": "<5", "suppressed": True}],
        "age": [{"tag": "age.18_24", "tgi": 200.0, "share": 0.4}],
    }}  # fmt: skip
    assert plan.expressions(fan_base) == [("age.18_24", 200.0), ("interest.travel", 150.0)]


def _growth_by_loops(act: Activity) -> list[dict[str, Any]]:
    """The weekly figures by their definition, a Python pass per count (the code before
    they were counted on arrays)."""

    def alive(at: datetime) -> int:
        return sum(f.created_at < at and (f.removed_at is None or f.removed_at >= at)
                   for f in act.follows)  # fmt: skip

    weeks = []
    for i in range(insights.WEEKS, 0, -1):
        start, end = act.now - timedelta(weeks=i), act.now - timedelta(weeks=i - 1)
        made = sum(start <= f.created_at < end for f in act.follows)
        ended = sum(f.removed_at is not None and start <= f.removed_at < end
                    for f in act.follows)  # fmt: skip
        likers = {like.account_id for like in act.likes
                  if (act.now - like.created_at) // timedelta(weeks=1) == i - 1}  # fmt: skip
        weeks.append({
            "week_start": start.isoformat(), "follows": made, "unfollows": ended,
            "net": made - ended, "followers": alive(end),
            "churn_rate": round(ended / alive(start), 4) if alive(start) else None,
            "likers": len(likers),
        })  # fmt: skip
    return weeks


def _hours_by_loops(act: Activity, k: int) -> list[Any]:
    fans, since = act.followers(), act.now - timedelta(days=90)
    by_hour: dict[int, set[int]] = {}
    for r in (*act.likes, *act.comments):
        if r.account_id in fans and r.created_at >= since:
            by_hour.setdefault((r.created_at + timedelta(hours=8)).hour, set()).add(r.account_id)
    total = len(set().union(*by_hour.values()))
    return [{"hour": h, "fans": len(by_hour[h]), "share": round(len(by_hour[h]) / total, 4)}
            if len(by_hour.get(h, ())) >= k else {"hour": h, "fans": f"<{k}", "suppressed": True}
            for h in range(24)]  # fmt: skip


def _conversions_by_loops(act: Activity) -> list[dict[str, Any]]:
    since, window = act.now - timedelta(days=90), timedelta(days=7)
    credited: dict[int, int] = {}
    for f in act.follows:
        if f.created_at < since:
            continue
        liked = [x for x in act.likes if x.account_id == f.follower_id
                 and f.created_at - window <= x.created_at <= f.created_at]  # fmt: skip
        if liked:
            first = min(liked, key=lambda x: x.created_at).video_id
            credited[first] = credited.get(first, 0) + 1
    likers: dict[int, set[int]] = {}
    for x in act.likes:
        if x.created_at >= since:
            likers.setdefault(x.video_id, set()).add(x.account_id)
    rows = [{"video_id": v, "title": "", "category": "", "conversions": n,
             "likers": len(likers.get(v, ())),
             "conversion_rate": round(n / len(likers[v]), 4) if likers.get(v) else None}
            for v, n in credited.items()]  # fmt: skip
    return sorted(rows, key=lambda r: (-r["conversions"], r["video_id"]))[:10]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weekly_growth_and_fan_hours_on_arrays_equal_their_definition(seed: int) -> None:
    """Times on the week edges exactly, a microsecond either side, and anywhere: the counts
    (and the conversions' first likes, ties at one time included) on arrays agree with a
    Python pass per count, to the microsecond."""
    import random

    rng = random.Random(seed)
    edges = [NOW - timedelta(weeks=w) for w in range(14)]
    tick = timedelta(microseconds=1)

    def when() -> datetime:
        if rng.random() < 0.4:
            return rng.choice(edges) + rng.choice([-tick, timedelta(0), tick])
        return NOW - timedelta(seconds=rng.uniform(0, 100 * 86_400))

    follows = []
    for account in range(400):
        made = when()
        removed = max(made, when()) if rng.random() < 0.3 else None  # never before it began
        follows.append(row(follower_id=account, created_at=made, removed_at=removed))
    likes = [row(account_id=rng.randrange(500), video_id=rng.randrange(30), created_at=when())
             for _ in range(3_000)]  # fmt: skip
    comments = [row(account_id=rng.randrange(500), video_id=1, created_at=when())
                for _ in range(300)]  # fmt: skip
    # the highest account, sorted last: its only like is older than its follow's window
    follows.append(follow(10_000, 5))
    likes.append(like(10_000, 1, 20))
    act = activity(follows=follows, likes=likes, comments=comments)
    assert insights.growth(act) == _growth_by_loops(act)
    assert insights.conversions(act) == _conversions_by_loops(act)
    for k in (1, 5, 40):
        assert insights.fan_hours(act, k) == _hours_by_loops(act, k)
