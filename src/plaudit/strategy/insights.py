"""Fan insights for a creator: who the fans are against the platform, how the fan base grows
and churns, when fans are active, what they over-index on, which videos turn viewers into fans.

Privacy: composition, interest and active-hour cells describe people, so each is suppressed
below k (`privacy_k`) like every persona answer. Growth and conversion figures count the
creator's own follows and likes, which the creator's public counters already show; they are
exact. TGI = 100 x (share among the fans) / (share on the platform).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyroaring import BitMap

from plaudit.strategy.activity import CHINA, CONVERSION_WINDOW, LOOKBACK, Activity

__all__ = [
    "AGE_WINDOWS",
    "WEEKS",
    "conversions",
    "fan_hours",
    "groups",
    "growth",
    "headline",
    "over_indexing",
    "summary",
]

WEEKS = 12
MIN_TGI = 120.0  # "over-indexes": at least 1.2x the platform share
# Age windows of about 15 years a creator would recognise (as in the persona fan-base
# sentence): widths alike, so the largest group is a fair comparison.
AGE_WINDOWS = ((13, 24), (18, 35), (25, 40), (30, 45), (40, 55), (50, 65), (60, 79))


def growth(activity: Activity) -> list[dict[str, Any]]:
    """Per week (oldest first): follows, unfollows, net, followers at the end, churn, likers.

    Counted on arrays of the follows' and likes' times (whole microseconds since the epoch),
    each week's counts one comparison over them in NumPy: the busiest creator of the large
    demo has hundreds of thousands of follows, and a Python pass over them for each count of
    each week (four a week) grew with the community (issue #18)."""
    made = _micros([f.created_at for f in activity.follows])
    ended = [f.removed_at for f in activity.follows]
    removed = np.array([_NEVER if at is None else _micro(at) for at in ended], dtype=np.int64)
    now = _micro(activity.now)
    weeks_ago = (now - _micros([like.created_at for like in activity.likes])) // _WEEK
    likers = _distinct_per(weeks_ago, [like.account_id for like in activity.likes])
    weeks = []
    for i in range(WEEKS, 0, -1):
        start, end = activity.now - timedelta(weeks=i), activity.now - timedelta(weeks=i - 1)
        lo, hi = _micro(start), _micro(end)
        follows = int(np.count_nonzero((lo <= made) & (made < hi)))
        unfollows = int(np.count_nonzero((lo <= removed) & (removed < hi)))
        at_start = _followers_at(made, removed, lo)
        weeks.append({
            "week_start": start.isoformat(),
            "follows": follows,
            "unfollows": unfollows,
            "net": follows - unfollows,
            "followers": _followers_at(made, removed, hi),
            "churn_rate": round(unfollows / at_start, 4) if at_start else None,
            "likers": likers.get(i - 1, 0),
        })  # fmt: skip
    return weeks


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_WEEK = timedelta(weeks=1) // _MICROSECOND
_HOUR = timedelta(hours=1) // _MICROSECOND
_NEVER = np.iinfo(np.int64).max  # a follow not ended: after every time compared with


def _micro(at: datetime) -> int:
    """Whole microseconds since the epoch: exact, so comparisons agree with datetimes'."""
    return (at - _EPOCH) // _MICROSECOND


def _micros(times: list[datetime]) -> NDArray[np.int64]:
    return np.array([_micro(at) for at in times], dtype=np.int64)


def _followers_at(made: NDArray[np.int64], removed: NDArray[np.int64], at: int) -> int:
    """Follows made before `at` and not ended by then."""
    return int(np.count_nonzero((made < at) & (removed >= at)))


def _distinct_per(groups: NDArray[np.int64], accounts: list[int]) -> dict[int, int]:
    """How many distinct accounts each group value has."""
    if not len(groups):
        return {}
    who = np.array(accounts, dtype=np.int64)
    order = np.lexsort((who, groups))
    group, who = groups[order], who[order]
    first = np.ones(len(group), dtype=np.bool_)  # the first row of each (group, account)
    first[1:] = (group[1:] != group[:-1]) | (who[1:] != who[:-1])
    values, counts = np.unique(group[first], return_counts=True)
    return dict(zip(values.tolist(), counts.tolist(), strict=True))


def fan_hours(activity: Activity, k: int) -> list[dict[str, Any]]:
    """Per hour of the day (China time): how many current followers liked or commented on the
    creator's videos in that hour in the last 90 days; cells below k suppressed."""
    fans, since = activity.followers(), activity.now - LOOKBACK
    rows = [r for r in (*activity.likes, *activity.comments) if r.account_id in fans]
    at = _micros([r.created_at for r in rows])
    recent = at >= _micro(since)
    hours = (at[recent] + CHINA // _MICROSECOND) // _HOUR % 24  # china_hour, on arrays
    accounts = np.array([int(r.account_id) for r in rows], dtype=np.int64)[recent]
    by_hour = _distinct_per(hours, accounts.tolist())
    total = len(np.unique(accounts))
    cells: list[dict[str, Any]] = []
    for hour in range(24):
        n = by_hour.get(hour, 0)
        if n >= k:
            cells.append({"hour": hour, "fans": n, "share": round(n / total, 4)})
        else:
            cells.append({"hour": hour, "fans": f"<{k}", "suppressed": True})
    return cells


def conversions(activity: Activity, limit: int = 10) -> list[dict[str, Any]]:
    """Videos that turned viewers into fans: a follow in the last 90 days is credited to the
    video the follower liked first within the 7 days before following (the earlier in the
    activity's order at the same time).

    Found for every follow at once: the likes sorted by (account, time, position), each
    follow's first like at or after its window's start is one binary search."""
    likes = activity.likes
    account = np.array([int(like.account_id) for like in likes], dtype=np.int64)
    video = np.array([int(like.video_id) for like in likes], dtype=np.int64)
    at = _micros([like.created_at for like in likes])
    recent_follows = [f for f in activity.follows if f.created_at >= activity.now - LOOKBACK]
    follower = np.array([int(f.follower_id) for f in recent_follows], dtype=np.int64)
    followed = _micros([f.created_at for f in recent_follows])
    times = np.unique(at)  # a like's key: its account, then its time's rank among these
    keys = account * (len(times) + 1) + np.searchsorted(times, at)
    order = np.argsort(keys, kind="stable")  # stable: the activity's order within a time
    opens = followed - CONVERSION_WINDOW // _MICROSECOND
    at_or_after = np.searchsorted(
        keys[order], follower * (len(times) + 1) + np.searchsorted(times, opens)
    )
    inside = at_or_after < len(order)  # past the end: no like of this account that late
    first = order[at_or_after[inside]]
    hit = (account[first] == follower[inside]) & (opens[inside] <= at[first])
    hit &= at[first] <= followed[inside]
    credited = Counter(video[first[hit]].tolist())
    recent = at >= _micro(activity.now - LOOKBACK)
    likers = _distinct_per(video[recent], account[recent].tolist())
    titles = {int(v.id): (v.title, v.category) for v in activity.videos}
    rows = [
        {
            "video_id": video_id,
            "title": titles.get(video_id, ("", ""))[0],
            "category": titles.get(video_id, ("", ""))[1],
            "conversions": n,
            "likers": likers.get(video_id, 0),
            "conversion_rate": round(n / likers[video_id], 4) if likers.get(video_id) else None,
        }
        for video_id, n in credited.items()
    ]
    return sorted(rows, key=lambda r: (-r["conversions"], r["video_id"]))[:limit]


def over_indexing(fan_base: dict[str, Any], family: str = "interest") -> list[dict[str, Any]]:
    """The family's tags the fans have at least 1.2x as often as the platform, highest first."""
    rows = fan_base.get("families", {}).get(family, [])
    found = [r for r in rows if not r.get("suppressed") and r.get("tgi", 0) >= MIN_TGI]
    return sorted(found, key=lambda r: -r["tgi"])


Group = tuple[str, int, int]  # gender, youngest, oldest


def groups() -> list[tuple[Group, str]]:
    """The (gender, age window) groups the headline compares, with their segment expression."""
    return [
        ((gender, lo, hi), f"gender = {gender} and age in {lo}..{hi}")
        for gender in ("female", "male")
        for lo, hi in AGE_WINDOWS
    ]


def headline(members: dict[Group, BitMap], universe: int, fans: BitMap, k: int) -> dict[str, Any]:
    """The largest (gender, age window) group of fans, its share and its ratio to the platform,
    e.g. "62% of your fans are women aged 18-35, 1.8x the platform average"; `members` holds
    each group's accounts on the platform, `universe` how many accounts there are."""
    n, (gender, lo, hi) = max(
        ((fans.intersection_cardinality(group), key) for key, group in members.items()),
        key=lambda item: item[0],
        default=(0, ("female", 18, 35)),
    )
    if n < k or not fans or not universe:
        return {
            "suppressed": True,
            "en": f"No group of your fans is large enough (at least {k}) to describe.",
            "zh": f"你的粉丝中没有足够大（至少{k}人）的群体可以描述。",
        }
    share, base = n / len(fans), len(members[(gender, lo, hi)]) / universe
    ratio = share / base if base else 0.0
    who_en, who_zh = ("women", "女性") if gender == "female" else ("men", "男性")
    pct = round(100 * share)
    return {
        "gender": gender, "age_from": lo, "age_to": hi, "fans": n,
        "share": round(share, 4), "platform_share": round(base, 4), "ratio": round(ratio, 2),
        "en": f"{pct}% of your fans are {who_en} aged {lo}-{hi}, {ratio:.1f}x the platform average",
        "zh": f"你的粉丝中{pct}%是{lo}-{hi}岁的{who_zh}，是平台平均水平的{ratio:.1f}倍",
    }  # fmt: skip


def summary(insights: dict[str, Any]) -> dict[str, str]:
    """A few sentences in English and Chinese from the figures above (never other numbers)."""
    en, zh = [insights["headline"]["en"] + "."], [insights["headline"]["zh"] + "。"]
    recent = insights["growth"][-4:]
    gained, lost = sum(w["follows"] for w in recent), sum(w["unfollows"] for w in recent)
    en.append(f"In the last 4 weeks you gained {gained} followers and lost {lost} "
              f"(net {gained - lost:+d}).")  # fmt: skip
    zh.append(f"最近4周新增粉丝{gained}人，流失{lost}人（净增{gained - lost:+d}）。")
    hours = [c for c in insights["active_hours"] if not c.get("suppressed")]
    if hours:
        peak = max(hours, key=lambda c: c["fans"])["hour"]
        en.append(f"Your fans are most active around {peak}:00 China time.")
        zh.append(f"你的粉丝在北京时间{peak}点前后最活跃。")
    if insights["interests"]:
        top = insights["interests"][0]
        en.append(f"They over-index on {top['en']} (TGI {top['tgi']:.0f}).")
        zh.append(f"他们对{top['zh']}的兴趣明显高于平台平均（TGI {top['tgi']:.0f}）。")
    if insights["converting_videos"]:
        video = insights["converting_videos"][0]
        en.append(f'"{video["title"]}" turned the most viewers into fans ({video["conversions"]}).')
        zh.append(f"《{video['title']}》带来的新粉丝最多（{video['conversions']}人）。")
    return {"en": " ".join(en), "zh": "".join(zh)}
