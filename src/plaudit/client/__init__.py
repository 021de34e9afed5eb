"""A Python client of Plaudit's API on httpx, sync (`Client`) and async (`AsyncClient`).

    from plaudit.client import Client
    with Client("http://127.0.0.1:8000", token="plaudit_sk_...") as plaudit:
        for video in plaudit.videos():
            print(video.title, video.likes)

Problems become `ApiError` (with the problem's `type`, `status`, `detail`); 429 and 503 are
retried after `Retry-After`; every POST carries an `Idempotency-Key`, the same on each retry,
so a retried payment-like request never happens twice; lists page through `next_cursor`.
"""

from plaudit.client.clients import AsyncClient, Client
from plaudit.client.core import ApiError, RateLimit, verify_webhook
from plaudit.client.models import Account, ApiKey, Delivery, Like, Tokens, Video, WebhookEndpoint
from plaudit.client.oauth import Authorization, authorization_url

__all__ = [
    "Account",
    "ApiError",
    "ApiKey",
    "AsyncClient",
    "Authorization",
    "Client",
    "Delivery",
    "Like",
    "RateLimit",
    "Tokens",
    "Video",
    "WebhookEndpoint",
    "authorization_url",
    "verify_webhook",
]
