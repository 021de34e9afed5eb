"""One day of organic engagement: who likes what, and what follows from a like.

A like is drawn in three steps: an account by activity; a category from that account's
interests (or, a quarter of the time, the whole feed, as recommendation feeds mix in
trending videos); then a video from that day's `Feed`, by appeal and recency.

From each new like, independently: an unlike later (3%), a comment (5%), a share (2%), and a
follow of the creator (8% of likes, when the account does not already follow them); 3% of
follows are later undone. Each (account, video) is liked at most once over the whole stream
and each (account, creator) followed at most once, so an undone like or follow is never
redone; the `PairSet`s remember the pairs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from plaudit.interactions.model import SHARE_CHANNELS
from plaudit.sim.audience import Audience
from plaudit.sim.events import COMMENT, FOLLOW, LIKE, SHARE, UNFOLLOW, UNLIKE, Events
from plaudit.sim.feed import Feed
from plaudit.sim.pairs import PairSet, pair_keys
from plaudit.sim.rhythm import DAY, Clock
from plaudit.sim.sampling import cdf_of, pick, sorted_uniforms
from plaudit.sim.texts import COMMENT_BODIES
from plaudit.sim.videos import Catalogue

__all__ = ["DERIVED_PER_LIKE", "Engagement"]

_EXPLORE = 0.25
_UNLIKE, _COMMENT, _SHARE, _FOLLOW, _UNFOLLOW = 0.03, 0.05, 0.02, 0.08, 0.03
DERIVED_PER_LIKE = _UNLIKE + _COMMENT + _SHARE + _FOLLOW * 0.6 * (1 + _UNFOLLOW)
"""Expected other interactions per like (follows discounted for people already following),
the planner's first guess before it measures."""

# WeChat dominates sharing in China (it is where friends and family are); the rest after it.
_CHANNEL_WEIGHTS = {"wechat": 55, "weibo": 8, "qq": 12, "douyin": 10, "link": 12, "other": 3}
_CHANNEL_CDF = cdf_of([_CHANNEL_WEIGHTS[channel] for channel in SHARE_CHANNELS])


def _delays(rng: np.random.Generator, n: int, scale_s: float, base_s: int) -> NDArray[np.int64]:
    """Seconds until a follow-on action: `base_s` plus an exponential wait."""
    return base_s + rng.exponential(scale_s, n).astype(np.int64)


def _regret_delays(rng: np.random.Generator, n: int, median_s: float) -> NDArray[np.int64]:
    """Seconds until an undo: a quarter at once (a slip of the thumb), the rest lognormal."""
    slip = rng.integers(1, 120, n)
    later = rng.lognormal(np.log(median_s), 1.2, n).astype(np.int64) + 1
    return np.where(rng.random(n) < 0.25, slip, later)


def _unlikes(rng: np.random.Generator, liked: Events) -> Events:
    later = _regret_delays(rng, len(liked), 6 * 3600)
    return Events.of(UNLIKE, liked.t + later, liked.account, liked.target)


def _comments(rng: np.random.Generator, liked: Events) -> Events:
    body = rng.integers(0, len(COMMENT_BODIES), len(liked)).astype(np.int32)
    t = liked.t + _delays(rng, len(liked), 45.0, 5)
    return Events.of(COMMENT, t, liked.account, liked.target, body)


def _shares(rng: np.random.Generator, liked: Events) -> Events:
    channel = pick(_CHANNEL_CDF, rng.random(len(liked))).astype(np.int32)
    t = liked.t + _delays(rng, len(liked), 30.0, 3)
    return Events.of(SHARE, t, liked.account, liked.target, channel)


class Engagement:
    """Draws each day's interactions; remembers liked and followed pairs across days."""

    def __init__(
        self,
        rng: np.random.Generator,
        audience: Audience,
        catalogue: Catalogue,
        clock: Clock,
        expected_likes: int,
    ) -> None:
        self._rng = rng
        self._audience = audience
        self._catalogue = catalogue
        self._clock = clock
        self._likes = PairSet(audience.n, expected_likes)
        self._follows = PairSet(audience.n, expected_likes // 10)
        self._feed: tuple[int, Feed] | None = None

    def day(self, day: int, candidates: int) -> Events:
        """The interactions arising from `candidates` like attempts on `day` (some are
        dropped as repeats), including follow-ons that happen on later days, all before the
        window's end."""
        likes = self._likes_of_day(day, candidates)
        events = Events.concat([likes, *self._follow_ons(likes)])
        return events.take(events.t < self._clock.end_ts)

    def _feed_of(self, day: int) -> Feed:
        if self._feed is None or self._feed[0] != day:
            self._feed = (day, Feed(self._catalogue, self._clock, day))
        return self._feed[1]

    def _likes_of_day(self, day: int, n: int) -> Events:
        rng, cat = self._rng, self._catalogue
        # Accounts come out in id order, which keeps the lookups below cache-friendly; the
        # other draws are independent of them, so the order carries no meaning.
        account = pick(self._audience.activity_cdf(), sorted_uniforms(rng, n)).astype(np.int64) + 1
        t = self._clock.sample(rng, n, day, 1)
        category = self._audience.interest_of(account, rng.random(n))
        anywhere = rng.random(n) < _EXPLORE
        video = self._feed_of(day).pick(t, category, anywhere, rng.random(n))
        ok = (video >= 0) & (cat.creator[video] != account)  # nobody likes their own
        account, t, video = account[ok], t[ok], video[ok]
        fresh = self._likes.add_new(pair_keys(account, video.astype(np.int64) + 1))
        return Events.of(LIKE, t[fresh], account[fresh], video[fresh] + 1)

    def _follow_ons(self, likes: Events) -> list[Events]:
        rng = self._rng
        return [
            _unlikes(rng, likes.take(rng.random(len(likes)) < _UNLIKE)),
            _comments(rng, likes.take(rng.random(len(likes)) < _COMMENT)),
            _shares(rng, likes.take(rng.random(len(likes)) < _SHARE)),
            *self._follows_from(likes),
        ]

    def _follows_from(self, likes: Events) -> list[Events]:
        rng = self._rng
        keen = likes.take(rng.random(len(likes)) < _FOLLOW)
        creator = self._catalogue.creator[keen.target - 1]
        fresh = self._follows.add_new(pair_keys(keen.account, creator))
        t = keen.t[fresh] + _delays(rng, int(fresh.sum()), 15.0, 2)
        follows = Events.of(FOLLOW, t, keen.account[fresh], creator[fresh])
        undone = follows.take(rng.random(len(follows)) < _UNFOLLOW)
        later = _regret_delays(rng, len(undone), 5 * DAY)
        return [follows, Events.of(UNFOLLOW, undone.t + later, undone.account, undone.target)]
