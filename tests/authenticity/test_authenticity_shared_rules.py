"""The real-time rules on windows shared through PostgreSQL (rules_counter_store = postgres):
the same holds, refusals and cancellations as the memory windows, within a bucket."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from tests.conftest import _drop_postgres_database, _fresh_postgres_database, postgres_admin_url

from plaudit.authenticity.rules import RuleEngine, RuleSettings, SharedWindows
from plaudit.errors import RateLimited, RefusedByRule, StorageUnavailable
from plaudit.store.rule_counters import CounterKey, PostgresRuleCounters

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 11, 29, 12, tzinfo=UTC)
OLD = T0 - timedelta(days=30)
Make = Callable[..., RuleEngine]


@pytest.fixture
def pg() -> Iterator[Engine]:
    admin = postgres_admin_url()
    assert admin is not None
    url, name = _fresh_postgres_database(admin)
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        _drop_postgres_database(admin, name)


@pytest.fixture
def make(pg: Engine) -> Iterator[Make]:
    """A new engine (a new 'process') on the same shared windows each call."""
    made: list[RuleEngine] = []

    def build(created: datetime = OLD, **limits: Any) -> RuleEngine:
        shared = SharedWindows(PostgresRuleCounters(pg))
        made.append(RuleEngine(RuleSettings(**limits), lambda a: created, shared=shared))
        return made[-1]

    yield build
    for engine in made:
        engine.close()


def test_two_processes_count_in_one_window_and_it_recovers(make: Make) -> None:
    one, other = make(account_hold=2, account_limit=3), make(account_hold=2, account_limit=3)
    first = one.admit(1, None, None, T0)
    second = other.admit(1, None, None, T0 + timedelta(seconds=1))
    third = one.admit(1, None, None, T0 + timedelta(seconds=2))
    assert (first.status, second.status, third.status) == ("accepted", "accepted", "held")
    assert third.rule == "account_velocity"
    with pytest.raises(RateLimited) as refused:
        other.admit(1, None, None, T0 + timedelta(seconds=3))
    assert refused.value.extensions["retry_after"] == 7  # the oldest 10 s bucket's end
    # the refused like was taken back: another account and, a minute on, this one like again
    assert one.admit(2, None, None, T0 + timedelta(seconds=3)).status == "accepted"
    assert other.admit(1, None, None, T0 + timedelta(seconds=61)).status == "accepted"


def test_a_cancelled_admission_does_not_count(make: Make) -> None:
    rules = make(account_hold=1, account_limit=1)
    rules.cancel(rules.admit(1, "phone", None, T0))
    assert make(account_hold=1, account_limit=1).admit(1, "phone", None, T0).status == "accepted"


def test_device_shared_by_many_accounts_is_held_then_refused(make: Make) -> None:
    engines = [make(device_accounts_hold=2, device_accounts_limit=3) for _ in range(2)]
    statuses = [engines[a % 2].admit(a, "phone", None, T0).status for a in (1, 2, 3)]
    assert statuses == ["accepted", "accepted", "held"]
    with pytest.raises(RefusedByRule, match="device_accounts"):
        engines[0].admit(4, "phone", None, T0)
    assert engines[1].admit(1, "phone", None, T0).status == "held"  # a known account
    assert engines[1].admit(5, "phone", None, T0 + timedelta(hours=25)).status == "accepted"


def test_ip_rule_counts_public_prefixes_only(make: Make) -> None:
    rules = make(ip_hold=2, account_hold=100, account_limit=100)
    public = [rules.admit(a, None, "36.110.147.0/24", T0).status for a in range(3)]
    private = [rules.admit(a, None, "10.1.2.0/24", T0).status for a in range(10, 13)]
    assert public == ["accepted", "accepted", "held"]
    assert private == ["accepted"] * 3


def test_new_accounts_are_held_sooner(make: Make) -> None:
    rules = make(created=T0, new_account_hold=1)
    first = rules.admit(1, None, None, T0 + timedelta(minutes=5))
    second = rules.admit(1, None, None, T0 + timedelta(minutes=6))
    assert (first.status, second.status, second.rule) == ("accepted", "held", "new_account")


def test_old_buckets_are_pruned(make: Make, pg: Engine) -> None:
    rules = make()
    rules.admit(1, "phone", "36.110.147.0/24", T0)
    rules.admit(1, "phone", "36.110.147.0/24", T0 + timedelta(days=2))  # prunes on the way
    with pg.connect() as conn:
        buckets = conn.execute(text("SELECT count(*) FROM rule_window_counts")).scalar_one()
        hours = conn.execute(text("SELECT count(*) FROM rule_device_seen")).scalar_one()
    assert (buckets, hours) == (3, 1)  # the newest like's account, device and IP buckets


def test_counting_after_the_server_cut_the_connections_fails_once(pg: Engine) -> None:
    """The like's count runs on the driver's cursor; connections the server closed (a
    restart) fail one like as 503 storage-unavailable, and the next like counts on a new
    connection (the pool is renewed, not each kept connection failing in turn)."""
    counters = PostgresRuleCounters(pg, pool_size=2)
    counters.ensure()
    keys = [CounterKey("account_limit", "7", 100)]
    try:
        assert counters.record(keys, None, 7, 5).counts == {"account_limit": 1}
        with counters._engine.connect(), counters._engine.connect():
            pass  # two kept connections, both cut below: only one like may fail
        with pg.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        with pytest.raises(StorageUnavailable):
            counters.record(keys, None, 7, 5)
        assert counters.record(keys, None, 7, 5).counts == {"account_limit": 2}
    finally:
        counters.close()
