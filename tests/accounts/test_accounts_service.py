"""AccountService: create accounts, issue and check tokens, keep profiles."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from plaudit.accounts import AccountService, Profile
from plaudit.accounts.tokens import new_token
from plaudit.errors import AccountNotFound, HandleTaken, InvalidInput, NotAuthenticated
from plaudit.platform import Platform
from plaudit.store import tables


def _count_accounts(platform: Platform) -> int:
    with platform.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.accounts)).scalar_one())


def test_create_returns_the_account_and_a_token_that_authenticates(platform: Platform) -> None:
    account, token = platform.accounts.create("alice", "creator", "Alice")
    assert (account.handle, account.kind, account.display_name) == ("alice", "creator", "Alice")
    assert account.created_at.tzinfo is not None
    assert platform.accounts.authenticate(token) == account.id
    assert platform.accounts.get(account.id) == account


def test_accounts_default_to_fans(platform: Platform) -> None:
    account, _ = platform.accounts.create("bob")
    assert account.kind == "fan"


def test_each_account_gets_its_own_token(platform: Platform) -> None:
    first, first_token = platform.accounts.create("first")
    second, second_token = platform.accounts.create("second")
    assert first.id != second.id
    assert platform.accounts.authenticate(first_token) == first.id
    assert platform.accounts.authenticate(second_token) == second.id


def test_duplicate_handle_is_taken_and_creates_nothing(platform: Platform) -> None:
    platform.accounts.create("carol")
    with pytest.raises(HandleTaken) as caught:
        platform.accounts.create("carol", "creator")
    assert caught.value.extensions == {"handle": "carol"}
    assert _count_accounts(platform) == 1


@pytest.mark.parametrize(("handle", "kind"), [("no spaces", "fan"), ("dave", "admin")])
def test_invalid_handle_or_kind_creates_nothing(platform: Platform, handle: str, kind: str) -> None:
    with pytest.raises(InvalidInput):
        platform.accounts.create(handle, kind)
    assert _count_accounts(platform) == 0


def test_issued_tokens_are_new_and_earlier_tokens_stay_valid(platform: Platform) -> None:
    account, first = platform.accounts.create("erin")
    second = platform.accounts.issue_token(account.id)
    assert second != first
    assert platform.accounts.authenticate(first) == account.id
    assert platform.accounts.authenticate(second) == account.id


def test_issuing_a_token_for_a_missing_account_fails(platform: Platform) -> None:
    with pytest.raises(AccountNotFound):
        platform.accounts.issue_token(404)


@pytest.mark.parametrize(
    "token",
    ["", "pl_", "Bearer pl_abc", "abc", "PL_" + "a" * 43, "pl_" + "a" * 200],
)
def test_malformed_tokens_are_not_authenticated(platform: Platform, token: str) -> None:
    platform.accounts.create("frank")
    with pytest.raises(NotAuthenticated):
        platform.accounts.authenticate(token)


def test_a_forged_token_of_the_right_shape_is_not_authenticated(platform: Platform) -> None:
    _, token = platform.accounts.create("grace")
    with pytest.raises(NotAuthenticated):
        platform.accounts.authenticate(new_token())
    with pytest.raises(NotAuthenticated):
        platform.accounts.authenticate(token[:-1] + ("A" if token[-1] != "A" else "B"))
    with pytest.raises(NotAuthenticated):
        platform.accounts.authenticate(token + "x")


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=150))
def test_any_other_text_is_not_authenticated(platform: Platform, text: str) -> None:
    with pytest.raises(NotAuthenticated):
        platform.accounts.authenticate(text)


def test_get_of_a_missing_account_fails(platform: Platform) -> None:
    with pytest.raises(AccountNotFound):
        platform.accounts.get(12345)


def test_a_new_profile_is_empty_with_consent_given(platform: Platform) -> None:
    account, _ = platform.accounts.create("heidi")
    assert platform.accounts.get_profile(account.id) == Profile(
        account.id, None, None, None, None, None, None, True, True
    )


def test_partial_profile_updates_keep_the_other_fields(platform: Platform) -> None:
    account, _ = platform.accounts.create("ivan")
    service: AccountService = platform.accounts
    service.update_profile(account.id, {"birth_year": 1990, "gender": "female", "city": "Chengdu"})
    service.update_profile(account.id, {"city_tier": "new1", "consent_targeting": False})
    profile = service.update_profile(account.id, {"spending_band": "3000-5000"})
    assert profile == Profile(
        account.id, 1990, "female", None, "Chengdu", "new1", "3000-5000", True, False
    )
    assert service.get_profile(account.id) == profile


def test_a_field_can_be_cleared_with_none(platform: Platform) -> None:
    account, _ = platform.accounts.create("judy")
    platform.accounts.update_profile(account.id, {"gender": "male", "birth_year": 2000})
    profile = platform.accounts.update_profile(account.id, {"gender": None})
    assert (profile.gender, profile.birth_year) == (None, 2000)


def test_an_invalid_profile_update_changes_nothing(platform: Platform) -> None:
    account, _ = platform.accounts.create("kim")
    platform.accounts.update_profile(account.id, {"gender": "other"})
    with pytest.raises(InvalidInput):
        platform.accounts.update_profile(account.id, {"gender": "male", "birth_year": 1800})
    assert platform.accounts.get_profile(account.id).gender == "other"


def test_profiles_of_missing_accounts_fail(platform: Platform) -> None:
    with pytest.raises(AccountNotFound):
        platform.accounts.get_profile(77)
    with pytest.raises(AccountNotFound):
        platform.accounts.update_profile(77, {"gender": "other"})
