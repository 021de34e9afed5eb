"""The attack SPEC: examples parse to the attacks they name, bad specs say what is wrong."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.authenticity import Attack
from plaudit.authenticity.attacks import CAMOUFLAGES, KINDS, LIMITS, OWN_ACCOUNTS
from plaudit.authenticity.spec import format_spec, parse_spec
from plaudit.errors import InvalidInput


def test_the_documented_examples_parse() -> None:
    assert parse_spec("farm:200x200:d=0.1:camo=popular") == [
        Attack("farm", 200, 200, 0.1, "popular")
    ]
    two = parse_spec(" farm:50x20:d=0.5 , ring:20:density=0.3 ")
    assert two == [Attack("farm", 50, 20, 0.5), Attack("ring", 20, 0, 0.3)]
    (hijack,) = parse_spec("hijack:50x30:d=0.3:window=900")
    assert (hijack.kind, hijack.accounts, hijack.videos, hijack.window) == ("hijack", 50, 30, 900)
    (drip,) = parse_spec("slow_drip:200x200:d=0.1:days=21")
    assert drip.days == 21
    assert drip.camouflage == "none"
    assert parse_spec("device_farm")[0] == Attack("device_farm")


@st.composite
def attacks(draw: st.DrawFn) -> Attack:
    kind = draw(st.sampled_from(KINDS))
    camouflage = "none" if kind in OWN_ACCOUNTS else draw(st.sampled_from(CAMOUFLAGES))
    ints = {name: draw(st.integers(low, min(high, 10**6))) for name, (low, high) in LIMITS.items()}
    if kind == "ring":
        ints["videos"] = 0
    density = draw(st.floats(min_value=1e-6, max_value=1.0, allow_nan=False))
    return Attack(kind=kind, density=density, camouflage=camouflage, **ints)


@given(st.lists(attacks(), min_size=1, max_size=4))
def test_format_and_parse_round_trip(chosen: list[Attack]) -> None:
    assert parse_spec(format_spec(chosen)) == chosen


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "the attack spec is empty"),
        ("farm:200x", "attack 1 ('farm:200x'): size '200x' must be ACCOUNTSxVIDEOS"),
        ("farm,,ring:5", "attack 2 is empty"),
        ("farms:10x10", "kind 'farms' is not one of farm, slow_drip, ring, device_farm, hijack"),
        ("farm:10x10:d=2", "density 2 is not in (0, 1]"),
        ("farm:10x10:d=lots", "density 'lots' is not a number"),
        ("farm:10x10:camo=heavy", "camouflage 'heavy' is not one of none, random, popular"),
        ("ring:5:camo=random", "leave camouflage out"),
        ("ring:5x5", "size '5x5' of a ring must be its number of creators"),
        ("farm:1x10", "accounts 1 is out of range: use 2 to 1,000,000"),
        ("farm:10x10:window=5", "window 5 is out of range"),
        ("farm:10x10:days=two", "days 'two' is not a whole number"),
        ("farm:10x10:speed=3", "unknown key 'speed'"),
        ("farm:10x10:d", "'d' is not KEY=VALUE"),
        ("farm:10x10:d=0.1:density=0.2", "density is given twice"),
        ("farm:10x10,ring:3:d=0", "attack 2 ('ring:3:d=0'): density 0 is not in (0, 1]"),
    ],
)
def test_bad_specs_are_explained(spec: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        parse_spec(spec)
