"""The `world` fixture: a fresh platform on each engine with the helpers of world.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.fund.world import World

from plaudit.config import Settings
from plaudit.platform import Platform


@pytest.fixture
def world(backend_settings: Settings) -> Iterator[World]:
    platform = Platform(backend_settings).open()
    try:
        yield World(platform)
    finally:
        platform.close()
