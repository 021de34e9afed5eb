"""Accounts: sign up, read yourself, keep your profile and consent choices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from plaudit.accounts import Account, Profile
from plaudit.accounts.erasure import erase_account
from plaudit.api.deps import CurrentAccount, PlatformDep
from plaudit.api.schemas import AccountCreate, AccountCreated, AccountOut, ProfileOut, ProfilePatch
from plaudit.subjects import export_data

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["accounts"])


def account_out(account: Account) -> AccountOut:
    return AccountOut(
        id=account.id,
        handle=account.handle,
        kind=account.kind,
        display_name=account.display_name,
        created_at=account.created_at,
    )


def profile_out(profile: Profile) -> ProfileOut:
    return ProfileOut(**vars(profile))


# A plain `def`: the service waits for the writer's commit, so FastAPI runs this in its
# thread pool instead of blocking the event loop.
@router.post(
    "/accounts",
    response_model=AccountCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create a fan or creator account; returns its first bearer token",
)
def create_account(body: AccountCreate, platform: PlatformDep) -> AccountCreated:
    account, token = platform.accounts.create(body.handle, body.kind, body.display_name)
    return AccountCreated(**account_out(account).model_dump(), token=token)


@router.get("/me", response_model=AccountOut, summary="The account of the bearer token")
async def me(account_id: CurrentAccount, platform: PlatformDep) -> AccountOut:
    return account_out(platform.accounts.get(account_id))


@router.get("/me/profile", response_model=ProfileOut, summary="Your profile and consents")
async def my_profile(account_id: CurrentAccount, platform: PlatformDep) -> ProfileOut:
    return profile_out(platform.accounts.get_profile(account_id))


@router.patch(
    "/me/profile",
    response_model=ProfileOut,
    summary="Change profile fields or withdraw/give consent",
)
def update_profile(
    body: ProfilePatch, account_id: CurrentAccount, platform: PlatformDep
) -> ProfileOut:
    values = body.model_dump(exclude_unset=True)
    return profile_out(platform.accounts.update_profile(account_id, values))


@router.get(
    "/me/export",
    summary="Export your data: account, profile, likes, rewards and tokens (ids and dates)",
)
def export_me(
    account_id: CurrentAccount, platform: PlatformDep, response: Response
) -> dict[str, Any]:
    """The data-subject export; it is counted in the transparency report, not who asked."""
    response.headers["Cache-Control"] = "private, no-store"
    return export_data(platform, account_id, "api")


class TokenOut(BaseModel):
    id: int
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None


@router.get("/me/tokens", response_model=list[TokenOut], summary="Your bearer tokens (never shown)")
def my_tokens(account_id: CurrentAccount, platform: PlatformDep) -> list[TokenOut]:
    return [TokenOut(**vars(token)) for token in platform.accounts.tokens(account_id)]


@router.delete(
    "/me/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke one of your tokens (another account's id is a 404, as a missing one)",
)
def revoke_token(token_id: int, account_id: CurrentAccount, platform: PlatformDep) -> Response:
    platform.accounts.revoke_token(account_id, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/me/tokens",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke every token of yours, the one of this request included",
)
def revoke_all_tokens(account_id: CurrentAccount, platform: PlatformDep) -> Response:
    platform.accounts.revoke_token(account_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete your account: profile, tokens and ledger secret (confirm=<your handle>)",
)
def delete_me(
    account_id: CurrentAccount,
    platform: PlatformDep,
    confirm: str = Query(..., description="Your handle, to confirm: deletion cannot be undone."),
) -> Response:
    settings = platform.settings
    erase_account(platform.accounts, platform.db, settings.data_path, account_id, confirm)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
