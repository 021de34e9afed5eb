"""The one error hierarchy of Plaudit.

    PlauditError                      base; `status` is the HTTP status, `type` a stable slug
    ├── ConfigError                   a setting or config file is invalid (CLI exit 2)
    ├── InvalidInput (422)            a value is malformed or out of range
    ├── NotAuthenticated (401)        no bearer token, or a token that is not valid
    ├── Forbidden (403)               authenticated, but not allowed to do this
    ├── NotFound (404)                the named thing does not exist
    │   ├── AccountNotFound
    │   ├── VideoNotFound
    │   └── LikeNotFound
    ├── Conflict (409)                the request contradicts the current state
    │   ├── NotLiked                  unlike of a video the account has not liked
    │   ├── NotFollowing              unfollow of a creator the account does not follow
    │   └── HandleTaken               an account with that handle exists
    ├── PayloadTooLarge (413)         too many items in one request
    ├── StorageUnavailable (503)      the database cannot be reached or is locked; retry later
    ├── PendingIntegration (503)      the interaction is not yet in a signed checkpoint; retry
    └── StorageError (500)            the database failed in a way retrying will not fix

Domain code raises these; database driver errors are translated into StorageUnavailable or
StorageError at the store boundary. The API renders every one as RFC 9457 problem+json with
`type` = PROBLEM_BASE + slug, so clients can branch on the type and never on the text.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "PROBLEM_BASE",
    "AccountNotFound",
    "ConfigError",
    "Conflict",
    "Forbidden",
    "HandleTaken",
    "InvalidInput",
    "LikeNotFound",
    "NotAuthenticated",
    "NotFollowing",
    "NotFound",
    "NotLiked",
    "PayloadTooLarge",
    "PendingIntegration",
    "PlauditError",
    "StorageError",
    "StorageUnavailable",
    "VideoNotFound",
]

PROBLEM_BASE = "https://plaudit.dev/problems/"


class PlauditError(Exception):
    """Base of every error Plaudit raises on purpose; carries what an API problem needs."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.type

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 problem object for this error."""
        body: dict[str, Any] = {
            "type": self.type_uri,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        # extensions never overwrite the standard members (RFC 9457 section 3.2)
        body.update((k, v) for k, v in self.extensions.items() if k not in body)
        return body


class ConfigError(PlauditError):
    """A setting or config file is invalid: fix the named setting and start again."""

    status = 500
    type = "config-error"
    title = "Invalid configuration"


class InvalidInput(PlauditError):
    """A value is malformed or out of range: the detail names the field and what it accepts."""

    status = 422
    type = "invalid-input"
    title = "Invalid input"


class NotAuthenticated(PlauditError):
    """No valid bearer token: send `Authorization: Bearer <token>` from `plaudit accounts token`."""

    status = 401
    type = "not-authenticated"
    title = "Not authenticated"


class Forbidden(PlauditError):
    """The caller is known but may not do this."""

    status = 403
    type = "forbidden"
    title = "Forbidden"


class NotFound(PlauditError):
    """The named resource does not exist."""

    status = 404
    type = "not-found"
    title = "Not found"


class AccountNotFound(NotFound):
    type = "account-not-found"
    title = "Account not found"


class VideoNotFound(NotFound):
    type = "video-not-found"
    title = "Video not found"


class LikeNotFound(NotFound):
    type = "like-not-found"
    title = "Like not found"


class Conflict(PlauditError):
    """The request contradicts the current state; read the state again before retrying."""

    status = 409
    type = "conflict"
    title = "Conflict"


class NotLiked(Conflict):
    type = "not-liked"
    title = "Not liked"


class NotFollowing(Conflict):
    type = "not-following"
    title = "Not following"


class HandleTaken(Conflict):
    type = "handle-taken"
    title = "Handle already taken"


class PayloadTooLarge(PlauditError):
    """Too many items in one request: split it into smaller requests."""

    status = 413
    type = "payload-too-large"
    title = "Payload too large"


class StorageUnavailable(PlauditError):
    """The database is unreachable or busy: retry after a short wait (503, Retry-After)."""

    status = 503
    type = "storage-unavailable"
    title = "Storage unavailable"


class PendingIntegration(PlauditError):
    """Sequenced but not yet in a signed checkpoint: retry after a second (503, Retry-After)."""

    status = 503
    type = "pending-integration"
    title = "Not yet in a signed checkpoint"


class StorageError(PlauditError):
    """The database failed in a way a retry will not fix; the operator must look at the logs."""

    status = 500
    type = "storage-error"
    title = "Storage error"
