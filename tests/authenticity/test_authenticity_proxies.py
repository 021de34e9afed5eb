"""Behind a reverse proxy (issue 17, item 12): the client is named only by trusted proxies,
and a loopback or private network is never one shared network in the farm detector."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from starlette.requests import Request

from plaudit.api.clients import client_address
from plaudit.authenticity.platform_scan import run_platform_scan
from plaudit.config import Settings
from plaudit.interactions import BulkItem, ingest_op
from plaudit.interactions.model import is_public_prefix
from plaudit.platform import Platform


def _request(peer: str, headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "client": (peer, 5000), "headers": raw})


def test_forwarded_headers_count_only_from_trusted_proxies() -> None:
    spoof = {"X-Forwarded-For": "8.8.8.8"}
    assert client_address(_request("198.51.100.7", spoof), "") == "198.51.100.7"
    assert client_address(_request("198.51.100.7", spoof), "10.0.0.0/8") == "198.51.100.7"
    chain = {"X-Forwarded-For": "8.8.8.8, 1.2.3.4, 10.0.0.2"}
    assert client_address(_request("10.0.0.1", chain), "10.0.0.0/8") == "1.2.3.4"
    forwarded = {"Forwarded": 'for=192.0.2.60;proto=http, for="[2001:db8::1]"'}
    assert client_address(_request("127.0.0.1", forwarded), "127.0.0.1") == "2001:db8::1"
    assert client_address(_request("127.0.0.1", {}), "127.0.0.1") == "127.0.0.1"
    ported = {"Forwarded": 'for=192.0.2.43:47011, for="[2001:db8::1]:4711"'}
    assert client_address(_request("127.0.0.1", ported), "127.0.0.1") == "2001:db8::1"
    assert client_address(_request("127.0.0.1", ported), "127.0.0.1,2001:db8::/32") == (
        "192.0.2.43"
    )


@pytest.mark.parametrize(
    ("prefix", "public"),
    [
        ("127.0.0.0/24", False),
        ("10.1.2.0/24", False),
        ("192.168.1.0/24", False),
        ("100.64.0.0/24", False),
        ("fd00:1::/48", False),
        ("8.8.8.0/24", True),
        ("2400:3200::/48", True),
    ],
)
def test_public_prefixes(prefix: str, public: bool) -> None:
    assert is_public_prefix(prefix) is public


def _community_behind(platform: Platform, prefix: str, fans: int = 64) -> None:
    """A platform of 300 people on their own public networks liking a few of 20 videos, and
    `fans` people behind one proxy at `prefix` who all like the launch video (the review's
    case: a local proxy in front of the server)."""
    rng = random.Random(17)
    creators = [platform.accounts.create(f"maker{i}", "creator")[0].id for i in range(4)]
    videos = [platform.videos.publish(creators[i % 4], f"clip {i}", "food").id for i in range(20)]
    start = datetime.now(UTC) - timedelta(days=1)
    items = []
    for i in range(300):
        person = platform.accounts.create(f"person{i}")[0].id
        own = f"8.{i // 250}.{i % 250}.0/24"
        for video in rng.sample(videos[1:], 3):
            at = start + timedelta(seconds=rng.randrange(80_000))
            items.append(BulkItem("like", person, video, at, ip_prefix=own))
    for i in range(fans):
        fan = platform.accounts.create(f"fan{i}")[0].id
        for video in [videos[0], *rng.sample(videos[1:], 1)]:
            at = start + timedelta(seconds=rng.randrange(80_000))
            items.append(BulkItem("like", fan, video, at, ip_prefix=prefix))
    items.sort(key=lambda item: item.at)
    assert all(r.status == "created" for r in platform.db.write(ingest_op(items)))


@pytest.mark.parametrize(
    ("prefix", "farm"),
    [("127.0.0.0/24", False), ("10.9.0.0/24", False), ("9.9.9.0/24", True)],
)
def test_64_fans_through_one_local_proxy_are_not_a_farm(
    backend_settings: Settings, prefix: str, farm: bool
) -> None:
    platform = Platform(backend_settings).open()
    try:
        _community_behind(platform, prefix)
        report = run_platform_scan(platform.db)
    finally:
        platform.close()
    # the same pattern on one public network is still found: the detector works
    assert (report.verdicts > 0, report.likes_revoked > 0) == (farm, farm)
