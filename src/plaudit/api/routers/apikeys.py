"""/v1/api-keys: scoped API keys, made and revoked with an account token (never with a key)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from plaudit.api.deps import CurrentAccount, PlatformDep
from plaudit.apikeys import ApiKey

__all__ = ["router"]

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"])


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=64, description="What the key is for.")
    scopes: list[str] = Field(
        ...,
        min_length=1,
        max_length=64,
        description="`RESOURCE:read` or `RESOURCE:write` (write implies read), e.g. likes:read.",
    )
    organisation_id: int | None = Field(
        None, ge=1, description="Make the organisation's key (you must be one of its owners)."
    )
    expires_at: AwareDatetime | None = Field(None, description="Never, when left out.")


class ApiKeyOut(BaseModel):
    id: int
    account_id: int = Field(..., description="The account the key acts as (its maker).")
    organisation_id: int | None
    name: str
    prefix: str = Field(..., description="The key's first characters, to recognise it.")
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(..., description="Updated at most once a minute.")


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(..., description="The secret, shown this once: only its SHA-256 is kept.")


def key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(**{**vars(key), "scopes": list(key.scopes)})


# Plain `def`s: the service waits for the writer's commit, so FastAPI runs them in its pool.
@router.post(
    "",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Make a scoped API key; the secret is in this answer only",
)
def create_key(body: ApiKeyIn, account_id: CurrentAccount, platform: PlatformDep) -> ApiKeyCreated:
    key, secret = platform.apikeys.create(
        account_id, body.name, body.scopes, body.organisation_id, body.expires_at
    )
    return ApiKeyCreated(**key_out(key).model_dump(), key=secret)


@router.get("", response_model=list[ApiKeyOut], summary="Your keys, or an organisation's")
def list_keys(
    account_id: CurrentAccount,
    platform: PlatformDep,
    organisation_id: int | None = Query(None, ge=1, description="An organisation you own."),
) -> list[ApiKeyOut]:
    return [key_out(k) for k in platform.apikeys.keys(account_id, organisation_id)]


@router.get("/{key_id}", response_model=ApiKeyOut, summary="One key, with its last use")
def get_key(key_id: int, account_id: CurrentAccount, platform: PlatformDep) -> ApiKeyOut:
    return key_out(platform.apikeys.key(account_id, key_id))


@router.delete("/{key_id}", response_model=ApiKeyOut, summary="Revoke a key, at once")
def revoke_key(key_id: int, account_id: CurrentAccount, platform: PlatformDep) -> ApiKeyOut:
    return key_out(platform.apikeys.revoke(account_id, key_id))
