"""`Client` (blocking) and `AsyncClient` (asyncio): the same methods, each one request or
one paginated walk. `request` reaches every operation; the typed methods cover the common
ones."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from plaudit.client.core import RateLimit, Retry, result
from plaudit.client.models import (
    Account,
    ApiKey,
    Delivery,
    Like,
    Tokens,
    Video,
    WebhookEndpoint,
    from_json,
)

__all__ = ["AsyncClient", "Client"]


def _headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


class Client:
    """A blocking client; use it as a context manager (it holds a connection pool)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        retries: int = 4,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url, headers=_headers(token), timeout=timeout_s, transport=transport
        )
        self._retries = retries
        self.rate_limit: RateLimit | None = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        form: dict[str, str] | None = None,
    ) -> Any:
        """One operation, retried on 429/503/network errors after Retry-After."""
        retry = Retry.start(method.upper(), self._retries, idempotency_key)
        while True:
            try:
                response = self._http.request(
                    method, path, json=json, params=params, data=form, headers=retry.headers()
                )
            except httpx.TransportError:
                wait = retry.wait_after(None)
                if wait is None:
                    raise
                time.sleep(wait)
                continue
            self.rate_limit = RateLimit.of(response) or self.rate_limit
            wait = retry.wait_after(response)
            if wait is None:
                return result(response)
            time.sleep(wait)

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a cursor-paginated list, page after page."""
        query = dict(params or {})
        while True:
            page = self.request("GET", path, params=query)
            yield from page["items"]
            if not page.get("next_cursor"):
                return
            query["cursor"] = page["next_cursor"]

    def create_account(self, handle: str, kind: str = "fan") -> tuple[Account, str]:
        made = self.request("POST", "/v1/accounts", json={"handle": handle, "kind": kind})
        return from_json(Account, made), str(made["token"])

    def me(self) -> Account:
        return from_json(Account, self.request("GET", "/v1/me"))

    def videos(self, creator_id: int | None = None, page_size: int = 50) -> Iterator[Video]:
        params: dict[str, Any] = {"limit": page_size}
        if creator_id is not None:
            params["creator_id"] = creator_id
        for item in self.paginate("/v1/videos", params):
            yield from_json(Video, item)

    def video(self, video_id: int) -> Video:
        return from_json(Video, self.request("GET", f"/v1/videos/{video_id}"))

    def publish_video(self, title: str, category: str, duration_s: int | None = None) -> Video:
        body: dict[str, Any] = {"title": title, "category": category}
        if duration_s is not None:
            body["duration_s"] = duration_s
        return from_json(Video, self.request("POST", "/v1/videos", json=body))

    def like(self, video_id: int, idempotency_key: str | None = None) -> Like:
        path = f"/v1/videos/{video_id}/likes"
        return from_json(Like, self.request("POST", path, idempotency_key=idempotency_key))

    def unlike(self, video_id: int) -> Like:
        return from_json(Like, self.request("DELETE", f"/v1/videos/{video_id}/likes"))

    def likes(self, account_id: int, page_size: int = 50) -> Iterator[Like]:
        path = f"/v1/accounts/{account_id}/likes"
        for item in self.paginate(path, {"limit": page_size}):
            yield from_json(Like, item)

    def create_api_key(self, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
        made = self.request("POST", "/v1/api-keys", json={"name": name, "scopes": scopes})
        return from_json(ApiKey, made), str(made["key"])

    def follow(self, creator_id: int) -> dict[str, Any]:
        follow: dict[str, Any] = self.request("POST", f"/v1/creators/{creator_id}/follows")
        return follow

    def comment(self, video_id: int, body: str) -> dict[str, Any]:
        path = f"/v1/videos/{video_id}/comments"
        comment: dict[str, Any] = self.request("POST", path, json={"body": body})
        return comment

    def create_webhook_endpoint(
        self,
        url: str,
        events: list[str],
        organisation_id: int | None = None,
        signature: str = "v1",
    ) -> tuple[WebhookEndpoint, str]:
        """A new endpoint and what to verify its webhooks with (`verify_webhook`)."""
        body: dict[str, Any] = {"url": url, "events": events, "signature": signature}
        if organisation_id is not None:
            body["organisation_id"] = organisation_id
        made = self.request("POST", "/v1/webhooks/endpoints", json=body)
        return from_json(WebhookEndpoint, made), str(made["secret"])

    def webhook_endpoints(self, organisation_id: int | None = None) -> list[WebhookEndpoint]:
        params = {"organisation_id": organisation_id} if organisation_id else None
        found = self.request("GET", "/v1/webhooks/endpoints", params=params)
        return [from_json(WebhookEndpoint, item) for item in found]

    def send_test_webhook(self, endpoint_id: int) -> int:
        queued = self.request("POST", f"/v1/webhooks/endpoints/{endpoint_id}/test")
        return int(queued["message_id"])

    def webhook_deliveries(self, endpoint_id: int) -> list[Delivery]:
        log = self.request("GET", f"/v1/webhooks/endpoints/{endpoint_id}/deliveries")
        return [from_json(Delivery, item) for item in log]

    def exchange_code(
        self,
        client_id: str,
        code: str,
        redirect_uri: str,
        code_verifier: str,
        client_secret: str | None = None,
    ) -> Tokens:
        """An app's tokens for the code its redirect URI received (OAuth 2.0 with PKCE)."""
        form = _code_form(client_id, code, redirect_uri, code_verifier, client_secret)
        return from_json(Tokens, self.request("POST", "/v1/oauth/token", form=form))

    def refresh_tokens(
        self, client_id: str, refresh_token: str, client_secret: str | None = None
    ) -> Tokens:
        """New tokens; the refresh token sent stops working (rotation): keep the new one."""
        form = _refresh_form(client_id, refresh_token, client_secret)
        return from_json(Tokens, self.request("POST", "/v1/oauth/token", form=form))

    def revoke_token(self, client_id: str, token: str, client_secret: str | None = None) -> None:
        """Revoke an access or refresh token (a refresh token ends the whole grant)."""
        form = _with_secret({"client_id": client_id, "token": token}, client_secret)
        self.request("POST", "/v1/oauth/revoke", form=form)


class AsyncClient:
    """The same as `Client` for asyncio; `async with AsyncClient(...) as plaudit:`."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        retries: int = 4,
        timeout_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, headers=_headers(token), timeout=timeout_s, transport=transport
        )
        self._retries = retries
        self.rate_limit: RateLimit | None = None

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        form: dict[str, str] | None = None,
    ) -> Any:
        retry = Retry.start(method.upper(), self._retries, idempotency_key)
        while True:
            try:
                response = await self._http.request(
                    method, path, json=json, params=params, data=form, headers=retry.headers()
                )
            except httpx.TransportError:
                wait = retry.wait_after(None)
                if wait is None:
                    raise
                await asyncio.sleep(wait)
                continue
            self.rate_limit = RateLimit.of(response) or self.rate_limit
            wait = retry.wait_after(response)
            if wait is None:
                return result(response)
            await asyncio.sleep(wait)

    async def paginate(self, path: str, params: dict[str, Any] | None = None) -> AsyncIterator[Any]:
        query = dict(params or {})
        while True:
            page = await self.request("GET", path, params=query)
            for item in page["items"]:
                yield item
            if not page.get("next_cursor"):
                return
            query["cursor"] = page["next_cursor"]

    async def create_account(self, handle: str, kind: str = "fan") -> tuple[Account, str]:
        made = await self.request("POST", "/v1/accounts", json={"handle": handle, "kind": kind})
        return from_json(Account, made), str(made["token"])

    async def me(self) -> Account:
        return from_json(Account, await self.request("GET", "/v1/me"))

    async def videos(
        self, creator_id: int | None = None, page_size: int = 50
    ) -> AsyncIterator[Video]:
        params: dict[str, Any] = {"limit": page_size}
        if creator_id is not None:
            params["creator_id"] = creator_id
        async for item in self.paginate("/v1/videos", params):
            yield from_json(Video, item)

    async def video(self, video_id: int) -> Video:
        return from_json(Video, await self.request("GET", f"/v1/videos/{video_id}"))

    async def publish_video(
        self, title: str, category: str, duration_s: int | None = None
    ) -> Video:
        body: dict[str, Any] = {"title": title, "category": category}
        if duration_s is not None:
            body["duration_s"] = duration_s
        return from_json(Video, await self.request("POST", "/v1/videos", json=body))

    async def like(self, video_id: int, idempotency_key: str | None = None) -> Like:
        path = f"/v1/videos/{video_id}/likes"
        return from_json(Like, await self.request("POST", path, idempotency_key=idempotency_key))

    async def unlike(self, video_id: int) -> Like:
        return from_json(Like, await self.request("DELETE", f"/v1/videos/{video_id}/likes"))

    async def likes(self, account_id: int, page_size: int = 50) -> AsyncIterator[Like]:
        async for item in self.paginate(f"/v1/accounts/{account_id}/likes", {"limit": page_size}):
            yield from_json(Like, item)

    async def create_api_key(self, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
        made = await self.request("POST", "/v1/api-keys", json={"name": name, "scopes": scopes})
        return from_json(ApiKey, made), str(made["key"])

    async def follow(self, creator_id: int) -> dict[str, Any]:
        follow: dict[str, Any] = await self.request("POST", f"/v1/creators/{creator_id}/follows")
        return follow

    async def comment(self, video_id: int, body: str) -> dict[str, Any]:
        path = f"/v1/videos/{video_id}/comments"
        comment: dict[str, Any] = await self.request("POST", path, json={"body": body})
        return comment

    async def create_webhook_endpoint(
        self,
        url: str,
        events: list[str],
        organisation_id: int | None = None,
        signature: str = "v1",
    ) -> tuple[WebhookEndpoint, str]:
        """A new endpoint and what to verify its webhooks with (`verify_webhook`)."""
        body: dict[str, Any] = {"url": url, "events": events, "signature": signature}
        if organisation_id is not None:
            body["organisation_id"] = organisation_id
        made = await self.request("POST", "/v1/webhooks/endpoints", json=body)
        return from_json(WebhookEndpoint, made), str(made["secret"])

    async def webhook_endpoints(self, organisation_id: int | None = None) -> list[WebhookEndpoint]:
        params = {"organisation_id": organisation_id} if organisation_id else None
        found = await self.request("GET", "/v1/webhooks/endpoints", params=params)
        return [from_json(WebhookEndpoint, item) for item in found]

    async def send_test_webhook(self, endpoint_id: int) -> int:
        queued = await self.request("POST", f"/v1/webhooks/endpoints/{endpoint_id}/test")
        return int(queued["message_id"])

    async def webhook_deliveries(self, endpoint_id: int) -> list[Delivery]:
        log = await self.request("GET", f"/v1/webhooks/endpoints/{endpoint_id}/deliveries")
        return [from_json(Delivery, item) for item in log]

    async def exchange_code(
        self,
        client_id: str,
        code: str,
        redirect_uri: str,
        code_verifier: str,
        client_secret: str | None = None,
    ) -> Tokens:
        """An app's tokens for the code its redirect URI received (OAuth 2.0 with PKCE)."""
        form = _code_form(client_id, code, redirect_uri, code_verifier, client_secret)
        return from_json(Tokens, await self.request("POST", "/v1/oauth/token", form=form))

    async def refresh_tokens(
        self, client_id: str, refresh_token: str, client_secret: str | None = None
    ) -> Tokens:
        """New tokens; the refresh token sent stops working (rotation): keep the new one."""
        form = _refresh_form(client_id, refresh_token, client_secret)
        return from_json(Tokens, await self.request("POST", "/v1/oauth/token", form=form))

    async def revoke_token(
        self, client_id: str, token: str, client_secret: str | None = None
    ) -> None:
        """Revoke an access or refresh token (a refresh token ends the whole grant)."""
        form = _with_secret({"client_id": client_id, "token": token}, client_secret)
        await self.request("POST", "/v1/oauth/revoke", form=form)


def _with_secret(form: dict[str, str], client_secret: str | None) -> dict[str, str]:
    return {**form, "client_secret": client_secret} if client_secret else form


def _code_form(
    client_id: str, code: str, redirect_uri: str, verifier: str, client_secret: str | None
) -> dict[str, str]:
    form = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    return _with_secret(form, client_secret)


def _refresh_form(client_id: str, refresh_token: str, client_secret: str | None) -> dict[str, str]:
    form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token}
    return _with_secret(form, client_secret)
