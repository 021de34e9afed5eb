"""The token cache: valid tokens are remembered for a while, forged ones never are."""

from __future__ import annotations

import time

import pytest

from plaudit.accounts.tokens import TokenCache, hash_token, new_token
from plaudit.errors import NotAuthenticated
from plaudit.platform import Platform


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(time, "monotonic", fake)
    return fake


def test_entries_live_for_the_ttl(clock: Clock) -> None:
    cache = TokenCache(ttl_s=30)
    key = hash_token(new_token())
    assert cache.get(key) is None
    cache.put(key, 7)
    assert cache.get(key) == 7
    clock.now += 29.9
    assert cache.get(key) == 7
    clock.now += 0.2
    assert cache.get(key) is None


def test_the_cache_stays_bounded(clock: Clock) -> None:
    cache = TokenCache(ttl_s=30, max_entries=3)
    keys = [hash_token(new_token()) for _ in range(5)]
    for number, key in enumerate(keys):
        cache.put(key, number)
    assert sum(cache.get(key) is not None for key in keys) <= 3
    assert cache.get(keys[-1]) == 4


def test_a_forged_token_is_refused_every_time(platform: Platform) -> None:
    forged = new_token()
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            platform.accounts.authenticate(forged)


def test_a_cached_token_still_names_its_own_account(platform: Platform) -> None:
    first, first_token = platform.accounts.create("first")
    second, second_token = platform.accounts.create("second")
    for _ in range(3):
        assert platform.accounts.authenticate(first_token) == first.id
        assert platform.accounts.authenticate(second_token) == second.id
