"""Third-party apps acting for a creator: registration by developers, the OAuth 2.0
authorization code flow with PKCE (through `oauth/server.py`), and the check of an app's
access token on every API call, with the same scopes and 403 `missing-scope` as API keys.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import limits
from aioauth.errors import (
    AccessDeniedError,
    InvalidClientError,
    InvalidRedirectURIError,
    MethodNotAllowedError,
    OAuth2Error,
)
from aioauth.requests import Request as OAuthRequest
from aioauth.responses import Response as OAuthResponse
from aioauth.server import AuthorizationServer
from aioauth.utils import build_error_response
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.engine import Connection, Row

from plaudit.apikeys.model import grants
from plaudit.config import Settings
from plaudit.errors import (
    AppNotFound,
    Forbidden,
    InvalidInput,
    MissingScope,
    NotAuthenticated,
    RateLimited,
)
from plaudit.oauth.model import (
    App,
    Authorization,
    digest,
    new_client_id,
    new_secret,
    parse_app_scopes,
    parse_redirect_uris,
)
from plaudit.oauth.server import Lifetimes, PlauditStorage, authorization_server
from plaudit.store import Database, utcnow
from plaudit.store import catalog as account_sql
from plaudit.store import oauth as sql

__all__ = ["CONSENTERS", "Consent", "OAuthService"]

_DEVELOPERS = ("creator", "brand", "operator")
#: Errors about the app itself are shown to the person, never sent to a redirect URI that
#: may not be the app's (RFC 6749 4.1.2.1).
_NO_REDIRECT = (MethodNotAllowedError, InvalidClientError, InvalidRedirectURIError)
#: Who may let an app act for them: the issue's apps act for creators (fans never: an app
#: must not reach a fan's personal data through the fan either).
CONSENTERS = ("creator",)


@dataclass(frozen=True)
class Consent:
    """What the consent page shows of an app."""

    name: str
    developer: str
    client_id: str


def _app(row: Row[Any]) -> App:
    return App(
        row.id,
        row.client_id,
        row.account_id,
        row.name,
        tuple(row.redirect_uris.split()),
        tuple(row.scopes.split()),
        row.secret_hash is not None,
        row.created_at,
        row.revoked_at,
    )


class OAuthService:
    """Use cases of third-party apps; each public method is one transaction."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings
        self.lifetimes = Lifetimes(
            settings.oauth_code_ttl_s, settings.oauth_access_ttl_s, settings.oauth_refresh_ttl_s
        )
        self.server: AuthorizationServer = authorization_server(PlauditStorage(db))
        self._limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))
        self._app_limit = limits.parse(settings.oauth_app_rate_limit)

    # --- apps, for their developers ---

    def register(
        self,
        account_id: int,
        name: str,
        redirect_uris: list[str],
        scopes: list[str],
        confidential: bool = False,
    ) -> tuple[App, str | None]:
        """A new app and, for a confidential one (a server that keeps a secret), its secret,
        shown this once. Public apps (in a browser or on a phone) rely on PKCE alone."""
        uris = parse_redirect_uris(redirect_uris)
        parsed = parse_app_scopes(scopes)
        if not name.strip():
            raise InvalidInput("an app needs a name people will recognise", field="name")
        secret = new_secret() if confidential else None

        def register(conn: Connection) -> tuple[App, str | None]:
            account = account_sql.get_account(conn, account_id)
            if account is None or account.kind not in _DEVELOPERS:
                raise Forbidden("apps are registered by creator, brand and operator accounts")
            values = {
                "client_id": new_client_id(),
                "secret_hash": digest(secret) if secret else None,
                "account_id": account_id,
                "name": name.strip(),
                "redirect_uris": " ".join(uris),
                "scopes": " ".join(parsed),
                "created_at": utcnow(),
            }
            row = sql.get_app(conn, sql.insert_app(conn, values))
            assert row is not None
            return _app(row), secret

        return self._db.write(register)

    def apps(self, account_id: int) -> list[App]:
        with self._db.read() as conn:
            return [_app(row) for row in sql.apps_of(conn, account_id)]

    def app(self, account_id: int, app_id: int) -> App:
        with self._db.read() as conn:
            return _app(self._own(conn, account_id, app_id))

    def retire(self, account_id: int, app_id: int) -> App:
        """Retire an app: its client id stops working and every token it holds is revoked."""

        def retire(conn: Connection) -> App:
            self._own(conn, account_id, app_id)
            sql.revoke_app(conn, app_id, utcnow())
            return _app(self._own(conn, account_id, app_id))

        return self._db.write(retire)

    def _own(self, conn: Connection, account_id: int, app_id: int) -> Row[Any]:
        row = sql.get_app(conn, app_id)
        if row is None or row.account_id != account_id:
            raise AppNotFound(f"app {app_id} does not exist or is not yours")
        return row

    # --- apps, for the people they act for ---

    def authorizations(self, account_id: int) -> list[Authorization]:
        """The apps that can act for this person now (until they, or the app, revoke), each
        with every scope its live tokens carry."""
        with self._db.read() as conn:
            rows = sql.authorizations_of(conn, account_id, utcnow())
        by_app: dict[int, Authorization] = {}
        for row in rows:
            seen = by_app.get(row.app_id)
            scopes = set(row.scopes.split()) | set(seen.scopes if seen else ())
            since = seen.since if seen else row.issued_at
            by_app[row.app_id] = Authorization(
                row.app_id, row.name, row.developer, tuple(sorted(scopes)), since, row.issued_at
            )
        return list(by_app.values())

    def withdraw(self, account_id: int, app_id: int) -> int:
        """The person takes back what they granted an app: its tokens for them stop working
        at once (every call checks the token's row). Returns how many tokens were live."""

        def withdraw(conn: Connection) -> int:
            if sql.get_app(conn, app_id) is None:
                raise AppNotFound(f"app {app_id} does not exist")
            return sql.revoke_authorization(conn, account_id, app_id, utcnow())

        return self._db.write(withdraw)

    # --- the flow ---

    def consent(self, client_id: str) -> Consent | None:
        with self._db.read() as conn:
            row = sql.app_by_client_id(conn, client_id)
        if row is None or row.revoked_at is not None:
            return None
        return Consent(row.name, row.developer, row.client_id)

    def allow_http(self, host: str) -> bool:
        """Plain http only on loopback (a developer's machine, tests) or when configured."""
        return self._settings.oauth_allow_http or host in ("127.0.0.1", "::1", "localhost")

    async def authorize(self, request: OAuthRequest, account_id: int | None) -> OAuthResponse:
        """Validate an authorization request; with `account_id` (the person allowed it) the
        redirect carries a code, without it (the person refused) `access_denied`."""
        if account_id is None:
            return await self._deny(request)
        request.extra["account_id"] = account_id
        response: OAuthResponse = await self.server.create_authorization_response(request)
        return response

    async def _deny(self, request: OAuthRequest) -> OAuthResponse:
        try:
            await self.server.validate_authorization_request(request)
        except OAuth2Error as exc:  # an invalid request is answered as the library does
            return build_error_response(exc, request, skip_redirect_on_exc=_NO_REDIRECT)
        denied = AccessDeniedError(
            request=request, description="the person refused", state=request.query.state
        )
        return build_error_response(denied, request, skip_redirect_on_exc=())

    async def check(self, request: OAuthRequest) -> OAuthResponse | None:
        """None when an authorization request may be shown for consent; else the answer to
        it: a redirect back to the app with the error, or (for an unknown app or a redirect
        URI it did not register) an error for the person only."""
        try:
            await self.server.validate_authorization_request(request)
        except OAuth2Error as exc:
            return build_error_response(exc, request, skip_redirect_on_exc=_NO_REDIRECT)
        return None

    async def token(self, request: OAuthRequest) -> OAuthResponse:
        response: OAuthResponse = await self.server.create_token_response(request)
        return response

    async def revoke(self, request: OAuthRequest) -> OAuthResponse:
        response: OAuthResponse = await self.server.revoke_token(request)
        return response

    # --- the resource server's side ---

    def authenticate(self, token: str, needed: str | None) -> int:
        """The account an app's access token acts for, when it is live and has `needed`."""
        return self.acting(token, needed)[0]

    def acting(self, token: str, needed: str | None) -> tuple[int, int]:
        """(the account, the app) of a live access token that has `needed`: what the app
        registers (webhook endpoints) is the app's own."""
        with self._db.read() as conn:
            row = sql.token_by_hash(conn, digest(token), None)
        if row is None or row.revoked_at is not None or row.app_revoked_at is not None:
            raise NotAuthenticated("the access token is not valid or was revoked")
        if row.expires_at <= utcnow():
            raise NotAuthenticated(
                f"the access token expired at {row.expires_at.isoformat()}; get a new one "
                "with the refresh token"
            )
        scopes = tuple(row.scopes.split())
        if needed is None:
            raise Forbidden("apps cannot call this operation; it needs the person's own token")
        if not grants(scopes, needed):
            raise MissingScope(
                f"this app's access token lacks the scope {needed!r}; ask the person to "
                "authorize it",
                scope=needed,
                scopes=list(scopes),
            )
        self._count(row.client_id)
        return int(row.account_id), int(row.app_id)

    def _count(self, client_id: str) -> None:
        """The per-app quota, shared by all the app's tokens (and processes, with Redis)."""
        if self._limiter.hit(self._app_limit, "oauth-app", client_id):
            return
        stats = self._limiter.get_window_stats(self._app_limit, "oauth-app", client_id)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(
            f"this app made more than {self._app_limit.amount} requests in "
            f"{self._app_limit.get_expiry()} s; retry after {wait} s",
            rule="app",
            limit=self._app_limit.amount,
            window_s=self._app_limit.get_expiry(),
            retry_after=wait,
        )
