"""The audit: every video's public counts, recomputed from the log alone and compared.

The log is read and verified entry by entry (:func:`~plaudit.ledger.verify.verify_log`),
then tallied per video from what entries show in clear (entries.py):

* active likes: likes minus unlikes, paired by their account commitment, which is the same
  for the same account on the same video (so a second like while one is active, or an
  unlike without an active like, is visible and reported as an anomaly);
* incentivised likes: active likes whose source is `campaign:<id>`;
* revoked likes: active likes with a REVOKE entry (paired by the same commitment) and no
  REINSTATE after it; an unlike ends a revocation with its like;
* authentic likes: active likes not revoked (likes held by a real-time rule are not
  distinguished in the log: the platform's `authentic + pending` equals this);
* comments and shares: one entry each.

The tallies are compared with the counts the platform publishes (`GET /v1/videos/{id}`, or
the local store) and every difference is listed.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from plaudit.catalog import Video, VideoService
from plaudit.errors import VideoNotFound
from plaudit.ledger.entries import (
    QUARANTINE_SOURCE_PREFIX,
    EntryFormatError,
    Kind,
    decode_entry,
)
from plaudit.ledger.sources import HttpLog, LogSource, LogUnavailable, NotServed
from plaudit.ledger.verify import LogSummary, ProgressHook, verify_log

if TYPE_CHECKING:
    from plaudit.ledgerstore.service import LedgerService

__all__ = [
    "AuditReport",
    "HttpCounts",
    "Mismatch",
    "PublishedCounts",
    "StoreCounts",
    "Tally",
    "VideoCounts",
    "audit",
    "audit_store",
]

CAMPAIGN_PREFIX = "campaign:"
FIELDS = ("likes", "revoked", "incentivised", "comments", "shares")
"""Compared with the published counts. The published `authentic` is `likes - revoked -
pending` by construction and pending likes are not distinguished in the log, so checking
`likes` and `revoked` checks it; the log's own authentic count is in the report line."""


@dataclass
class VideoCounts:
    """A video's counts as the log shows them."""

    likes: int = 0
    incentivised: int = 0
    comments: int = 0
    shares: int = 0
    revoked: int = 0

    @property
    def authentic(self) -> int:
        return self.likes - self.revoked

    def get(self, name: str) -> int:
        value: int = getattr(self, name)
        return value


def _short(commitment: bytes) -> str:
    return base64.b64encode(commitment).decode()[:12]


@dataclass
class Tally:
    """Running per-video counts over the entries seen so far, in log order."""

    active: dict[tuple[int, bytes], tuple[int, str]] = field(default_factory=dict)
    revoked: dict[tuple[int, bytes], int] = field(default_factory=dict)
    following: dict[tuple[int, bytes], int] = field(default_factory=dict)
    comments: dict[int, int] = field(default_factory=dict)
    shares: dict[int, int] = field(default_factory=dict)
    anomalies: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)

    def add(self, first: int, entries: list[bytes]) -> None:
        for offset, data in enumerate(entries):
            try:
                entry = decode_entry(data)
            except EntryFormatError:
                continue  # verify_log reports malformed entries
            self._count(first + offset, entry.kind, entry.target_id, entry.account, entry.source)

    def _count(self, index: int, kind: Kind, target: int, account: bytes, source: str) -> None:
        key = (target, account)
        if kind == Kind.QUARANTINED:  # holds the index of an event that could not be encoded
            what = source.removeprefix(QUARANTINE_SOURCE_PREFIX)
            self.quarantined.append(
                f"entry {index}: a quarantined {what} (not counted; the operator lists it "
                "with `plaudit ledger quarantine`)"
            )
        elif kind == Kind.LIKE:
            if key in self.active:
                self.anomalies.append(
                    f"entry {index}: a second like of video {target} by the account with "
                    f"commitment {_short(account)}… while its like (entry "
                    f"{self.active[key][0]}) is active"
                )
            self.active[key] = (index, source)
        elif kind == Kind.UNLIKE:
            self.revoked.pop(key, None)
            if self.active.pop(key, None) is None:
                self.anomalies.append(
                    f"entry {index}: an unlike of video {target} by the account with "
                    f"commitment {_short(account)}… which has no active like"
                )
        elif kind in (Kind.REVOKE, Kind.REINSTATE):
            self._verdict(index, kind, key, source)
        elif kind == Kind.COMMENT:
            self.comments[target] = self.comments.get(target, 0) + 1
        elif kind == Kind.SHARE:
            self.shares[target] = self.shares.get(target, 0) + 1
        elif kind == Kind.FOLLOW:
            self.following[key] = index
        elif kind == Kind.UNFOLLOW and self.following.pop(key, None) is None:
            self.anomalies.append(
                f"entry {index}: an unfollow of creator {target} by an account that does "
                "not follow it"
            )

    def _verdict(self, index: int, kind: Kind, key: tuple[int, bytes], source: str) -> None:
        """A REVOKE needs an active, unrevoked like; a REINSTATE a revoked one."""
        who = f"video {key[0]} by the account with commitment {_short(key[1])}…"
        if kind == Kind.REVOKE:
            if key not in self.active:
                self.anomalies.append(
                    f"entry {index}: a revocation ({source}) of a like of {who} that is not active"
                )
            elif key in self.revoked:
                self.anomalies.append(
                    f"entry {index}: a second revocation ({source}) of the like of {who} "
                    f"(revoked at entry {self.revoked[key]})"
                )
            else:
                self.revoked[key] = index
        elif self.revoked.pop(key, None) is None:
            self.anomalies.append(
                f"entry {index}: a reinstatement ({source}) of a like of {who} that is not revoked"
            )

    def videos(self) -> dict[int, VideoCounts]:
        counts: dict[int, VideoCounts] = {}
        for key, (_, source) in self.active.items():
            tally = counts.setdefault(key[0], VideoCounts())
            tally.likes += 1
            tally.incentivised += source.startswith(CAMPAIGN_PREFIX)
            tally.revoked += key in self.revoked
        for video, number in self.comments.items():
            counts.setdefault(video, VideoCounts()).comments = number
        for video, number in self.shares.items():
            counts.setdefault(video, VideoCounts()).shares = number
        return counts


Published = dict[str, int]
"""The counts of FIELDS as the platform publishes them."""


class PublishedCounts(Protocol):
    """Where the published counts come from."""

    def all(self) -> Iterator[tuple[int, Published]]:
        """Every video with its published counts."""
        ...

    def one(self, video_id: int) -> Published | None:
        """One video's counts, read again (None when the video does not exist)."""
        ...

    def where(self, video_id: int) -> str:
        """How to name the source in a report line."""
        ...


class HttpCounts:
    """Counts from the API: `GET /v1/videos` pages, each difference re-read by id."""

    def __init__(self, log: HttpLog, page: int = 200) -> None:
        self._log = log
        self._page = page

    def all(self) -> Iterator[tuple[int, Published]]:
        cursor: str | None = None
        while True:
            params: dict[str, object] = {"limit": self._page}
            if cursor:
                params["cursor"] = cursor
            body = self._log.get("/v1/videos", **params).json()
            for video in body["items"]:
                yield int(video["id"]), _published(video)
            cursor = body.get("next_cursor")
            if not cursor:
                return

    def one(self, video_id: int) -> Published | None:
        try:
            return _published(self._log.get(f"/v1/videos/{video_id}").json())
        except NotServed:
            return None

    def where(self, video_id: int) -> str:
        return f"GET /v1/videos/{video_id}"


_SERVED = ("likes", "revoked", "authentic", "pending", "incentivised", "comments", "shares")


def _published(video: Any) -> Published:
    try:
        served = {name: int(video[name]) for name in _SERVED}
    except (KeyError, TypeError, ValueError):
        raise LogUnavailable(
            f"the API answered a video without integer {', '.join(_SERVED)}: {video!r:.200}"
        ) from None
    return _comparable(served)


def _comparable(served: dict[str, int]) -> Published:
    return {name: served[name] for name in FIELDS}


def _video_counts(video: Video) -> Published:
    return _comparable(
        {
            "likes": video.likes,
            "revoked": video.revoked,
            "authentic": video.authentic,
            "pending": video.pending,
            "incentivised": video.incentivised,
            "comments": video.comments,
            "shares": video.shares,
        }
    )


class StoreCounts:
    """Counts from the local store's video counters, as the API would serve them."""

    def __init__(self, videos: VideoService, page: int = 1000) -> None:
        self._videos = videos
        self._page = page

    def all(self) -> Iterator[tuple[int, Published]]:
        after: int | None = None
        while batch := self._videos.page(after, self._page):
            for video in batch:
                yield video.id, _video_counts(video)
            after = batch[-1].id

    def one(self, video_id: int) -> Published | None:
        try:
            video = self._videos.get(video_id)
        except VideoNotFound:
            return None
        return _video_counts(video)

    def where(self, video_id: int) -> str:
        return f"the store's counters of video {video_id}"


@dataclass(frozen=True)
class Mismatch:
    """One count that differs: what the log gives and what the platform publishes."""

    video_id: int
    field: str
    log: int
    published: int | None
    where: str

    def line(self) -> str:
        if self.published is None:
            return (
                f"video {self.video_id}: the log has {self.log} {self.field} for it, but "
                f"{self.where} does not exist"
            )
        return (
            f"video {self.video_id}: {self.field}: the log gives {self.log}, {self.where} "
            f"reports {self.published}"
        )


@dataclass
class AuditReport:
    log: LogSummary
    videos: dict[int, VideoCounts]
    mismatches: list[Mismatch]
    anomalies: list[str]
    quarantined: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.anomalies

    def totals(self) -> VideoCounts:
        """The counts of every video together, as the report's first line states them."""
        totals = VideoCounts()
        for counts in self.videos.values():
            for name in ("likes", "incentivised", "comments", "shares", "revoked"):
                setattr(totals, name, totals.get(name) + counts.get(name))
        return totals

    def lines(self) -> list[str]:
        totals = self.totals()
        status = "OK" if self.ok else "FAIL"
        head = (
            f"{status}: {self.log.size} entries of {self.log.origin!r}: {len(self.videos)} "
            f"videos with interactions, {totals.likes} active likes "
            f"({totals.incentivised} incentivised), {totals.comments} comments, "
            f"{totals.shares} shares, {totals.revoked} revoked likes "
            f"({totals.authentic} authentic); "
            f"{len(self.mismatches)} mismatches, {len(self.anomalies)} anomalies"
        )
        if self.quarantined:
            head += f", {len(self.quarantined)} quarantined entries"
        lines = [head, *(m.line() for m in self.mismatches), *self.anomalies]
        return lines + self.quarantined


def _differences(
    video_id: int, ours: VideoCounts, published: Published | None, where: str
) -> list[Mismatch]:
    if published is None:
        total = ours.likes + ours.comments + ours.shares
        return [Mismatch(video_id, "interactions", total, None, where)] if total else []
    return [
        Mismatch(video_id, name, ours.get(name), published[name], where)
        for name in FIELDS
        if ours.get(name) != published[name]
    ]


def audit(
    log: LogSource,
    counts: PublishedCounts,
    vkey: str,
    *,
    on_progress: ProgressHook | None = None,
) -> AuditReport:
    """Verify the log, tally it, and compare with every video's published counts.

    A count that differs in the listing is read again by id before it is reported, so a
    count that moved while the audit ran is compared with its latest value.
    """
    tally = Tally()
    summary = verify_log(log, vkey, on_entries=tally.add, on_progress=on_progress)
    videos = tally.videos()
    published = dict(counts.all())
    mismatches: list[Mismatch] = []
    for video_id in sorted(videos.keys() | published.keys()):
        ours = videos.get(video_id, VideoCounts())
        where = counts.where(video_id)
        if _differences(video_id, ours, published.get(video_id), where):
            mismatches += _differences(video_id, ours, counts.one(video_id), where)
    return AuditReport(summary, videos, mismatches, tally.anomalies, tally.quarantined)


def audit_store(
    ledger: LedgerService, videos: VideoService, *, on_progress: ProgressHook | None = None
) -> AuditReport:
    """The audit of this platform's own log against its own counters, as
    `plaudit ledger audit` without --url runs it (the console's operator page runs it too)."""
    from plaudit.ledger.sources import StoreLog

    return audit(StoreLog(ledger), StoreCounts(videos), ledger.vkey, on_progress=on_progress)
