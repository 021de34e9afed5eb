"""The engagement plan: which fans to answer or thank, when to post, what content resonates,
and which audiences are worth a campaign.

Fan value is recency-weighted engagement with the creator's videos over 90 days (a like
weighs 1, a share 2, a comment 3, halved every 30 days of age). Churn risk is how unusual the
fan's current silence is: with g the fan's mean gap between active days (over their active span)
and s the days since their last interaction, risk = 1 - exp(-s / g), the chance that a fan
who keeps their usual rhythm would have interacted by now. Fans are ranked by
value x (0.5 + risk): valuable fans first, drifting ones before steady ones of equal value.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from plaudit.strategy.activity import LOOKBACK, Activity, china_hour

__all__ = [
    "ANSWER_WINDOW",
    "PLAN_FANS",
    "FanScore",
    "best_hours",
    "categories",
    "expressions",
    "rank_fans",
]

PLAN_FANS = 50
ANSWER_WINDOW = timedelta(days=14)  # comments older than this are not worth answering now
HALF_LIFE_DAYS = 30.0
_WEIGHTS = {"like": 1.0, "share": 2.0, "comment": 3.0}
_DAY = 86400.0


@dataclass
class FanScore:
    fan_id: int
    likes: int = 0
    comments: int = 0
    shares: int = 0
    value: float = 0.0
    last: datetime | None = None
    last_video: int = 0
    days: set[int] = field(default_factory=set)
    open_comment: Any = None  # the fan's latest unanswered comment in the answer window

    def gap_days(self) -> float:
        """The fan's usual days between active days: over their active span, or the whole
        90 days for a fan seen on one day only."""
        if len(self.days) < 2:
            return float(LOOKBACK.days)
        return (max(self.days) - min(self.days)) / (len(self.days) - 1)

    def churn_risk(self, now: datetime) -> float:
        if self.last is None or not self.days:
            return 1.0
        gap = self.gap_days()
        silence = (now - self.last).total_seconds() / _DAY
        return 1.0 - math.exp(-silence / gap)

    def priority(self, now: datetime) -> float:
        return self.value * (0.5 + self.churn_risk(now))


def _scores(activity: Activity, answered: set[int]) -> dict[int, FanScore]:
    """Per current follower with any interaction in 90 days, their engagement figures."""
    fans, now, since = activity.followers(), activity.now, activity.now - LOOKBACK
    scores: dict[int, FanScore] = {}
    rows = [("like", r) for r in activity.likes] + [("comment", r) for r in activity.comments]
    rows += [("share", r) for r in activity.shares]
    for kind, row in rows:
        fan = int(row.account_id)
        if fan not in fans or row.created_at < since:
            continue
        score = scores.setdefault(fan, FanScore(fan))
        setattr(score, kind + "s", getattr(score, kind + "s") + 1)
        age_days = (now - row.created_at).total_seconds() / _DAY
        score.value += _WEIGHTS[kind] * 0.5 ** (age_days / HALF_LIFE_DAYS)
        score.days.add(int(row.created_at.timestamp() // _DAY))
        if score.last is None or row.created_at > score.last:
            score.last, score.last_video = row.created_at, int(row.video_id)
        if kind == "comment" and _newer_open(row, score.open_comment, answered, now):
            score.open_comment = row
    return scores


def _newer_open(comment: Any, current: Any, answered: set[int], now: datetime) -> bool:
    """The comment is unanswered, recent enough to answer, and newer than `current`."""
    if comment.id in answered or now - comment.created_at > ANSWER_WINDOW:
        return False
    return current is None or comment.created_at > current.created_at


def rank_fans(
    activity: Activity, answered: set[int], limit: int = PLAN_FANS
) -> list[dict[str, Any]]:
    """The top fans to answer (an open comment) or thank, with the reason for each."""
    scores = _scores(activity, answered)
    ranked = sorted(scores.values(), key=lambda s: (-s.priority(activity.now), s.fan_id))
    started = activity.follow_started()
    return [
        _entry(rank, score, activity.now, started.get(score.fan_id))
        for rank, score in enumerate(ranked[:limit], start=1)
    ]


def _entry(rank: int, score: FanScore, now: datetime, since: datetime | None) -> dict[str, Any]:
    risk = score.churn_risk(now)
    assert score.last is not None
    silence = int((now - score.last).total_seconds() // _DAY)
    gap = score.gap_days()
    action = "answer" if score.open_comment is not None else "thank"
    return {
        "rank": rank,
        "fan_id": score.fan_id,
        "action": action,
        "comment_id": score.open_comment.id if score.open_comment is not None else None,
        "video_id": score.last_video,
        "value": round(score.value, 3),
        "churn_risk": round(risk, 3),
        "priority": round(score.priority(now), 3),
        "likes": score.likes,
        "comments": score.comments,
        "shares": score.shares,
        "last_interaction_at": score.last.isoformat(),
        "following_since": since.isoformat() if since else None,
        "reason": _reason(score, action, silence, gap, risk),
    }


def _reason(score: FanScore, action: str, silence: int, gap: float, risk: float) -> dict[str, str]:
    counts = ", ".join(
        _plural(n, word)
        for n, word in ((score.likes, "like"), (score.comments, "comment"), (score.shares, "share"))
    )
    en = (
        f"{counts} in 90 days; last seen {_plural(silence, 'day')} ago (usually every "
        f"{gap:.0f} days), churn risk {risk:.0%}"
    )
    zh = (f"90天内点赞{score.likes}次、评论{score.comments}次、分享{score.shares}次；"
          f"{silence}天前最后互动（通常每{gap:.0f}天一次），流失风险{risk:.0%}")  # fmt: skip
    if action == "answer":
        en += "; has a comment waiting for your answer"
        zh += "；有一条评论等你回复"
    elif risk >= 0.8:
        en += "; drifting away: a thank-you may bring them back"
        zh += "；正在流失，一句感谢也许能留住TA"
    return {"en": en, "zh": zh}


def best_hours(activity: Activity, k: int, top: int = 3) -> dict[str, Any]:
    """The hours (China time) when most current fans engage with the creator's videos; needs
    at least k distinct fans, like every persona figure."""
    fans, since = activity.followers(), activity.now - LOOKBACK
    counts: dict[int, int] = defaultdict(int)
    people: set[int] = set()
    for row in (*activity.likes, *activity.comments):
        if row.account_id in fans and row.created_at >= since:
            counts[china_hour(row.created_at)] += 1
            people.add(int(row.account_id))
    if len(people) < k:
        return {
            "available": False,
            "en": f"Fewer than {k} fans engaged in 90 days: not enough to pick hours.",
            "zh": f"90天内互动的粉丝少于{k}人，暂不足以推荐发布时间。",
        }
    total = sum(counts.values())
    hours = sorted(counts, key=lambda h: (-counts[h], h))[:top]
    listed = ", ".join(f"{h}:00" for h in hours)
    return {
        "available": True,
        "hours": [{"hour": h, "share": round(counts[h] / total, 4)} for h in hours],
        "en": f"Post shortly before {listed} China time, when your fans engage most.",
        "zh": f"建议在北京时间{listed}之前发布，这是粉丝最活跃的时段。",
    }


def categories(activity: Activity, interests: list[dict[str, Any]]) -> dict[str, Any]:
    """The creator's categories by likes per video against their own average, and the fan
    interests (over-indexing, from insights) the creator has not posted in yet."""
    per: dict[str, list[int]] = defaultdict(list)
    for video in activity.videos:
        per[video.category].append(int(video.likes))
    total_videos = sum(len(v) for v in per.values())
    mean = sum(sum(v) for v in per.values()) / total_videos if total_videos else 0.0
    rows: list[dict[str, Any]] = [
        {
            "category": category,
            "videos": len(likes),
            "likes_per_video": round(sum(likes) / len(likes), 2),
            "index": round(100 * (sum(likes) / len(likes)) / mean, 1) if mean else None,
        }
        for category, likes in per.items()
    ]
    rows.sort(key=lambda r: (-(r["index"] or 0), r["category"]))
    posted = set(per)
    untried = [
        {"category": r["tag"].split(".")[1], "en": r["en"], "zh": r["zh"], "tgi": r["tgi"]}
        for r in interests
        if r["tag"].count(".") == 1 and r["tag"].split(".")[1] not in posted
    ]
    return {"resonating": rows, "fan_interests_to_try": untried[:5]}


def expressions(fan_base: dict[str, Any], limit: int = 5) -> list[tuple[str, float]]:
    """Segment expressions worth a campaign: the single tags of the describing families that
    the fans have at least 1.2x as often as the platform, highest TGI first."""
    families = fan_base.get("families", {})
    picked: list[tuple[str, float]] = []
    for family in _CAMPAIGN_FAMILIES:
        rows = [r for r in families.get(family, []) if not r.get("suppressed") and r.get("tgi")]
        picked += [(r["tag"], r["tgi"]) for r in rows if r["tgi"] >= 120]
    picked.sort(key=lambda item: (-item[1], item[0]))
    return picked[:limit]


_CAMPAIGN_FAMILIES = ("interest", "life", "spend", "city_tier", "age", "gender")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
