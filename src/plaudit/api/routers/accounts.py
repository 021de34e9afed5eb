"""Accounts: sign up, read yourself, keep your profile and consent choices."""

from __future__ import annotations

from fastapi import APIRouter, status

from plaudit.accounts import Account, Profile
from plaudit.api.deps import CurrentAccount, PlatformDep
from plaudit.api.schemas import AccountCreate, AccountCreated, AccountOut, ProfileOut, ProfilePatch

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
