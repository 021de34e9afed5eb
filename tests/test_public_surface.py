"""Each package's public surface is explicit (`__all__`) and pinned here: changing it is a
deliberate act that updates this test (the httpx `test_exported_members.py` pattern)."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "plaudit.accounts": ["Account", "AccountService", "Profile", "Token"],
    "plaudit.catalog": ["CATEGORIES", "CATEGORY_IDS", "Category", "Video", "VideoService"],
    "plaudit.interactions": [
        "BulkItem",
        "Comment",
        "Device",
        "Follow",
        "FollowOutcome",
        "InteractionService",
        "ItemResult",
        "Like",
        "LikeOutcome",
        "Share",
        "ingest",
        "ingest_op",
        "ip_prefix",
    ],
    "plaudit.store": [
        "EVENTS",
        "Database",
        "UTCDateTime",
        "allocate",
        "current_revision",
        "head_revision",
        "tables",
        "utcnow",
    ],
    "plaudit.api": ["create_app"],
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_public_surface_is_pinned(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(PUBLIC[package])
    assert len(set(module.__all__)) == len(module.__all__), "a name is listed twice"


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_every_public_name_exists(package: str) -> None:
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_star_import_gives_exactly_the_public_names(package: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {package} import *", namespace)
    namespace.pop("__builtins__")
    assert sorted(namespace) == sorted(PUBLIC[package])
