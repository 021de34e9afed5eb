"""Signed webhooks (Standard Webhooks) from a durable outbox (docs/api.md, "Webhooks")."""

from plaudit.webhooks.model import EVENT_TYPES, RETRY_SCHEDULE_S, check_target, new_secret, sign
from plaudit.webhooks.service import Delivery, Endpoint, WebhookService

__all__ = [
    "EVENT_TYPES",
    "RETRY_SCHEDULE_S",
    "Delivery",
    "Endpoint",
    "WebhookService",
    "check_target",
    "new_secret",
    "sign",
]
