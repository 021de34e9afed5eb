"""`network_code` of many generated /24 prefixes at once, for the demo loader (issue #18).

Each like stores the `network_code` of its /24 (`plaudit.interactions.model`). The medium
demo has about 1.9M distinct prefixes, and judging each one through `ipaddress` (parse the
text, check it against the special-purpose ranges) cost about a third of the loading CPU.
For an IPv4 /24 the code is arithmetic (`_IPV4_NETWORKS | 24 << 32 | address`), and whether
the prefix is public depends only on which special-purpose range contains it. So the ranges
of the IANA IPv4 Special-Purpose Address Registry (RFC 6890 and its updates; the /24 and wider
ones, since a longer one cannot contain a /24) plus multicast are each judged once, by
`is_public_prefix` itself on the range's first /24, and every prefix is then placed among them
with a binary search. `ipaddress` counts a prefix as private when one of its own ranges
contains it whole, and each of those ranges (/24 or wider) is one of the registry's, so the
/24s of a listed range are all public or all not. Which ranges count differs between Python
versions (3.11 has 192.0.0.0/29, later ones 192.0.0.0/24), hence judging them at run
time. `tests/sim/test_sim_networks.py` compares the result with `network_code` at every
range's edges and on random prefixes.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

import numpy as np
from numpy.typing import NDArray

from plaudit.interactions.model import is_public_prefix, network_code

__all__ = ["SPECIAL_RANGES", "network_codes"]

SPECIAL_RANGES = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.31.196.0/24",
    "192.52.193.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "192.175.48.0/24",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
)
"""IPv4 special-purpose ranges of /24 or wider (IANA registry, RFC 6890; multicast, RFC 5771)."""

_CODE_BASE = network_code("1.0.0.0/24")  # the prefix length's bits above the address's
assert _CODE_BASE is not None
assert _CODE_BASE & 0xFFFFFFFF == 1 << 24
_SLASH_24 = _CODE_BASE & ~0xFFFFFFFF


@functools.cache
def _not_public() -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Sorted (first, last) /24 numbers of the ranges whose /24s are not public here."""
    spans = []
    for text in SPECIAL_RANGES:
        network = ipaddress.ip_network(text)
        first = int(network.network_address) >> 8
        if not is_public_prefix(f"{network.network_address}/24"):
            spans.append((first, first + (network.num_addresses >> 8) - 1))
    spans.sort()
    return (
        np.array([a for a, _b in spans], dtype=np.int64),
        np.array([b for _a, b in spans], dtype=np.int64),
    )


def network_codes(prefixes: NDArray[np.int64]) -> NDArray[Any]:
    """`network_code` of each /24 given as its first three octets in one number (a.b.c ->
    a << 16 | b << 8 | c, as the generator draws them): an int, or None when not public."""
    firsts, lasts = _not_public()
    prefixes = np.asarray(prefixes, dtype=np.int64)
    at = np.searchsorted(firsts, prefixes, side="right") - 1
    inside = (at >= 0) & (prefixes <= lasts[np.maximum(at, 0)])
    codes = (_SLASH_24 | (prefixes << 8)).astype(object)
    codes[inside] = None
    return codes
