"""What the API learns about a client from the request itself: device and IP prefix."""

from __future__ import annotations

from fastapi import Request

from plaudit.api.schemas import DeviceIn
from plaudit.errors import InvalidInput
from plaudit.interactions import Device, ip_prefix

__all__ = ["device_of"]


def device_of(request: Request, given: DeviceIn | None) -> Device:
    """The device of a request: the body's device id, else the X-Device-Id header; the user
    agent from the body or header; the IP prefix always from the connection (never trusted
    from the body, so a client cannot launder its network)."""
    key = (given.id if given else None) or request.headers.get("x-device-id")
    agent = (given.user_agent if given else None) or request.headers.get("user-agent")
    host = request.client.host if request.client else None
    try:
        prefix = ip_prefix(host) if host else None
    except InvalidInput:
        prefix = None  # a test client or a unix socket: there is no IP to keep
    return Device(key[:128] if key else None, agent[:512] if agent else None, prefix)
