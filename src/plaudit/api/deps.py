"""FastAPI dependencies: the platform of this app and the authenticated account."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from plaudit.api.contract import scope_of
from plaudit.api.ratelimit import AccountQuota
from plaudit.apikeys.model import KEY_PREFIX
from plaudit.errors import Forbidden, NotAuthenticated
from plaudit.oauth.model import ACCESS_PREFIX
from plaudit.platform import Platform

__all__ = [
    "ActingApp",
    "CurrentAccount",
    "PlatformDep",
    "acting_app",
    "authenticate",
    "count_account_quota",
    "current_account",
    "get_platform",
    "platform_of",
    "require_kind",
]


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def get_platform(request: Request) -> Platform:
    return platform_of(request)


PlatformDep = Annotated[Platform, Depends(get_platform)]


async def current_account(request: Request, platform: PlatformDep) -> int:
    """The account id of the bearer token; 401 problem when absent or not valid."""
    return authenticate(request, platform)


def authenticate(request: Request, platform: Platform) -> int:
    """What `current_account` does, callable without dependency injection (hot endpoints)."""
    header = request.headers.get("authorization")
    if not header:
        raise NotAuthenticated(
            "this request needs `Authorization: Bearer <token>`; create a token with "
            "`plaudit accounts token ID`"
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("the Authorization header must be `Bearer <token>`")
    token = token.strip()
    if token.startswith(KEY_PREFIX):
        account_id = platform.apikeys.authenticate(token, scope_of(request))
    elif token.startswith(ACCESS_PREFIX):  # a third-party app's, for a creator
        account_id, request.state.oauth_app = platform.oauth.acting(token, scope_of(request))
    else:
        account_id = platform.accounts.authenticate(token)
    count_account_quota(request, account_id)
    return account_id


def count_account_quota(request: Request, account_id: int) -> None:
    """Count one request toward the account's quota over all its credentials (429 past it);
    every authenticated request passes here, the like's cached-token path included."""
    quota: AccountQuota | None = getattr(request.app.state, "account_quota", None)
    if quota is not None:
        quota.count(account_id)


CurrentAccount = Annotated[int, Depends(current_account)]


def acting_app(request: Request, _account: CurrentAccount) -> int | None:
    """The third-party app whose access token made this request (None: the person's own
    token or an API key); after `current_account`, which records it."""
    app: int | None = getattr(request.state, "oauth_app", None)
    return app


ActingApp = Annotated[int | None, Depends(acting_app)]


def require_kind(platform: Platform, account_id: int, *kinds: str) -> str:
    """The caller's account kind when it is one of `kinds`; 403 problem otherwise."""
    kind = platform.accounts.get(account_id).kind
    if kind not in kinds:
        raise Forbidden(f"this needs a {' or '.join(kinds)} account; this account is a {kind}")
    return kind
