"""The authorization server: `aioauth` runs the protocol (RFC 6749, RFC 7636, RFC 7009);
this module gives it Plaudit's storage and tightens it where the current best practice
(RFC 9700) asks more than the library does by default:

- PKCE with S256 on every authorization request, and a scope named;
- the token request's `redirect_uri` must be the one the code was issued for (RFC 6749 4.1.3);
- a code is claimed atomically by its first exchange; a second exchange revokes every token
  the first one gave (RFC 6749 4.1.2);
- a wrong `code_verifier` is `invalid_grant` (RFC 7636 4.6), not the library's own error name;
- refresh tokens rotate; replaying a rotated one revokes the grant (RFC 9700 4.14.2), and a
  refresh cannot ask for a scope the person did not grant (RFC 6749 section 6).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from aioauth.collections import HTTPHeaderDict
from aioauth.config import Settings as OAuthSettings
from aioauth.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    MismatchingStateError,
)
from aioauth.grant_type import AuthorizationCodeGrantType, RefreshTokenGrantType
from aioauth.models import AuthorizationCode, Client, Token
from aioauth.requests import Post, Query
from aioauth.requests import Request as OAuthRequest
from aioauth.response_type import ResponseTypeAuthorizationCode
from aioauth.server import AuthorizationServer
from aioauth.storage import BaseStorage
from aioauth.types import CodeChallengeMethod, TokenType
from aioauth.utils import enforce_list
from sqlalchemy.engine import Connection, Row

from plaudit.oauth.model import digest, new_access_token, new_refresh_token
from plaudit.store import Database, utcnow
from plaudit.store import oauth as sql

__all__ = ["Lifetimes", "PlauditStorage", "authorization_server", "oauth_request"]

T = TypeVar("T")
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256, unpadded
_QUERY_FIELDS = set(Query.__dataclass_fields__)
_POST_FIELDS = set(Post.__dataclass_fields__)


@dataclass(frozen=True)
class Lifetimes:
    code_s: int
    access_s: int
    refresh_s: int


def oauth_request(
    method: str,
    url: str,
    headers: dict[str, str],
    query: dict[str, str],
    form: dict[str, str],
    lifetimes: Lifetimes,
    allow_http: bool,
    extra: dict[str, Any] | None = None,
) -> OAuthRequest:
    """The library's request from what Starlette parsed; unknown parameters are ignored, as
    RFC 6749 section 3.1 asks."""
    settings = OAuthSettings(
        TOKEN_EXPIRES_IN=lifetimes.access_s,
        REFRESH_TOKEN_EXPIRES_IN=lifetimes.refresh_s,
        AUTHORIZATION_CODE_EXPIRES_IN=lifetimes.code_s,
        INSECURE_TRANSPORT=allow_http,
    )
    return OAuthRequest(
        method=method,  # type: ignore[arg-type]
        query=Query(**_known(query, _QUERY_FIELDS)),
        post=Post(**_known(form, _POST_FIELDS)),
        headers=HTTPHeaderDict(headers),  # type: ignore[no-untyped-call]
        url=url,
        settings=settings,
        extra=dict(extra or {}),
    )


def _known(params: dict[str, str], fields: set[str]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k in fields}


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _scopes(scope: str) -> set[str]:
    return {s for s in enforce_list(scope) if s}


class PlauditStorage(BaseStorage):
    """aioauth's storage on Plaudit's database: codes, tokens and secrets kept as SHA-256."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _read(self, fn: Callable[[Connection], T]) -> T:
        def read() -> T:
            with self._db.read() as conn:
                return fn(conn)

        return await asyncio.to_thread(read)

    async def get_client(
        self, *, request: OAuthRequest, client_id: str, client_secret: str | None = None
    ) -> Client | None:
        """The app; at the token and revocation endpoints (`client_secret` not None) a
        confidential app must give its secret and a public one none."""
        row = await self._read(lambda conn: sql.app_by_client_id(conn, client_id))
        if row is None or row.revoked_at is not None:
            return None
        if client_secret is not None:
            given = digest(client_secret) if client_secret else None
            if given != row.secret_hash:
                return None
        request.extra["app"] = row
        return Client(
            client_id=row.client_id,
            client_secret="",  # never used by the library once get_client has checked it
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            redirect_uris=row.redirect_uris.split(),
            scope=row.scopes,
        )

    async def create_authorization_code(
        self,
        *,
        request: OAuthRequest,
        client_id: str,
        scope: str,
        response_type: str,
        redirect_uri: str,
        code: str,
        code_challenge_method: CodeChallengeMethod | None = None,
        code_challenge: str | None = None,
        nonce: str | None = None,
    ) -> AuthorizationCode:
        now = utcnow()
        values = {
            "code_hash": digest(code),
            "app_id": request.extra["app"].id,
            "account_id": request.extra["account_id"],
            "redirect_uri": redirect_uri,
            "scopes": " ".join(sorted(_scopes(scope))),
            "code_challenge": code_challenge,
            "code_challenge_method": code_challenge_method,
            "created_at": now,
            "expires_at": now + timedelta(seconds=request.settings.AUTHORIZATION_CODE_EXPIRES_IN),
        }
        await self._db.write_soon(lambda conn: sql.insert_code(conn, values))
        return AuthorizationCode(
            code=code,
            client_id=client_id,
            redirect_uri=redirect_uri,
            response_type=response_type,
            scope=values["scopes"],
            auth_time=_epoch(now),
            expires_in=request.settings.AUTHORIZATION_CODE_EXPIRES_IN,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
        )

    async def get_authorization_code(
        self, *, request: OAuthRequest, client_id: str, code: str
    ) -> AuthorizationCode | None:
        """The code, claimed by this exchange; None when unknown or already claimed (then the
        tokens of its first exchange are revoked: someone else holds the code)."""
        app = request.extra["app"]

        def claim(conn: Connection) -> Row[Any] | None:
            row = sql.code_by_hash(conn, app.id, digest(code))
            if row is None:
                return None
            if not sql.claim_code(conn, row.id, utcnow()):
                sql.revoke_grant(conn, row.id, utcnow())
                return None
            return row

        row = await self._db.write_soon(claim)
        if row is None:
            return None
        request.extra["grant"] = (int(row.account_id), int(row.id))
        request.extra["code_redirect_uri"] = row.redirect_uri
        return AuthorizationCode(
            code=code,
            client_id=client_id,
            redirect_uri=row.redirect_uri,
            response_type="code",
            scope=row.scopes,
            auth_time=_epoch(row.created_at),
            expires_in=_epoch(row.expires_at) - _epoch(row.created_at),
            code_challenge=row.code_challenge,
            code_challenge_method=row.code_challenge_method,
        )

    async def delete_authorization_code(
        self, *, request: OAuthRequest, client_id: str, code: str
    ) -> None:
        """Nothing to do: the claim spent the code, and its row stays to detect a replay."""

    async def create_token(
        self,
        *,
        request: OAuthRequest,
        client_id: str,
        scope: str,
        access_token: str,
        refresh_token: str | None = None,
    ) -> Token:
        """A new token pair of the grant this request works on; the library's own random
        strings are replaced by Plaudit's prefixed ones, so scanners find leaked tokens."""
        account_id, grant_id = request.extra["grant"]
        access, refresh = new_access_token(), new_refresh_token()
        now = utcnow()
        settings = request.settings
        values = {
            "app_id": request.extra["app"].id,
            "account_id": account_id,
            "grant_id": grant_id,
            "access_hash": digest(access),
            "refresh_hash": digest(refresh),
            "scopes": " ".join(sorted(_scopes(scope))),
            "issued_at": now,
            "expires_at": now + timedelta(seconds=settings.TOKEN_EXPIRES_IN),
            "refresh_expires_at": now + timedelta(seconds=settings.REFRESH_TOKEN_EXPIRES_IN),
        }
        await self._db.write_soon(lambda conn: sql.insert_token(conn, values))
        return Token(
            access_token=access,
            refresh_token=refresh,
            scope=values["scopes"],
            issued_at=_epoch(now),
            expires_in=settings.TOKEN_EXPIRES_IN,
            refresh_token_expires_in=settings.REFRESH_TOKEN_EXPIRES_IN,
            client_id=client_id,
        )

    async def get_token(
        self,
        *,
        request: OAuthRequest,
        client_id: str,
        token_type: TokenType | None = None,
        access_token: str | None = None,
        refresh_token: str | None = None,
    ) -> Token | None:
        """A token of this app by either of its values. Presenting a revoked refresh token
        to refresh revokes its whole grant: the token was stolen or the app is confused."""
        access_hash = digest(access_token) if access_token else None
        refresh_hash = digest(refresh_token) if refresh_token else None
        row = await self._read(lambda conn: sql.token_by_hash(conn, access_hash, refresh_hash))
        if row is None or row.client_id != client_id:
            return None
        refreshing = request.post.grant_type == "refresh_token"
        if refreshing and row.revoked_at is not None:
            await self._db.write_soon(lambda conn: sql.revoke_grant(conn, row.grant_id, utcnow()))
        request.extra["grant"] = (int(row.account_id), int(row.grant_id))
        request.extra["token_row"] = row
        issued = _epoch(row.issued_at)
        return Token(
            access_token=access_token or "",
            refresh_token=refresh_token,
            scope=row.scopes,
            issued_at=issued,
            expires_in=_epoch(row.expires_at) - issued,
            refresh_token_expires_in=_epoch(row.refresh_expires_at) - issued,
            client_id=row.client_id,
            revoked=row.revoked_at is not None,
        )

    async def revoke_token(
        self,
        *,
        request: OAuthRequest,
        client_id: str,
        refresh_token: str | None = None,
        token_type: TokenType | None = None,
        access_token: str | None = None,
    ) -> None:
        """Rotation retires the one token pair; revoking a refresh token (RFC 7009 2.1) ends
        the grant with all its access tokens; revoking an access token ends that token."""
        row = request.extra.get("token_row")
        if row is None:
            return
        now = utcnow()
        rotating = request.post.grant_type == "refresh_token"
        by_refresh = refresh_token is not None and digest(refresh_token) == row.refresh_hash
        if by_refresh and not rotating:
            await self._db.write_soon(lambda conn: sql.revoke_grant(conn, row.grant_id, now))
        else:
            await self._db.write_soon(lambda conn: sql.revoke_token(conn, row.id, now))


class _CodeResponse(ResponseTypeAuthorizationCode):
    """Authorization requests must carry PKCE with S256 and name the scopes they want."""

    async def validate_request(self, request: OAuthRequest) -> Client:
        client = await super().validate_request(request)
        state = request.query.state
        challenge = request.query.code_challenge or ""
        if request.query.code_challenge_method != "S256" or not _CHALLENGE.fullmatch(challenge):
            raise InvalidRequestError(
                request=request,
                description="PKCE is required: send code_challenge (43 base64url characters) "
                "and code_challenge_method=S256 (RFC 7636)",
                state=state,
            )
        if not _scopes(request.query.scope):
            raise InvalidScopeError(
                request=request, description="name the scopes the app needs", state=state
            )
        return client


class _CodeGrant(AuthorizationCodeGrantType):
    async def validate_request(self, request: OAuthRequest) -> Client:
        try:
            client = await super().validate_request(request)
        except MismatchingStateError:
            raise InvalidGrantError(
                request=request, description="code_verifier does not match the code_challenge"
            ) from None
        if request.post.redirect_uri != request.extra.get("code_redirect_uri"):
            raise InvalidGrantError(
                request=request,
                description="redirect_uri is not the one the code was issued for",
            )
        return client


class _RefreshGrant(RefreshTokenGrantType):
    async def create_token_response(self, request: OAuthRequest, client: Client) -> Any:
        asked = _scopes(request.post.scope)
        if asked:
            old = await self.storage.get_token(
                request=request,
                client_id=client.client_id,
                refresh_token=request.post.refresh_token,
                access_token=None,
                token_type="refresh_token",
            )
            if old is not None and not old.revoked and not asked <= _scopes(old.scope):
                raise InvalidScopeError(
                    request=request,
                    description=f"a refresh may only narrow the granted scopes ({old.scope})",
                )
        return await super().create_token_response(request, client)


def authorization_server(storage: PlauditStorage) -> AuthorizationServer:
    """The code flow with PKCE and refresh tokens; no implicit, password or client
    credentials grant (RFC 9700 2.1.2 and 2.4)."""
    return AuthorizationServer(
        storage,
        response_types={"code": _CodeResponse},
        grant_types={"authorization_code": _CodeGrant, "refresh_token": _RefreshGrant},
    )
