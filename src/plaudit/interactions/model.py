"""Interaction values and the rules for their inputs: sources, devices, IP prefixes, bodies."""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime

from plaudit.errors import InvalidInput
from plaudit.store.types import MAX_ID

__all__ = [
    "BASE_SOURCES",
    "SHARE_CHANNELS",
    "Comment",
    "Device",
    "Follow",
    "Like",
    "Share",
    "ip_prefix",
    "is_public_prefix",
    "network_code",
    "validate_body",
    "validate_channel",
    "validate_source",
]

BASE_SOURCES = ("app", "web", "api", "assistant")
SHARE_CHANNELS = ("wechat", "weibo", "qq", "douyin", "link", "other")
_CAMPAIGN = re.compile(r"^campaign:[1-9][0-9]{0,18}$")
MAX_COMMENT_CHARS = 2000


def validate_source(source: str) -> str:
    """`app`, `web`, `api`, `assistant` or `campaign:<id>`: the disclosed origin of an action."""
    if source in BASE_SOURCES or (
        _CAMPAIGN.fullmatch(source) and int(source.removeprefix("campaign:")) <= MAX_ID
    ):
        return source
    raise InvalidInput(
        f"source {source!r} is not valid: use one of {', '.join(BASE_SOURCES)} or "
        f"campaign:<campaign id from 1 to {MAX_ID}>",
        field="source",
    )


@functools.lru_cache(maxsize=65536)
def ip_prefix(address: str) -> str:
    """Reduce an IP address to its network prefix (/24 for IPv4, /48 for IPv6).

    Only the prefix is kept: enough to see many accounts behind one network, not enough to
    identify a household.
    """
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        raise InvalidInput(f"ip {address!r} is not an IPv4 or IPv6 address", field="ip") from None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # an IPv4 client seen through a dual-stack listener
    bits = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


@functools.lru_cache(maxsize=65536)
def is_public_prefix(prefix: str) -> bool:
    """A prefix of the public internet: loopback, private (RFC 1918, ULA), link-local and
    carrier-grade NAT prefixes are not, so many people behind one local proxy are never
    counted as one shared network."""
    try:
        return ipaddress.ip_network(prefix, strict=False).is_global
    except ValueError:
        return False


_IPV4_NETWORKS = 1 << 56
"""IPv4 network codes start here; IPv6 codes stay below 49 << 48 < 2**54."""


@functools.lru_cache(maxsize=65536)
def network_code(prefix: str | None) -> int | None:
    """The public network a stored prefix names, as one non-negative integer; None for no
    prefix or one that is not public (`is_public_prefix`).

    Kept with each like when it is written (`likes.network`), so the platform scan groups
    likes by network without parsing 17M prefix strings (issue 19). IPv4: the prefix length
    and the 32-bit network address; IPv6: the prefix length and the top 48 bits of the
    network address, so a prefix longer than /48 (which `ip_prefix` never writes) counts as
    its /48. Distinct prefixes `ip_prefix` writes (/24, /48) get distinct codes."""
    if not prefix or not is_public_prefix(prefix):
        return None
    network = ipaddress.ip_network(prefix, strict=False)
    address = int(network.network_address)
    if network.version == 4:
        return _IPV4_NETWORKS | network.prefixlen << 32 | address
    return min(network.prefixlen, 48) << 48 | address >> 80


def validate_body(body: str) -> str:
    text = body.strip()
    if not text:
        raise InvalidInput("comment body is empty; write at least one character", field="body")
    if len(text) > MAX_COMMENT_CHARS:
        raise InvalidInput(
            f"comment body has {len(text)} characters; the most is {MAX_COMMENT_CHARS}",
            field="body",
        )
    return text


def validate_channel(channel: str) -> str:
    if channel not in SHARE_CHANNELS:
        raise InvalidInput(
            f"share channel {channel!r} is not one of {', '.join(SHARE_CHANNELS)}",
            field="channel",
        )
    return channel


@dataclass(frozen=True)
class Device:
    """Where an interaction came from: a client device id, its user agent, the IP prefix."""

    device_key: str | None = None
    user_agent: str | None = None
    ip_prefix: str | None = None


@dataclass(frozen=True)
class Like:
    id: int
    account_id: int
    video_id: int
    source: str
    created_at: datetime
    removed_at: datetime | None
    ip_prefix: str | None
    device_id: int | None


@dataclass(frozen=True)
class Comment:
    id: int
    account_id: int
    video_id: int
    body: str
    source: str
    created_at: datetime


@dataclass(frozen=True)
class Follow:
    id: int
    follower_id: int
    creator_id: int
    source: str
    created_at: datetime
    removed_at: datetime | None


@dataclass(frozen=True)
class Share:
    id: int
    account_id: int
    video_id: int
    channel: str
    source: str
    created_at: datetime
