"""App registration rules: redirect URIs (https, or http on loopback; no fragment), the
scopes an app may hold, and credentials scanners can find."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.apikeys.model import RESOURCES
from plaudit.errors import InvalidInput
from plaudit.oauth import APP_RESOURCES, TOKEN_PATTERN, parse_app_scopes
from plaudit.oauth.model import (
    new_access_token,
    new_refresh_token,
    new_secret,
    parse_redirect_uris,
)

HOSTS = st.from_regex(r"[a-z][a-z0-9-]{0,20}\.example", fullmatch=True)
PATHS = st.from_regex(r"(/[a-z0-9_-]{1,10}){0,3}", fullmatch=True)


@given(HOSTS, PATHS)
def test_https_uris_are_kept_exactly(host: str, path: str) -> None:
    uri = f"https://{host}{path}"
    assert parse_redirect_uris([uri, uri]) == (uri,)


@given(HOSTS, PATHS)
def test_plain_http_is_only_for_loopback(host: str, path: str) -> None:
    with pytest.raises(InvalidInput, match="redirect URI"):
        parse_redirect_uris([f"http://{host}{path}"])
    for loopback in ("127.0.0.1:8765", "[::1]:9000", "localhost"):
        assert parse_redirect_uris([f"http://{loopback}{path}"])


@pytest.mark.parametrize(
    "uri",
    ["https://a.example/cb#frag", "app.example/cb", "javascript:alert(1)", "https:///cb", ""],
)
def test_fragments_relative_and_other_schemes_are_refused(uri: str) -> None:
    with pytest.raises(InvalidInput, match="redirect URI"):
        parse_redirect_uris([uri])


def test_an_app_needs_one_to_ten_redirect_uris() -> None:
    with pytest.raises(InvalidInput, match="1 to 10"):
        parse_redirect_uris([])
    with pytest.raises(InvalidInput, match="1 to 10"):
        parse_redirect_uris([f"https://a.example/{n}" for n in range(11)])


@given(st.sampled_from(RESOURCES), st.sampled_from(("read", "write")))
def test_apps_hold_only_scopes_that_never_reach_other_peoples_data(
    resource: str, access: str
) -> None:
    scope = f"{resource}:{access}"
    if resource in APP_RESOURCES:
        assert parse_app_scopes([scope]) == (scope,)
    else:
        with pytest.raises(InvalidInput, match=scope):
            parse_app_scopes([scope])


def test_fans_data_scopes_are_not_app_scopes() -> None:
    for resource in ("verdicts", "creators", "experiments", "bulk", "campaigns", "coupons"):
        assert resource not in APP_RESOURCES


def test_credentials_match_the_scanner_pattern_and_differ() -> None:
    made = [new_access_token(), new_refresh_token(), new_secret()]
    assert all(TOKEN_PATTERN.fullmatch(value) for value in made)
    assert [value[:11] for value in made] == ["plaudit_at_", "plaudit_rt_", "plaudit_cs_"]
    assert len(set(made)) == 3
