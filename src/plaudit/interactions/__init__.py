"""Interactions: like, unlike, comment, follow, share; counters; the event sequence; bulk."""

from plaudit.interactions.bulk import ingest, ingest_op
from plaudit.interactions.bulk_model import BulkItem, ItemResult
from plaudit.interactions.model import Comment, Device, Follow, Like, Share, ip_prefix
from plaudit.interactions.service import FollowOutcome, InteractionService, LikeOutcome

__all__ = [
    "BulkItem",
    "Comment",
    "Device",
    "Follow",
    "FollowOutcome",
    "InteractionService",
    "ItemResult",
    "Like",
    "LikeOutcome",
    "Share",
    "ingest",
    "ingest_op",
    "ip_prefix",
]
