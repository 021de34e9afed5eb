"""Bulk ingest under hostile items (issue 17, items 1 and 7): every bad item is its own 422
error, never the batch's and never a 500, and the ledger keeps growing whatever was sent."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import Api

TOO_BIG = 2**63  # one more than the largest id the store holds


def _gateway(api: Api) -> dict[str, str]:
    _account, token = api.platform.accounts.create("gateway1", "gateway")
    return {"Authorization": f"Bearer {token}"}


def _world(api: Api) -> tuple[int, list[int]]:
    creator, _ = api.platform.accounts.create("creator1", "creator")
    video = api.platform.videos.publish(creator.id, "clip", "food").id
    fans = [api.platform.accounts.create(f"fan{i}")[0].id for i in range(4)]
    return video, fans


def _wait_integrated(api: Api, timeout_s: float = 20.0) -> None:
    """The integrator thread catches up with every sequenced event (the ledger grows)."""
    deadline = time.monotonic() + timeout_s
    while api.platform.ledger.pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert api.platform.ledger.pending() == 0, "the ledger stopped growing"


def _now() -> str:
    return datetime.now(UTC).isoformat()


def test_hostile_items_fail_alone_and_the_ledger_keeps_growing(api: Api) -> None:
    gateway = _gateway(api)
    video, fans = _world(api)
    good = {"kind": "like", "account_id": fans[0], "target_id": video, "at": _now()}
    hostile: list[dict[str, Any]] = [
        {**good, "account_id": fans[1], "at": "1969-12-31T23:59:59Z"},
        {**good, "account_id": fans[1], "at": "0001-01-01T00:00:00+14:00"},
        {**good, "account_id": fans[1], "at": "9999-12-31T23:59:59-14:00"},
        {**good, "account_id": TOO_BIG},
        {**good, "target_id": 2**64 + 5},
        {**good, "account_id": fans[1], "source": "campaign:99999999999999999999"},
        {**good, "account_id": fans[1], "device_id": "phone\u0000one"},
        {**good, "account_id": fans[1], "user_agent": "Mozilla\u202e5.0"},
        {
            "kind": "comment",
            "account_id": fans[2],
            "target_id": video,
            "at": _now(),
            "body": "a\u200bb",
        },
        {"kind": "like", "account_id": "not a number", "target_id": video, "at": _now()},
    ]
    response = api.client.post(
        "/v1/interactions/bulk", json={"items": [good, *hostile]}, headers=gateway
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results[0]["status"] == "created"
    errors = [r["error"] for r in results[1:]]
    assert all(r["status"] == "error" for r in results[1:]), results
    assert {e["type"] for e in errors} == {"invalid-input"}
    assert "before the platform epoch" in errors[0]["detail"]
    assert "before the platform epoch" in errors[1]["detail"]
    assert "in the future" in errors[2]["detail"]
    assert "U+0000" in errors[6]["detail"]
    assert "U+202E" in errors[7]["detail"]
    assert "U+200B" in errors[8]["detail"]
    _wait_integrated(api)
    assert api.platform.ledger.size() == 1


_OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
_TIMES = st.one_of(
    st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30), timezones=_OFFSETS).map(
        datetime.isoformat
    ),
    st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)).map(datetime.isoformat),  # naive
    st.sampled_from(["1969-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "1970-01-01T00:00Z"]),
    st.just("now"),
)
_IDS = st.one_of(
    st.integers(-(2**70), 2**70), st.sampled_from([0, 1, 2, 3, 4, 5, 2**63 - 1, 2**63])
)
_TEXT = st.text(max_size=20)


@st.composite
def _items(draw: st.DrawFn) -> dict[str, Any]:
    at = draw(_TIMES)
    item: dict[str, Any] = {
        "kind": draw(st.sampled_from(["like", "unlike", "comment", "share", "follow", "x"])),
        "account_id": draw(_IDS),
        "target_id": draw(_IDS),
        "at": _now() if at == "now" else at,
    }
    for name, values in (
        ("source", st.one_of(_TEXT, st.sampled_from(["app", "web", "campaign:1"]))),
        ("device_id", _TEXT),
        ("user_agent", _TEXT),
        ("ip", st.one_of(_TEXT, st.ip_addresses().map(str))),
        ("body", _TEXT),
        ("channel", st.one_of(_TEXT, st.just("wechat"))),
    ):
        if draw(st.booleans()):
            item[name] = draw(values)
    return item


@pytest.fixture
def gateway(api: Api) -> dict[str, str]:
    headers = _gateway(api)
    _world(api)
    return headers


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(_items(), min_size=1, max_size=12))
def test_fuzzed_bulk_items_never_stop_the_ledger(
    api: Api, gateway: dict[str, str], batch: list[dict[str, Any]]
) -> None:
    response = api.client.post("/v1/interactions/bulk", json={"items": batch}, headers=gateway)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == len(batch)
    sequenced = max((r["seq"] for r in results if r["seq"] is not None), default=-1)
    _wait_integrated(api)  # the checkpoint covers every accepted item: it kept growing
    assert api.platform.ledger.size() > sequenced
    assert api.platform.ledger.quarantined() == []
