"""What every operation promises: who may call it, the API key scope it needs, and the
problems it may answer.

One table, keyed by `METHOD /path` exactly as the OpenAPI document spells the operation,
drives both the document (`api/openapi.py` turns it into `responses` and `security`) and the
scope check of API keys (`apikeys`). The problems an operation may answer are the baseline
every operation shares (storage errors; invalid input when it takes parameters; 401 and 403
when it needs a caller; a 404 of the kind its path parameters name) plus what the table
declares for it. A test keeps the table and the routes in step, and schemathesis checks
that a live server answers nothing the document does not list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from plaudit.apikeys.model import RESOURCES
from plaudit.errors import (
    AccountNotFound,
    AlreadyAppealed,
    AlreadyCheckedIn,
    AlreadyDecided,
    ApiKeyNotFound,
    AppealNotFound,
    AppNotFound,
    BudgetExhausted,
    CampaignNotActive,
    CampaignNotFound,
    Conflict,
    CouponAlreadyRedeemed,
    CouponAlreadyShown,
    CouponNotFound,
    Forbidden,
    HandleTaken,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InvalidInput,
    LikedBeforeCampaign,
    LikeNotFound,
    MalformedBody,
    MissingScope,
    NotAuthenticated,
    NotEligible,
    NotFollowing,
    NotFound,
    NotLiked,
    NotOptedIn,
    OrganisationNotFound,
    PayloadTooLarge,
    PendingIntegration,
    PersonaIndexMissing,
    PlauditError,
    PrivacyBudgetExhausted,
    RateLimited,
    RefusedByRule,
    RewardLimitReached,
    StorageError,
    StorageUnavailable,
    StreakEnded,
    VerdictNotFound,
    VideoNotFound,
)

__all__ = [
    "OPERATIONS",
    "RESOURCES",
    "Operation",
    "problems_of",
    "scope_of",
]

Error = type[PlauditError]

#: A path parameter's name says which 404 an unknown value gets.
PATH_NOT_FOUND: dict[str, tuple[Error, ...]] = {
    "video_id": (VideoNotFound,),
    "account_id": (AccountNotFound,),
    "creator_id": (AccountNotFound, NotFound),
    "member_id": (AccountNotFound,),
    "verdict_id": (VerdictNotFound,),
    "appeal_id": (AppealNotFound,),
    "campaign_id": (CampaignNotFound,),
    "organisation_id": (OrganisationNotFound,),
    "like_id": (LikeNotFound,),
    "key_id": (ApiKeyNotFound,),
    "app_id": (AppNotFound,),
}

_CAMPAIGN_LIKE: tuple[Error, ...] = (
    NotOptedIn,
    NotEligible,
    CampaignNotActive,
    BudgetExhausted,
    RewardLimitReached,
    AlreadyCheckedIn,
    StreakEnded,
    LikedBeforeCampaign,
    CampaignNotFound,
)


@dataclass(frozen=True)
class Operation:
    """One operation's promise.

    `who` is "anyone" (no token needed) or the account kinds or roles that may call it
    ("bearer" = any account); `scope` the API key scope it needs (None: keys cannot call it);
    `raises` the problems beyond the baseline; `also` other success statuses it answers;
    `media` the success media type when it is not JSON; `oauth` marks the OAuth 2.0
    endpoints, whose errors are RFC 6749 5.2 JSON (`error`, `error_description`), not problems.
    """

    who: tuple[str, ...]
    scope: str | None = None
    raises: tuple[Error, ...] = ()
    also: dict[int, str] = field(default_factory=dict)
    media: str = "application/json"
    oauth: bool = False

    @property
    def public(self) -> bool:
        return self.who == ("anyone",)


ANYONE = ("anyone",)
BEARER = ("bearer",)


def _op(
    who: tuple[str, ...],
    scope: str | None,
    *raises: Error,
    also: dict[int, str] | None = None,
    media: str = "application/json",
) -> Operation:
    return Operation(who, scope, raises, also or {}, media)


# answers that are differentially private are charged to the asker's budget (docs/segments.md)
_PRIVATE: tuple[Error, ...] = (PrivacyBudgetExhausted,)

OPERATIONS: dict[str, Operation] = {
    "GET /healthz": _op(ANYONE, None),
    # likes and the social graph
    "POST /v1/videos/{video_id}/likes": _op(
        BEARER,
        "likes:write",
        RateLimited,
        RefusedByRule,
        *_CAMPAIGN_LIKE,
        also={200: "The existing like: a like is counted once."},
    ),
    "DELETE /v1/videos/{video_id}/likes": _op(BEARER, "likes:write", NotLiked),
    "GET /v1/accounts/{account_id}/likes": _op(("the account itself",), "likes:read"),
    "GET /v1/videos": _op(ANYONE, None),
    "POST /v1/videos": _op(("creator",), "videos:write"),
    "GET /v1/videos/{video_id}": _op(ANYONE, None),
    "POST /v1/videos/{video_id}/comments": _op(BEARER, "social:write"),
    "POST /v1/videos/{video_id}/shares": _op(BEARER, "social:write"),
    "POST /v1/creators/{creator_id}/follows": _op(
        BEARER, "social:write", also={200: "Already following: the existing follow."}
    ),
    "DELETE /v1/creators/{creator_id}/follows": _op(BEARER, "social:write", NotFollowing),
    # API keys: made and revoked with an account token, never with a key
    "POST /v1/api-keys": _op(
        ("creator", "operator", "organisation owner"), None, OrganisationNotFound
    ),
    "GET /v1/api-keys": _op(
        ("creator", "operator", "organisation owner"), None, OrganisationNotFound
    ),
    "GET /v1/api-keys/{key_id}": _op(("the key's maker", "organisation owner"), None),
    "DELETE /v1/api-keys/{key_id}": _op(("the key's maker", "organisation owner"), None),
    # third-party apps: registered and retired with the developer's own token, never a key
    # or an app's token; the token and revocation endpoints authenticate the app itself
    "POST /v1/apps": _op(("creator", "brand", "operator"), None),
    "GET /v1/apps": _op(("creator", "brand", "operator"), None),
    "GET /v1/apps/{app_id}": _op(("the app's developer",), None),
    "DELETE /v1/apps/{app_id}": _op(("the app's developer",), None),
    "POST /v1/oauth/token": Operation(ANYONE, oauth=True),
    "POST /v1/oauth/revoke": Operation(ANYONE, oauth=True),
    # webhooks
    "POST /v1/webhooks/endpoints": _op(
        ("creator", "brand", "operator", "organisation owner"),
        "webhooks:write",
        OrganisationNotFound,
    ),
    "GET /v1/webhooks/endpoints": _op(
        ("creator", "brand", "operator", "organisation owner"),
        "webhooks:read",
        OrganisationNotFound,
    ),
    "DELETE /v1/webhooks/endpoints/{endpoint_id}": _op(("the endpoint's owner",), "webhooks:write"),
    "POST /v1/webhooks/endpoints/{endpoint_id}/secret": _op(
        ("the endpoint's owner",), "webhooks:write"
    ),
    "POST /v1/webhooks/endpoints/{endpoint_id}/test": _op(
        ("the endpoint's owner",), "webhooks:write"
    ),
    "GET /v1/webhooks/endpoints/{endpoint_id}/deliveries": _op(
        ("the endpoint's owner",), "webhooks:read"
    ),
    "POST /v1/webhooks/messages/{message_id}/redeliver": _op(
        ("the endpoint's owner",), "webhooks:write"
    ),
    # accounts
    "POST /v1/accounts": _op(ANYONE, None, HandleTaken),
    "GET /v1/me": _op(BEARER, "profile:read", AccountNotFound),
    "GET /v1/me/profile": _op(BEARER, "profile:read", AccountNotFound),
    "PATCH /v1/me/profile": _op(BEARER, "profile:write", AccountNotFound),
    # the account's own tokens, its export and its deletion: a person's bearer token only,
    # never a key
    "DELETE /v1/me": _op(BEARER, None, AccountNotFound),
    "GET /v1/me/export": _op(BEARER, None, AccountNotFound),
    "GET /v1/me/tokens": _op(BEARER, None),
    "DELETE /v1/me/tokens": _op(BEARER, None),
    "DELETE /v1/me/tokens/{token_id}": _op(BEARER, None),
    "POST /v1/interactions/bulk": _op(("gateway",), "bulk:write", AccountNotFound),
    # the ledger
    # the transparency report (互动数据白皮书), published for anyone (docs/transparency.md)
    "GET /transparency": _op(ANYONE, None, media="text/html"),
    "GET /transparency/reports.json": _op(ANYONE, None),
    "GET /transparency/{folder}/{name}": _op(
        ANYONE, None, NotFound, media="application/octet-stream"
    ),
    "GET /ledger/checkpoint": _op(ANYONE, None, media="text/plain"),
    "GET /ledger/vkey": _op(ANYONE, None, media="text/plain"),
    "GET /ledger/tile/{tile_path}": _op(ANYONE, None, NotFound, media="application/octet-stream"),
    "GET /v1/ledger/entries/{index}": _op(ANYONE, None, NotFound, media="application/octet-stream"),
    "GET /v1/ledger/proof/inclusion": _op(ANYONE, None),
    "GET /v1/ledger/proof/consistency": _op(ANYONE, None),
    "GET /v1/ledger/checkpoints/{size}": _op(ANYONE, None, NotFound, media="text/plain"),
    "GET /v1/likes/{like_id}/receipt": _op(
        ("the like's account",),
        "ledger:read",
        PendingIntegration,
        Conflict,
        media="text/plain",
    ),
    "POST /v1/ledger/cosignatures": _op(
        ("a configured witness (signed note, no token)",),
        None,
        Forbidden,
        NotFound,
        InvalidInput,
        PayloadTooLarge,
    ),
    # authenticity
    "GET /v1/verdicts/{verdict_id}": _op(BEARER, "verdicts:read"),
    "GET /v1/videos/{video_id}/revocations": _op(("the video's creator",), "verdicts:read"),
    "POST /v1/verdicts/{verdict_id}/appeal": _op(
        ("an account whose like it revoked", "the video's creator"),
        "verdicts:write",
        AlreadyAppealed,
    ),
    "GET /v1/appeals": _op(("operator",), "verdicts:read"),
    "POST /v1/appeals/{appeal_id}/decision": _op(("operator",), "verdicts:write", AlreadyDecided),
    # the strategy engine
    "GET /v1/creators/{creator_id}/insights": _op(("the creator", "operator"), "creators:read"),
    "GET /v1/creators/{creator_id}/plan": _op(("the creator", "operator"), "creators:read"),
    "GET /v1/creators/{creator_id}/inbox": _op(("the creator", "operator"), "creators:read"),
    "POST /v1/creators/{creator_id}/actions/approve": _op(
        ("the creator",), "creators:write", PayloadTooLarge
    ),
    "GET /v1/creators/{creator_id}/actions": _op(("the creator", "operator"), "creators:read"),
    # experiments
    "GET /v1/experiments": _op(("creator", "operator"), "experiments:read"),
    "POST /v1/experiments": _op(("creator", "operator"), "experiments:write", Conflict),
    "GET /v1/experiments/{experiment_id}": _op(("the owner",), "experiments:read", NotFound),
    "POST /v1/experiments/{experiment_id}/assignments": _op(
        ("the owner",), "experiments:write", NotFound, AccountNotFound, Conflict
    ),
    "GET /v1/experiments/{experiment_id}/report": _op(("the owner",), "experiments:read", NotFound),
    # audiences
    "POST /v1/segments/count": _op(
        ("brand", "creator", "operator"), "segments:read", PersonaIndexMissing, NotFound, *_PRIVATE
    ),
    "POST /v1/segments/insights": _op(
        ("brand", "creator", "operator"), "segments:read", PersonaIndexMissing, NotFound, *_PRIVATE
    ),
    "POST /v1/segments/overlap": _op(
        ("brand", "creator", "operator"), "segments:read", PersonaIndexMissing, NotFound, *_PRIVATE
    ),
    "POST /v1/segments/lookalike": _op(
        ("brand", "creator", "operator"),
        "segments:write",
        PersonaIndexMissing,
        NotFound,
        AccountNotFound,
        Conflict,
        *_PRIVATE,
    ),
    "GET /v1/segments/saved": _op(("brand", "creator", "operator"), "segments:read"),
    "POST /v1/segments/saved": _op(
        ("brand", "creator", "operator"),
        "segments:write",
        PersonaIndexMissing,
        NotFound,
        Conflict,
        *_PRIVATE,
    ),
    "GET /v1/segments/saved/{name}": _op(
        ("brand", "creator", "operator"), "segments:read", NotFound, PersonaIndexMissing, *_PRIVATE
    ),
    "GET /v1/creators/{creator_id}/fan-base": _op(
        ("the creator", "brand", "operator"), "segments:read", PersonaIndexMissing, *_PRIVATE
    ),
    # the creator fund
    "GET /v1/fund/periods": _op(ANYONE, None),
    "POST /v1/fund/periods": _op(("operator",), "fund:write", Conflict),
    "GET /v1/fund/periods/{period_id}": _op(ANYONE, None, NotFound),
    "GET /v1/fund/periods/{period_id}/statements/{creator_id}": _op(
        ("the creator", "operator"), "fund:read", NotFound, Conflict
    ),
    # quality and recommendations
    "GET /v1/videos/{video_id}/quality": _op(ANYONE, None),
    "GET /v1/campaigns/{campaign_id}/quality": _op(
        ("a member of the campaign's organisation", "operator"), "reports:read"
    ),
    "GET /v1/accounts/{account_id}/recommendations": _op(
        ("the account itself",), "recommendations:read"
    ),
    "GET /v1/accounts/{account_id}/recommended-creators": _op(
        ("the account itself",), "recommendations:read"
    ),
    # organisations and campaigns
    "POST /v1/organisations": _op(("brand",), "campaigns:write"),
    "GET /v1/organisations/{organisation_id}": _op(("member",), "campaigns:read"),
    "GET /v1/organisations/{organisation_id}/members": _op(("member",), "campaigns:read"),
    "PUT /v1/organisations/{organisation_id}/members/{member_id}": _op(
        ("owner",), "campaigns:write", Conflict
    ),
    "DELETE /v1/organisations/{organisation_id}/members/{member_id}": _op(
        ("owner",), "campaigns:write", Conflict, NotFound
    ),
    "POST /v1/organisations/{organisation_id}/campaigns": _op(
        ("owner", "manager"), "campaigns:write", VideoNotFound, PersonaIndexMissing
    ),
    "GET /v1/organisations/{organisation_id}/campaigns": _op(("member",), "campaigns:read"),
    "GET /v1/campaigns/{campaign_id}": _op(("member",), "campaigns:read"),
    "POST /v1/campaigns/{campaign_id}/end": _op(
        ("owner", "manager"), "campaigns:write", CampaignNotActive, Conflict
    ),
    "GET /v1/campaigns/{campaign_id}/report": _op(("member",), "reports:read", *_PRIVATE),
    "GET /v1/campaigns/{campaign_id}/report.csv": _op(
        ("member",), "reports:read", media="text/csv"
    ),
    "GET /v1/me/tasks": _op(BEARER, "campaigns:read"),
    "POST /v1/campaigns/{campaign_id}/participants": _op(
        BEARER,
        "campaigns:write",
        NotEligible,
        CampaignNotActive,
        Conflict,
        also={200: "Already opted in: your progress."},
    ),
    "GET /v1/campaigns/{campaign_id}/progress": _op(
        ("opted-in account",), "campaigns:read", NotOptedIn
    ),
    "GET /v1/me/rewards": _op(BEARER, "campaigns:read"),
    "POST /v1/rewards/{reward_id}/coupon": _op(
        ("the reward's account",), "coupons:write", NotFound, CouponNotFound, CouponAlreadyShown
    ),
    "GET /v1/campaigns/{campaign_id}/donations": _op(ANYONE, None),
    "GET /v1/videos/{video_id}/campaigns": _op(ANYONE, None),
    "POST /v1/campaigns/settle": _op(("operator",), "campaigns:write"),
    "POST /v1/coupons/redeem": _op(
        ("owner", "manager"), "coupons:write", CouponNotFound, CouponAlreadyRedeemed
    ),
}

_EVERYWHERE: tuple[Error, ...] = (PlauditError, StorageError, StorageUnavailable)


def problems_of(
    operation: Operation,
    path_params: list[str],
    has_input: bool,
    has_body: bool,
    post: bool = False,
) -> list[Error]:
    """Every problem class the operation may answer: the baseline plus its own, no repeats."""
    found: list[Error] = list(_EVERYWHERE)
    if operation is not OPERATIONS["GET /healthz"]:  # api/ratelimit.py counts all but it
        found.append(RateLimited)
    if post and not operation.oauth:  # every other POST takes an Idempotency-Key
        found += [IdempotencyKeyInUse, IdempotencyKeyReused, InvalidInput]
    if has_input:
        found.append(InvalidInput)
    if has_body:
        found += [MalformedBody, PayloadTooLarge]
    if not operation.public:
        found += [NotAuthenticated, Forbidden]
    if operation.scope:
        found.append(MissingScope)
    for name in path_params:
        found += PATH_NOT_FOUND.get(name, (NotFound,))
    found += operation.raises
    return list(dict.fromkeys(found))


def scope_of(request: Request) -> str | None:
    """The API key scope the request's operation needs; None when keys may not call it."""
    route = request.scope.get("route")
    path = getattr(route, "path_format", None)
    operation = OPERATIONS.get(f"{request.method} {path}")
    return operation.scope if operation else None
