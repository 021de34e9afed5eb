"""Generated communities shared by the sim tests: a tiny custom one and the "small" size.

Each is generated once per session; tests only read them.
"""

from __future__ import annotations

import pytest

from plaudit.sim import SIZES
from tests.sim.streams import TINY, Stream, collect


@pytest.fixture(scope="session")
def tiny() -> Stream:
    return collect(TINY, seed=11)


@pytest.fixture(scope="session")
def small() -> Stream:
    return collect(SIZES["small"], seed=7)


@pytest.fixture(params=["tiny", "small"])
def community(request: pytest.FixtureRequest) -> Stream:
    """Each invariant test runs on both communities."""
    stream: Stream = request.getfixturevalue(request.param)
    return stream
