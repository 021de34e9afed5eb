"""The one error hierarchy of Plaudit.

    PlauditError                      base; `status` is the HTTP status, `type` a stable slug
    ├── ConfigError                   a setting or config file is invalid (CLI exit 2)
    ├── InvalidInput (422)            a value is malformed or out of range
    │   └── MalformedBody             the body is not UTF-8 JSON, or is nested too deep
    ├── NotAuthenticated (401)        no bearer token, or a token that is not valid
    ├── Forbidden (403)               authenticated, but not allowed to do this
    │   └── RefusedByRule             a real-time authenticity rule refused the action
    ├── NotFound (404)                the named thing does not exist
    │   ├── AccountNotFound
    │   ├── VideoNotFound
    │   ├── LikeNotFound
    │   ├── VerdictNotFound
    │   ├── AppealNotFound
    │   └── PersonaIndexMissing       no persona index yet (persona-index-missing): refresh
    ├── Conflict (409)                the request contradicts the current state
    │   ├── NotLiked                  unlike of a video the account has not liked
    │   ├── NotFollowing              unfollow of a creator the account does not follow
    │   ├── HandleTaken               an account with that handle exists
    │   ├── AlreadyAppealed           a second appeal of the same verdict by the same account
    │   └── AlreadyDecided            a decision on an appeal that is already decided
    ├── campaigns: CampaignNotFound, OrganisationNotFound, CouponNotFound (404);
    │   NotEligible, NotOptedIn (403); CampaignNotActive, BudgetExhausted, RewardLimitReached,
    │   AlreadyCheckedIn, StreakEnded, LikedBeforeCampaign, CouponAlreadyShown,
    │   CouponAlreadyRedeemed (409)
    ├── RateLimited (429)             too many actions in a sliding window; retry after
    ├── PrivacyBudgetExhausted (429)  the audience-question privacy budget is spent; retry after
    ├── PayloadTooLarge (413)         too many items, or too many bytes, in one request
    ├── StorageUnavailable (503)      the database cannot be reached or is locked; retry later
    ├── PendingIntegration (503)      the interaction is not yet in a signed checkpoint; retry
    ├── StorageError (500)            the database failed in a way retrying will not fix
    ├── open API (issue 13): MalformedBody (400, a body that is not JSON), ApiKeyNotFound
    │   (404), AppNotFound (404, a third-party app), MissingScope (403, an API key or an
    │   app's token without the scope an operation needs),
    │   IdempotencyKeyInUse (409), IdempotencyKeyReused (422)
    └── LedgerError (500)             the like ledger's own tree (plaudit.ledger.errors): a tile
                                      path 404 not-found, a size out of range 422 invalid-input

Domain code raises these; database driver errors are translated into StorageUnavailable or
StorageError at the store boundary. The API renders every one as RFC 9457 problem+json with
`type` = PROBLEM_BASE + slug, so clients can branch on the type and never on the text.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "PROBLEM_BASE",
    "AccountNotFound",
    "AlreadyAppealed",
    "AlreadyCheckedIn",
    "AlreadyDecided",
    "ApiKeyNotFound",
    "AppNotFound",
    "AppealNotFound",
    "BudgetExhausted",
    "CampaignNotActive",
    "CampaignNotFound",
    "ConfigError",
    "Conflict",
    "CouponAlreadyRedeemed",
    "CouponAlreadyShown",
    "CouponNotFound",
    "Forbidden",
    "HandleTaken",
    "IdempotencyKeyInUse",
    "IdempotencyKeyReused",
    "InvalidInput",
    "LikeNotFound",
    "LikedBeforeCampaign",
    "MalformedBody",
    "MissingDependency",
    "MissingScope",
    "NotAuthenticated",
    "NotEligible",
    "NotFollowing",
    "NotFound",
    "NotLiked",
    "NotOptedIn",
    "OrganisationNotFound",
    "PayloadTooLarge",
    "PendingIntegration",
    "PersonaIndexMissing",
    "PlauditError",
    "PrivacyBudgetExhausted",
    "RateLimited",
    "RefusedByRule",
    "RewardLimitReached",
    "StorageError",
    "StorageUnavailable",
    "StreakEnded",
    "VerdictNotFound",
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


# --- authenticity ---


class RefusedByRule(Forbidden):
    """A real-time authenticity rule refused the action; `rule` and `limit` say which."""

    type = "refused-by-rule"
    title = "Refused by an authenticity rule"


class RateLimited(PlauditError):
    """Too many actions in a sliding window: retry after `retry_after` seconds (429)."""

    status = 429
    type = "rate-limited"
    title = "Too many requests"


class VerdictNotFound(NotFound):
    type = "verdict-not-found"
    title = "Verdict not found"


class AppealNotFound(NotFound):
    type = "appeal-not-found"
    title = "Appeal not found"


class AlreadyAppealed(Conflict):
    """The account has appealed this verdict already; read the appeal's status instead."""

    type = "already-appealed"
    title = "Already appealed"


class AlreadyDecided(Conflict):
    """The appeal has a decision; a decision is final (appeal again is not possible either)."""

    type = "already-decided"
    title = "Appeal already decided"


# --- campaigns ---


class OrganisationNotFound(NotFound):
    type = "organisation-not-found"
    title = "Organisation not found"


class CampaignNotFound(NotFound):
    """No such campaign, or it belongs to an organisation the caller is not a member of."""

    type = "campaign-not-found"
    title = "Campaign not found"


class CouponNotFound(NotFound):
    """No coupon has this code, or it was issued by another organisation's campaign."""

    type = "coupon-not-found"
    title = "Coupon not found"


class NotEligible(Forbidden):
    """The account is not in the campaign's segment or has not consented to targeting."""

    type = "not-eligible"
    title = "Not eligible for this campaign"


class NotOptedIn(Forbidden):
    """A like through a campaign needs the account to opt in to that campaign first."""

    type = "not-opted-in"
    title = "Not opted in"


class CampaignNotActive(Conflict):
    """The campaign has not started yet, has ended, or was ended early; `starts_at`/`ends_at`."""

    type = "campaign-not-active"
    title = "Campaign not active"


class BudgetExhausted(Conflict):
    """The campaign's budget cannot pay another reward; nothing more will be paid."""

    type = "budget-exhausted"
    title = "Campaign budget exhausted"


class RewardLimitReached(Conflict):
    """The account has as many completions of this campaign as its per-account limit."""

    type = "reward-limit-reached"
    title = "Reward limit reached"


class AlreadyCheckedIn(Conflict):
    """A streak counts one check-in per day in the campaign's time zone; come back tomorrow."""

    type = "already-checked-in"
    title = "Already checked in today"


class StreakEnded(Conflict):
    """A day was missed and the campaign ends streaks on a missed day (`streak_miss = end`)."""

    type = "streak-ended"
    title = "Streak ended"


class LikedBeforeCampaign(Conflict):
    """The video was already liked without this campaign; an existing like cannot be counted."""

    type = "liked-before-campaign"
    title = "Already liked outside this campaign"


class CouponAlreadyShown(Conflict):
    """A coupon code is shown once; only its hash is kept, so it cannot be shown again."""

    type = "coupon-already-shown"
    title = "Coupon code already shown"


class CouponAlreadyRedeemed(Conflict):
    """The coupon was redeemed before (`redeemed_at`); a replay never redeems twice."""

    type = "coupon-already-redeemed"
    title = "Coupon already redeemed"


class PersonaIndexMissing(NotFound):
    """No usable persona tag index yet: an operator runs `plaudit persona refresh`."""

    type = "persona-index-missing"
    title = "Persona index missing"


class MissingDependency(ConfigError):
    """An optional extra is not installed: the detail names the `pip install` that adds it."""

    type = "missing-dependency"
    title = "Missing dependency"


# --- the open API platform (issue 13) ---


class MalformedBody(InvalidInput):
    """The body cannot be read as a request at all: not UTF-8, not JSON, or nested too deep."""

    type = "malformed-body"
    title = "Malformed body"


class ApiKeyNotFound(NotFound):
    """No API key has this id, or it is not one the caller may see."""

    type = "api-key-not-found"
    title = "API key not found"


class AppNotFound(NotFound):
    """No third-party app has this id, or it is not one the caller registered."""

    type = "app-not-found"
    title = "App not found"


class MissingScope(Forbidden):
    """An API key lacks the scope an operation needs; `scope` names it: make a key with it."""

    type = "missing-scope"
    title = "API key lacks a scope"


class IdempotencyKeyInUse(Conflict):
    """A request with this Idempotency-Key is still running: retry after it (409, Retry-After)."""

    type = "idempotency-key-in-use"
    title = "Idempotency key in use"


class IdempotencyKeyReused(InvalidInput):
    """This Idempotency-Key was used for another request (method, path or body): use a new key."""

    type = "idempotency-key-reused"
    title = "Idempotency key reused"


# --- privacy (issue 17) ---


class PrivacyBudgetExhausted(PlauditError):
    """The organisation's (or creator's) differential-privacy budget for the rolling window
    is spent: new audience questions are refused until `retry_after` seconds have passed
    (repeating a question already answered in the window stays free)."""

    status = 429
    type = "privacy-budget-exhausted"
    title = "Privacy budget exhausted"
