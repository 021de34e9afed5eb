"""Where each interaction comes from: device key, user agent, IP prefix and source.

Each account has one phone and, for about three in ten, a second device: another phone or
tablet, or (for four in ten of those) a web browser, whose actions have source "web". A
device's key and user agent, and an account's home /24, are hashed from (seed, account), so
they are stable without being stored. One interaction in five comes from a roaming prefix
(mobile data elsewhere), fixed per account and day.

Handset shares are shaped after Counterpoint's and IDC's China smartphone shipment shares
for 2023-24 (Apple about a quarter; Huawei, Honor, Xiaomi, OPPO and vivo most of the rest).
First octets are from /8 blocks APNIC allocated largely to Chinese operators.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from plaudit.sim.hashing import U64, derive
from plaudit.sim.sampling import cdf_of, pick

__all__ = ["USER_AGENTS", "Origins", "origins"]

_APP = "Plaudit/3.4.2"
_PHONES: tuple[tuple[str, float], ...] = (
    (f"{_APP} (iOS 17.5.1; iPhone15,2; zh_CN)", 10),
    (f"{_APP} (iOS 17.4; iPhone14,5; zh_CN)", 8),
    (f"{_APP} (iOS 16.7.8; iPhone12,1; zh_CN)", 5),
    (f"{_APP} (iPadOS 17.5; iPad13,18; zh_CN)", 2),
    (f"{_APP} (HarmonyOS 4.2; HUAWEI ALN-AL00; zh_CN)", 9),
    (f"{_APP} (HarmonyOS 4.0; HUAWEI NOH-AN00; zh_CN)", 6),
    (f"{_APP} (Android 14; HONOR PGT-AN10; zh_CN)", 10),
    (f"{_APP} (Android 14; Xiaomi 23127PN0CC; zh_CN)", 8),
    (f"{_APP} (Android 14; Redmi 23117RK66C; zh_CN)", 7),
    (f"{_APP} (Android 14; OPPO PHZ110; zh_CN)", 7),
    (f"{_APP} (Android 13; OPPO PGX110; zh_CN)", 6),
    (f"{_APP} (Android 14; vivo V2309A; zh_CN)", 7),
    (f"{_APP} (Android 13; vivo V2219A; zh_CN)", 6),
    (f"{_APP} (Android 13; samsung SM-S9180; zh_CN)", 1),
)
_BROWSERS: tuple[tuple[str, float], ...] = (
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36",
        5,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
        2,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.4 Safari/605.1.15",
        2,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Mobile/15E148 MicroMessenger/8.0.49",
        1,
    ),
)
USER_AGENTS: tuple[str, ...] = tuple(ua for ua, _ in _PHONES + _BROWSERS)
"""Every user agent the generator writes: app agents first, then web browsers."""

_PHONE_CDF = cdf_of([w for _, w in _PHONES])
_BROWSER_CDF = cdf_of([w for _, w in _BROWSERS])
_FIRST_OCTETS = np.array(
    [36, 39, 42, 58, 59, 60, 61, 101, 106, 110, 111, 112, 113, 114, 115, 116, 117, 118,
     119, 120, 121, 122, 123, 124, 125, 171, 175, 180, 182, 183, 218, 219, 220, 221, 222, 223]
)  # fmt: skip
_STREAM_PROFILE, _STREAM_MODELS, _STREAM_KEY, _STREAM_HOME, _STREAM_ROAM = 1, 2, 3, 4, 5
_SECOND_DEVICE = 0.29
_SECOND_IS_WEB = 0.4
_SECOND_USE = 0.35  # share of an account's actions from its second device
_ROAMING = 0.2
_KEY_BITS = np.uint64(16)  # keep 48 bits: 12 hex digits


class Origins(NamedTuple):
    """Per interaction: `device` a 48-bit key, `agent` an index into USER_AGENTS, `prefix`
    the first three octets of the /24 as one 24-bit number, `web` whether source is web."""

    device: U64
    agent: NDArray[np.intp]
    prefix: NDArray[np.int64]
    web: NDArray[np.bool_]


def _unit(bits: U64, shift: int) -> NDArray[np.float64]:
    """A uniform in [0, 1) from 20 bits of each hash, starting at bit `shift`."""
    field = (bits >> np.uint64(shift)) & np.uint64(0xFFFFF)
    return field.astype(np.float64) / float(1 << 20)


def _prefix(bits: U64) -> NDArray[np.int64]:
    """A /24 as one 24-bit number: a first octet from the list, then 16 bits of the hash."""
    first = _FIRST_OCTETS[((bits >> np.uint64(32)) % np.uint64(len(_FIRST_OCTETS))).astype(np.intp)]
    rest = (bits & np.uint64(0xFFFF)).astype(np.int64)
    return (first.astype(np.int64) << 16) | rest


def origins(
    seed: int,
    account: NDArray[np.int64],
    day: NDArray[np.int64],
    u_device: NDArray[np.float64],
    u_roam: NDArray[np.float64],
) -> Origins:
    """The device, user agent and IP prefix of each interaction by `account` on `day` (days
    since the window began); `u_device` and `u_roam` are uniforms, one per interaction."""
    profile = derive(seed, _STREAM_PROFILE, account)
    models = derive(seed, _STREAM_MODELS, account)
    second = (_unit(profile, 0) < _SECOND_DEVICE) & (u_device < _SECOND_USE)
    web = second & (_unit(profile, 20) < _SECOND_IS_WEB)
    phone = pick(_PHONE_CDF, np.where(second, _unit(models, 20), _unit(models, 0)))
    browser = len(_PHONES) + pick(_BROWSER_CDF, _unit(models, 40))
    slot = second.astype(np.int64)
    device = derive(seed, _STREAM_KEY, account * 2 + slot) >> _KEY_BITS
    home = _prefix(derive(seed, _STREAM_HOME, account))
    roam = _prefix(derive(seed, _STREAM_ROAM, account * 4096 + day % 4096))
    return Origins(
        device=device,
        agent=np.where(web, browser, phone),
        prefix=np.where(u_roam < _ROAMING, roam, home),
        web=web,
    )
