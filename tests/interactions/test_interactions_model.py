"""Input rules of interactions: sources, IP prefixes, comment bodies, share channels."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.errors import InvalidInput
from plaudit.interactions.model import (
    BASE_SOURCES,
    MAX_COMMENT_CHARS,
    SHARE_CHANNELS,
    ip_prefix,
    validate_body,
    validate_channel,
    validate_source,
)


@pytest.mark.parametrize("source", BASE_SOURCES)
def test_base_sources_are_accepted(source: str) -> None:
    assert validate_source(source) == source


@given(st.integers(min_value=1, max_value=10**18))
def test_campaign_with_a_positive_id_is_accepted(campaign: int) -> None:
    assert validate_source(f"campaign:{campaign}") == f"campaign:{campaign}"


@pytest.mark.parametrize(
    "source",
    [
        "campaign:0",
        "campaign:-1",
        "campaign:x",
        "campaign:",
        "campaign",
        "campaign: 5",
        "campaign:05",
        "campaign:1.5",
        "Campaign:5",
        "campaign:5\n",
        "APP",
        " app",
        "bot",
        "",
    ],
)
def test_other_sources_are_rejected(source: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_source(source)
    assert caught.value.extensions == {"field": "source"}


@given(st.integers(max_value=0))
def test_campaign_ids_below_one_are_rejected(campaign: int) -> None:
    with pytest.raises(InvalidInput):
        validate_source(f"campaign:{campaign}")


@given(st.text(max_size=30))
def test_free_text_is_a_source_only_in_the_documented_forms(text: str) -> None:
    documented = text in BASE_SOURCES or (
        text.startswith("campaign:")
        and text[9:].isascii()
        and text[9:].isdigit()
        and not text[9:].startswith("0")
        and len(text[9:]) <= 19
    )
    if documented:
        assert validate_source(text) == text
    else:
        with pytest.raises(InvalidInput):
            validate_source(text)


@given(st.ip_addresses(v=4))
def test_ipv4_reduces_to_the_slash_24_containing_it(address: ipaddress.IPv4Address) -> None:
    prefix = ipaddress.ip_network(ip_prefix(str(address)))
    assert prefix.prefixlen == 24
    assert address in prefix


@given(st.ip_addresses(v=6))
def test_ipv6_reduces_to_the_slash_48_containing_it(address: ipaddress.IPv6Address) -> None:
    if address.ipv4_mapped is not None:
        return  # an IPv4 client seen through a dual-stack socket: see the test below
    prefix = ipaddress.ip_network(ip_prefix(str(address)))
    assert prefix.prefixlen == 48
    assert address in prefix


@given(st.ip_addresses(v=4))
def test_ipv4_mapped_ipv6_reduces_like_the_ipv4_address(address: ipaddress.IPv4Address) -> None:
    # A server listening on "::" sees IPv4 clients as ::ffff:a.b.c.d; their /48 would be
    # "::/48" for everyone, so every IPv4 client would look like one network.
    assert ip_prefix(f"::ffff:{address}") == ip_prefix(str(address))


def test_addresses_in_one_network_share_the_prefix() -> None:
    assert ip_prefix("203.0.113.7") == ip_prefix("203.0.113.250") == "203.0.113.0/24"
    assert ip_prefix("203.0.114.7") != ip_prefix("203.0.113.7")
    assert ip_prefix("2001:db8:1:2::1") == ip_prefix("2001:db8:1:ffff::9") == "2001:db8:1::/48"
    assert ip_prefix(" 10.1.2.3\n") == "10.1.2.0/24"


@given(st.text(max_size=60))
def test_garbage_is_invalid_input_never_a_crash(text: str) -> None:
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        with pytest.raises(InvalidInput) as caught:
            ip_prefix(text)
        assert caught.value.extensions == {"field": "ip"}
    else:
        assert "/" in ip_prefix(text)


@pytest.mark.parametrize("text", ["", "localhost", "1.2.3", "1.2.3.256", "::g", "1.2.3.4/24"])
def test_non_addresses_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput):
        ip_prefix(text)


@given(st.text(max_size=MAX_COMMENT_CHARS + 50))
def test_body_is_stripped_and_limited_to_2000_characters(text: str) -> None:
    stripped = text.strip()
    if stripped and len(stripped) <= MAX_COMMENT_CHARS:
        assert validate_body(text) == stripped
    else:
        with pytest.raises(InvalidInput) as caught:
            validate_body(text)
        assert caught.value.extensions == {"field": "body"}


def test_body_limits_count_characters_after_stripping() -> None:
    assert MAX_COMMENT_CHARS == 2000
    assert validate_body("  " + "好" * 2000 + "\n") == "好" * 2000
    with pytest.raises(InvalidInput, match="2001"):
        validate_body("x" * 2001)
    with pytest.raises(InvalidInput, match="empty"):
        validate_body(" \t\n ")


@pytest.mark.parametrize("channel", SHARE_CHANNELS)
def test_known_channels_are_accepted(channel: str) -> None:
    assert validate_channel(channel) == channel


@pytest.mark.parametrize("channel", ["", "WeChat", "twitter", "link "])
def test_other_channels_are_rejected(channel: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_channel(channel)
    assert caught.value.extensions == {"field": "channel"}
