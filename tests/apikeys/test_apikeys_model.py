"""Key format and scopes: a key is recognisable, scopes are validated, write implies read."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.apikeys import KEY_PATTERN, KEY_PREFIX, grants, parse_scopes
from plaudit.apikeys.model import RESOURCES, hash_key, new_key
from plaudit.errors import InvalidInput

SCOPES = st.builds(
    lambda r, a: f"{r}:{a}", st.sampled_from(RESOURCES), st.sampled_from(("read", "write"))
)


def test_a_new_key_matches_the_pattern_scanners_use() -> None:
    secret, prefix = new_key()
    assert secret.startswith(KEY_PREFIX)
    assert KEY_PATTERN.fullmatch(secret)
    assert KEY_PATTERN.search(f"leaked in a log: {secret}.")
    assert secret.startswith(prefix)
    assert len(prefix) < len(secret) // 2
    assert hash_key(secret) != hash_key(new_key()[0])


@given(st.lists(SCOPES, min_size=1))
def test_parsed_scopes_are_sorted_and_unique(scopes: list[str]) -> None:
    parsed = parse_scopes(scopes)
    assert list(parsed) == sorted(set(scopes))


@given(SCOPES)
def test_write_implies_read_and_never_the_reverse(scope: str) -> None:
    resource, _, access = scope.partition(":")
    assert grants((scope,), scope)
    assert grants((scope,), f"{resource}:read")
    assert grants((scope,), f"{resource}:write") == (access == "write")


@given(SCOPES, SCOPES)
def test_a_scope_never_grants_another_resource(have: str, need: str) -> None:
    if have.partition(":")[0] != need.partition(":")[0]:
        assert not grants((have,), need)


@pytest.mark.parametrize("bad", ["likes", "likes:delete", "money:write", "", "likes:read:x"])
def test_a_bad_scope_is_named_with_what_is_accepted(bad: str) -> None:
    with pytest.raises(InvalidInput, match="RESOURCE:read or RESOURCE:write") as info:
        parse_scopes([bad])
    assert repr(bad) in str(info.value)


def test_a_key_needs_a_scope() -> None:
    with pytest.raises(InvalidInput, match="at least one scope"):
        parse_scopes([])
