"""/v1/apps (third-party apps, registered by their developers) and the OAuth 2.0 token and
revocation endpoints (RFC 6749 section 3.2, RFC 7009). The consent page, the authorization
endpoint, is the console's (`web/pages/consent.py`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aioauth.responses import Response as OAuthResponse
from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from plaudit.api.deps import CurrentAccount, PlatformDep, platform_of
from plaudit.oauth import APP_RESOURCES, App
from plaudit.oauth.server import oauth_request

__all__ = ["FORM_FIELDS", "router", "to_response"]

router = APIRouter(tags=["third-party apps"])


class AppIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        ..., min_length=1, max_length=64, description="Shown to people on the consent page."
    )
    redirect_uris: list[str] = Field(
        ...,
        min_length=1,
        max_length=10,
        description="Exact URIs the code may be sent to: https, or http on a loopback host.",
    )
    scopes: list[str] = Field(
        ...,
        min_length=1,
        max_length=64,
        description=f"The most the app may ask for: RESOURCE:read or RESOURCE:write with "
        f"RESOURCE one of {', '.join(APP_RESOURCES)}.",
    )
    confidential: bool = Field(
        False,
        description="A server that can keep a secret gets `client_secret`; apps in a browser "
        "or on a phone are public and rely on PKCE alone.",
    )


class AppOut(BaseModel):
    id: int
    client_id: str = Field(..., description="Public: the `client_id` of the OAuth requests.")
    account_id: int = Field(..., description="The developer's account.")
    name: str
    redirect_uris: list[str]
    scopes: list[str]
    confidential: bool
    created_at: datetime
    revoked_at: datetime | None = Field(..., description="Retired: every token was revoked.")


class AppCreated(AppOut):
    client_secret: str | None = Field(
        ..., description="A confidential app's secret, shown this once; null for public apps."
    )


def app_out(app: App) -> AppOut:
    values = vars(app)
    return AppOut(
        **{**values, "redirect_uris": list(app.redirect_uris), "scopes": list(app.scopes)}
    )


@router.post(
    "/v1/apps",
    response_model=AppCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Register a third-party app (an OAuth 2.0 client)",
)
def register_app(body: AppIn, account_id: CurrentAccount, platform: PlatformDep) -> AppCreated:
    app, secret = platform.oauth.register(
        account_id, body.name, body.redirect_uris, body.scopes, body.confidential
    )
    return AppCreated(**app_out(app).model_dump(), client_secret=secret)


@router.get("/v1/apps", response_model=list[AppOut], summary="The apps you registered")
def list_apps(account_id: CurrentAccount, platform: PlatformDep) -> list[AppOut]:
    return [app_out(app) for app in platform.oauth.apps(account_id)]


@router.get("/v1/apps/{app_id}", response_model=AppOut, summary="One of your apps")
def get_app(app_id: int, account_id: CurrentAccount, platform: PlatformDep) -> AppOut:
    return app_out(platform.oauth.app(account_id, app_id))


@router.delete(
    "/v1/apps/{app_id}", response_model=AppOut, summary="Retire an app and revoke its tokens"
)
def retire_app(app_id: int, account_id: CurrentAccount, platform: PlatformDep) -> AppOut:
    return app_out(platform.oauth.retire(account_id, app_id))


#: The form of the token and revocation requests, for the OpenAPI document.
FORM_FIELDS: dict[str, dict[str, Any]] = {
    "grant_type": {"type": "string", "enum": ["authorization_code", "refresh_token"]},
    "code": {"type": "string", "description": "The code from the redirect."},
    "redirect_uri": {"type": "string", "description": "The one the code was issued for."},
    "code_verifier": {
        "type": "string",
        "description": "PKCE (RFC 7636): the secret behind the code_challenge.",
    },
    "refresh_token": {"type": "string"},
    "scope": {"type": "string", "description": "Refresh only: narrow the granted scopes."},
    "client_id": {"type": "string"},
    "client_secret": {"type": "string", "description": "Confidential apps (or HTTP Basic)."},
    "token": {"type": "string", "description": "Revocation: the token to revoke."},
    "token_type_hint": {"type": "string", "enum": ["access_token", "refresh_token"]},
}


def _form_body(*names: str) -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {name: FORM_FIELDS[name] for name in names},
    }
    return {
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": schema}},
        }
    }


def _invalid_request(description: str) -> Response:
    body = json.dumps({"error": "invalid_request", "error_description": description})
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    return Response(body, 400, headers=headers, media_type="application/json")


def _unprintable(fields: dict[str, str]) -> str | None:
    """The first parameter holding a control character (no OAuth value has one, and the
    databases refuse NUL), or None."""
    return next((k for k, v in fields.items() if not v.isprintable()), None)


async def _fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _oauth(request: Request, fields: dict[str, str]) -> Any:
    platform = platform_of(request)
    return oauth_request(
        request.method,
        str(request.url),
        dict(request.headers),
        {},
        fields,
        platform.oauth.lifetimes,
        platform.oauth.allow_http(request.url.hostname or ""),
    )


def to_response(answer: OAuthResponse) -> Response:
    """The library's answer as Starlette's; error bodies as RFC 6749 section 5.2 names them
    (`error_description`), and revocation's success as RFC 7009 2.2's 200."""
    headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-type"}
    content = dict(answer.content)
    if "error" in content:
        description = content.pop("description", "")
        content.pop("error_uri", None)
        if description:
            content["error_description"] = description
    status_code = int(answer.status_code)
    if status_code == 204:
        return Response(status_code=200, headers=headers)
    body = json.dumps(content).encode()
    return Response(body, status_code, headers=headers, media_type="application/json")


@router.post(
    "/v1/oauth/token",
    summary="Exchange a code, or a refresh token, for tokens (RFC 6749 4.1.3, 6)",
    openapi_extra=_form_body(
        "grant_type",
        "code",
        "redirect_uri",
        "code_verifier",
        "refresh_token",
        "scope",
        "client_id",
        "client_secret",
    ),
    response_model=None,
)
async def token(request: Request) -> Response:
    fields = await _fields(request)
    if bad := _unprintable(fields):
        return _invalid_request(f"{bad} holds a control character")
    return to_response(await platform_of(request).oauth.token(_oauth(request, fields)))


@router.post(
    "/v1/oauth/revoke",
    summary="Revoke an access or refresh token (RFC 7009)",
    openapi_extra=_form_body("token", "token_type_hint", "client_id", "client_secret"),
    response_model=None,
)
async def revoke(request: Request) -> Response:
    fields = await _fields(request)
    if bad := _unprintable(fields):
        return _invalid_request(f"{bad} holds a control character")
    return to_response(await platform_of(request).oauth.revoke(_oauth(request, fields)))
