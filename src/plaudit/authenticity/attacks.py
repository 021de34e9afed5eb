"""Inject fake engagement, with ground truth, into an organic table of likes.

Every attack appends rows; `Truth` says which accounts are fake (or, for exchange rings,
which real creators took part) and which appended rows are the payload (the likes bought or
exchanged). Camouflage rows, the likes fake accounts spend on unrelated videos to look
organic, are recorded apart: they are neither counted for nor against the likes metrics.

Kinds:

- `farm`: new accounts like a set of target videos in lockstep, each (account, target) pair
  with probability `density`, all inside one window of `window` seconds;
- `slow_drip`: the same spread over `days` days (no lockstep); the farm's accounts are made
  within `window` seconds of its start (farms are bought and start together), and each
  likes (payload and camouflage) from its creation until the farm's end;
- `ring`: `accounts` existing creators like each other's videos with probability `density`,
  spread over `days` days (needs the video -> creator map);
- `device_farm`: new accounts, about `per_device` of them on each device and all behind a
  few IP prefixes, like the targets over `days` days;
- `hijack`: `accounts` existing organic accounts, taken over, like the targets in lockstep
  from the attacker's devices (their own organic history is the camouflage).

Camouflage (`none`, `random`, `popular`): each fake account also likes as many other videos
as it has payload likes, drawn uniformly or in proportion to their popularity (FRAUDAR's
"random" and "biased" camouflage), at organic-looking times across the whole history.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from plaudit.authenticity.table import Interactions, from_arrays
from plaudit.errors import InvalidInput

__all__ = ["CAMOUFLAGES", "KINDS", "LIMITS", "Attack", "Likes", "Truth", "inject", "inject_all"]

KINDS = ("farm", "slow_drip", "ring", "device_farm", "hijack")
OWN_ACCOUNTS = ("ring", "hijack")
"""Kinds that use existing accounts: they have no camouflage of their own."""
CAMOUFLAGES = ("none", "random", "popular")
DAY = 86_400
LIMITS: dict[str, tuple[int, int]] = {
    "accounts": (2, 1_000_000),
    "videos": (1, 1_000_000),
    "window": (60, 30 * DAY),
    "days": (1, 365),
    "per_device": (1, 10_000),
}
"""Inclusive bounds of the integer parameters of an attack."""

I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Likes:
    """Raw likes with integer ids; `device` and `ip` codes are -1 when absent.

    `creator_of_video[v]` is the creator's account id of video id `v`, or -1.
    """

    account: I64
    video: I64
    ts: I64
    device: I64
    ip: I64
    creator_of_video: I64 | None = None
    next_account: int = 0
    """The smallest id free for new accounts (ids past the largest that liked are also free);
    a store that has accounts without likes sets it past its largest account id."""

    def __len__(self) -> int:
        return len(self.account)

    def table(self, with_creators: bool = True) -> Interactions:
        return from_arrays(
            self.account,
            self.video,
            self.ts,
            device=self.device,
            ip=self.ip,
            creator_of_video=self.creator_of_video if with_creators else None,
        )

    def append(self, other: Likes) -> Likes:
        return replace(
            self,
            account=np.concatenate([self.account, other.account]),
            video=np.concatenate([self.video, other.video]),
            ts=np.concatenate([self.ts, other.ts]),
            device=np.concatenate([self.device, other.device]),
            ip=np.concatenate([self.ip, other.ip]),
        )


@dataclass(frozen=True)
class Attack:
    kind: str = "farm"
    accounts: int = 200
    videos: int = 200
    density: float = 0.1
    camouflage: str = "none"
    window: int = 1800
    days: int = 14
    per_device: int = 20

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidInput(
                f"attack kind {self.kind!r} is not one of {', '.join(KINDS)}", field="kind"
            )
        if self.camouflage not in CAMOUFLAGES:
            raise InvalidInput(
                f"camouflage {self.camouflage!r} is not one of {', '.join(CAMOUFLAGES)}",
                field="camouflage",
            )
        if self.kind in OWN_ACCOUNTS and self.camouflage != "none":
            raise InvalidInput(
                f"a {self.kind} attack uses existing accounts, whose own likes are its "
                "camouflage: leave camouflage out",
                field="camouflage",
            )
        if not 0 < self.density <= 1:
            raise InvalidInput(
                f"density {self.density:g} is not in (0, 1]: it is the probability that "
                "one attacking account likes one target",
                field="density",
            )
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if name == "videos" and self.kind == "ring":
                continue
            if not low <= value <= high:
                raise InvalidInput(
                    f"{name} {value} is out of range: use {low:,} to {high:,}", field=name
                )

    @property
    def label(self) -> str:
        if self.kind == "ring":
            return f"ring {self.accounts} creators d={self.density:g}"
        if self.kind == "hijack":
            return f"hijack {self.accounts}x{self.videos} d={self.density:g}"
        return (
            f"{self.kind} {self.accounts}x{self.videos} d={self.density:g} camo={self.camouflage}"
        )

    @property
    def parameters(self) -> dict[str, Any]:
        """What the ground truth file records of the attack."""
        return asdict(self)


@dataclass(frozen=True)
class Truth:
    """Ground truth of one injection, in the ids of the returned `Likes`."""

    accounts: I64
    """Account ids that are fake (or ring members)."""
    payload: I64
    """Row indexes of the injected payload likes."""
    camouflage: I64
    """Row indexes of camouflage likes (ignored by the likes metrics)."""


def inject(organic: Likes, attack: Attack, seed: int) -> tuple[Likes, Truth]:
    """Append `attack` to `organic`; the same seed gives the same injection."""
    rng = np.random.default_rng(seed)
    if attack.kind == "ring":
        return _ring(organic, attack, rng)
    if attack.kind == "hijack":
        fake = _hijacked(organic, attack, rng)
    else:
        first = max(int(organic.account.max()) + 1, organic.next_account)
        fake = np.arange(first, first + attack.accounts, dtype=np.int64)
    videos = np.unique(organic.video)
    targets = rng.choice(videos, size=min(attack.videos, len(videos)), replace=False)
    pairs = rng.random((len(fake), len(targets))) < attack.density
    who, what = np.nonzero(pairs)
    accounts, targeted = fake[who], targets[what]
    if attack.kind == "hijack":
        # A hijacked account that already liked a target cannot like it again.
        keys = organic.account * (int(organic.video.max()) + 1) + organic.video
        new = ~np.isin(accounts * (int(organic.video.max()) + 1) + targeted, keys)
        who, accounts, targeted = who[new], accounts[new], targeted[new]
    lo, hi = int(organic.ts.min()), int(organic.ts.max())
    if attack.kind in ("farm", "hijack"):
        start = rng.integers(lo + DAY, max(hi - attack.window, lo + DAY + 1))
        ts = start + rng.integers(0, attack.window, len(accounts))
    else:
        span = attack.days * DAY
        start = rng.integers(lo, max(hi - span, lo + 1))
        ts = start + rng.integers(0, span, len(accounts))
    born = None
    if attack.kind == "slow_drip":
        # Farms are bought and start together: each account is made within `window` of the
        # farm's start, then drips its likes (and camouflage) until the farm's end.
        born = (start + rng.integers(0, attack.window, len(fake)))[who]
        ts = born + (rng.random(len(accounts)) * (start + span - born)).astype(np.int64)
    device, ip = _fake_devices(organic, attack, fake, rng)
    payload = Likes(accounts, targeted, ts.astype(np.int64), device[who], ip[who])
    camo = _camouflage(organic, attack, accounts, device[who], ip[who], rng, born)
    out = organic.append(payload).append(camo)
    n, p = len(organic), len(payload)
    truth = Truth(
        accounts=fake,
        payload=np.arange(n, n + p, dtype=np.int64),
        camouflage=np.arange(n + p, n + p + len(camo), dtype=np.int64),
    )
    return out, truth


def inject_all(organic: Likes, attacks: list[Attack], seed: int) -> tuple[Likes, list[Truth]]:
    """Append several attacks in turn (attack i with seed + i); one `Truth` each.

    Rows are only ever appended, so the row indexes of an earlier truth stay valid.
    """
    likes, truths = organic, []
    for i, attack in enumerate(attacks):
        likes, truth = inject(likes, attack, seed + i)
        truths.append(truth)
    return likes, truths


def _hijacked(organic: Likes, attack: Attack, rng: np.random.Generator) -> I64:
    """Existing accounts that are not creators, chosen uniformly: the ones taken over."""
    accounts = np.unique(organic.account)
    if organic.creator_of_video is not None:
        accounts = np.setdiff1d(accounts, organic.creator_of_video[organic.creator_of_video >= 0])
    if attack.accounts > len(accounts):
        raise InvalidInput(
            f"hijack of {attack.accounts:,} accounts: the graph has only {len(accounts):,} "
            "accounts that could be taken over",
            field="accounts",
        )
    return np.sort(rng.choice(accounts, size=attack.accounts, replace=False)).astype(np.int64)


def _fake_devices(
    organic: Likes, attack: Attack, fake: I64, rng: np.random.Generator
) -> tuple[I64, I64]:
    """Each fake account its own device and a random organic-looking IP, except device farms."""
    next_device = int(organic.device.max()) + 1
    next_ip = int(organic.ip.max()) + 1
    if attack.kind in ("device_farm", "hijack"):
        devices = max(1, len(fake) // attack.per_device)
        device = next_device + rng.integers(0, devices, len(fake))
        ip = next_ip + rng.integers(0, max(1, devices // 5), len(fake))
        return device.astype(np.int64), ip.astype(np.int64)
    device = np.arange(next_device, next_device + len(fake), dtype=np.int64)
    known = organic.ip[organic.ip >= 0]
    ip = rng.choice(known, len(fake)) if len(known) else np.full(len(fake), -1)
    return device, ip.astype(np.int64)


def _camouflage(
    organic: Likes,
    attack: Attack,
    accounts: I64,
    device: I64,
    ip: I64,
    rng: np.random.Generator,
    born: I64 | None = None,
) -> Likes:
    """One camouflage like per payload like, at organic times (the same daily rhythm);
    with `born` (per payload like, its account's creation) only at organic times after it."""
    if attack.camouflage == "none":
        empty = np.empty(0, dtype=np.int64)
        return Likes(empty, empty, empty, empty, empty)
    videos, counts = np.unique(organic.video, return_counts=True)
    p = counts / counts.sum() if attack.camouflage == "popular" else None
    chosen = rng.choice(videos, size=len(accounts), p=p)
    if born is None:
        ts = rng.choice(organic.ts, size=len(accounts))
    else:
        times = np.sort(organic.ts)
        first = np.minimum(np.searchsorted(times, born), len(times) - 1)
        ts = np.maximum(
            times[first + (rng.random(len(born)) * (len(times) - first)).astype(np.int64)], born
        )
    return Likes(accounts, chosen.astype(np.int64), ts.astype(np.int64), device, ip)


def _ring(organic: Likes, attack: Attack, rng: np.random.Generator) -> tuple[Likes, Truth]:
    creators_of = organic.creator_of_video
    if creators_of is None:
        raise InvalidInput(
            "a ring attack needs to know which creator made each video, and this source has "
            "no creator map (a file without creator_id, or KuaiRec): leave the ring out",
            field="kind",
        )
    videos = np.flatnonzero(creators_of >= 0)
    creators = np.unique(creators_of[videos])
    members = rng.choice(creators, size=min(attack.accounts, len(creators)), replace=False)
    member_videos = videos[np.isin(creators_of[videos], members)]
    liker = np.repeat(members, len(member_videos))
    video = np.tile(member_videos, len(members))
    own = creators_of[video] == liker
    pick = ~own & (rng.random(len(video)) < attack.density)
    liker, video = liker[pick], video[pick]
    already = np.isin(
        liker * (int(video.max()) + 1) + video,
        organic.account * (int(video.max()) + 1) + organic.video,
    )
    liker, video = liker[~already], video[~already]
    span = attack.days * DAY
    lo, hi = int(organic.ts.min()), int(organic.ts.max())
    ts = rng.integers(max(lo, hi - span), hi, len(liker))
    device, ip = _member_devices(organic, liker)
    ring = Likes(liker.astype(np.int64), video.astype(np.int64), ts.astype(np.int64), device, ip)
    n = len(organic)
    truth = Truth(
        accounts=np.sort(members).astype(np.int64),
        payload=np.arange(n, n + len(ring), dtype=np.int64),
        camouflage=np.empty(0, dtype=np.int64),
    )
    return organic.append(ring), truth


def _member_devices(organic: Likes, liker: I64) -> tuple[I64, I64]:
    """A ring member likes from the device and IP it uses organically."""
    order = np.argsort(organic.account, kind="stable")
    pos = np.searchsorted(organic.account[order], liker)
    pos = np.clip(pos, 0, len(order) - 1)
    row = order[pos]
    found = organic.account[row] == liker
    device = np.where(found, organic.device[row], -1)
    ip = np.where(found, organic.ip[row], -1)
    return device.astype(np.int64), ip.astype(np.int64)
