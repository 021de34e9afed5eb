"""The demo loader's vectorised `network_codes` gives what `network_code` gives, prefix by prefix.

Checked at both edges of every special-purpose range and just outside them, on random /24s
of the whole IPv4 space, and on the first octets the generator draws from.
"""

from __future__ import annotations

import ipaddress

import numpy as np

from plaudit.interactions.model import network_code
from plaudit.sim.devices import _FIRST_OCTETS
from plaudit.sim.networks import SPECIAL_RANGES, network_codes


def _reference(prefixes: list[int]) -> list[int | None]:
    return [network_code(f"{p >> 16}.{p >> 8 & 255}.{p & 255}.0/24") for p in prefixes]


def _edges() -> list[int]:
    found = []
    for text in SPECIAL_RANGES:
        network = ipaddress.ip_network(text)
        first = int(network.network_address) >> 8
        last = first + (network.num_addresses >> 8) - 1
        found += [first - 1, first, first + 1, last - 1, last, last + 1]
    return sorted({p for p in found if 0 <= p < 1 << 24})


def test_network_codes_equal_network_code_at_every_special_range_edge() -> None:
    edges = _edges()
    codes = network_codes(np.array(edges, dtype=np.int64)).tolist()
    assert codes == _reference(edges)
    assert None in codes  # some edges are inside ranges that are not public
    assert any(c is not None for c in codes)


def test_network_codes_equal_network_code_on_random_prefixes() -> None:
    rng = np.random.default_rng(18)
    anywhere = rng.integers(0, 1 << 24, 20_000)
    generated = (rng.choice(_FIRST_OCTETS, 20_000).astype(np.int64) << 16) | rng.integers(
        0, 1 << 16, 20_000
    )
    for prefixes in (anywhere, generated):
        assert network_codes(prefixes).tolist() == _reference(prefixes.tolist())
