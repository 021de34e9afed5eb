"""What the API learns about a client from the request itself: device and IP prefix."""

from __future__ import annotations

import functools
import ipaddress
import re

from fastapi import Request

from plaudit.api.guard import strip_unsafe
from plaudit.api.schemas import DeviceIn
from plaudit.errors import InvalidInput
from plaudit.interactions import Device, ip_prefix

__all__ = ["client_address", "device_of"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_FOR = re.compile(r'for="?\[?([^\]";,]+)', re.IGNORECASE)


@functools.lru_cache(maxsize=16)
def _networks(setting: str) -> tuple[_Network, ...]:
    return tuple(ipaddress.ip_network(n) for n in setting.split(",") if n)


def _trusted(address: str, networks: tuple[_Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _forwarded_chain(request: Request) -> list[str]:
    """The addresses the proxies appended, oldest first (RFC 7239 Forwarded, else the
    de-facto X-Forwarded-For)."""
    forwarded = request.headers.get("forwarded")
    if forwarded:  # for=192.0.2.43:47011 and for="[2001:db8::1]:4711" carry ports: drop them
        found = [m.group(1).strip() for m in _FOR.finditer(forwarded)]
        return [a.rsplit(":", 1)[0] if a.count(":") == 1 else a for a in found]
    chain = request.headers.get("x-forwarded-for", "")
    return [part.strip() for part in chain.split(",") if part.strip()]


def client_address(request: Request, trusted_proxies: str) -> str | None:
    """The client's address: the connection's peer, unless the peer is a trusted proxy
    (setting `trusted_proxies`); then the right-most address of the forwarded chain that is
    not itself a trusted proxy. Headers from anyone else are ignored, so a client cannot
    choose the network its likes are counted under."""
    peer = request.client.host if request.client else None
    networks = _networks(trusted_proxies)
    if peer is None or not networks or not _trusted(peer, networks):
        return peer
    address = peer
    chain = _forwarded_chain(request)
    while chain and _trusted(address, networks):
        address = chain.pop()
    return address


def device_of(request: Request, given: DeviceIn | None) -> Device:
    """The device of a request: the body's device id, else the X-Device-Id header; the user
    agent from the body or header; the IP prefix always from the connection (never trusted
    from the body, so a client cannot launder its network)."""
    key = (given.id if given else None) or strip_unsafe(request.headers.get("x-device-id", ""))
    agent = (given.user_agent if given else None) or strip_unsafe(
        request.headers.get("user-agent", "")
    )
    platform = getattr(request.app.state, "platform", None)
    proxies = platform.settings.trusted_proxies if platform is not None else ""
    host = client_address(request, proxies)
    prefix = _prefix_of(host) if host else None
    return Device(key[:128] if key else None, agent[:512] if agent else None, prefix)


@functools.lru_cache(maxsize=4096)
def _prefix_of(host: str) -> str | None:
    """The stored prefix of an address, kept for the clients seen lately: parsing the
    address is a good part of the like's own work, and a client likes many times."""
    try:
        return ip_prefix(host)
    except InvalidInput:
        return None  # a test client or a unix socket: there is no IP to keep
