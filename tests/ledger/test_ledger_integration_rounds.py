"""The integrator's fast paths (issue 18): the batch encoder, worker-built rounds, pipelined
writes. Each must give exactly the bytes of the field-by-field reference, and a failed write
in the middle of a catch-up must leave a log that verifies and resumes."""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from plaudit.config import Settings
from plaudit.interactions import BulkItem, ingest_op
from plaudit.interactions.bulk import TimeWindow
from plaudit.ledger.entries import (
    ROW_HASHING,
    Kind,
    decode_entry,
    hmac_pads,
    hmac_with_pads,
)
from plaudit.ledger.merkle import EMPTY_ROOT, TreeBuilder, leaf_hashes, root_of
from plaudit.ledger.sources import StoreLog
from plaudit.ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    encode_entry_bundle,
    encode_hash_tile,
    entry_bundles_for_size,
    tiles_for_size,
)
from plaudit.ledger.verify import verify_log
from plaudit.ledgerstore import integration
from plaudit.ledgerstore.integration import (
    DeviceCache,
    Integrator,
    Sources,
    build_entries,
    default_workers,
)
from plaudit.platform import Platform
from plaudit.store.ledger import EventSource, LedgerSQL
from plaudit.store.tables import (
    account_secrets,
    devices,
    ledger_bundles,
    ledger_checkpoints,
    ledger_quarantine,
    ledger_state,
    ledger_tiles,
)

ENCODED_KINDS = [k for k in Kind if k != Kind.QUARANTINED]
texts = st.text(max_size=40)


OLD_WINDOW = TimeWindow(datetime(1900, 1, 1, tzinfo=UTC), timedelta(minutes=5))


@pytest.fixture
def opened(backend_settings: Settings) -> Iterator[Platform]:
    platform = Platform(backend_settings).open()
    yield platform
    platform.close()


def _busy_world(platform: Platform) -> int:
    """Every kind of event, devices and IPs, a campaign source and one unencodable like."""
    creator = platform.accounts.create("creator1", "creator")[0].id
    videos = [platform.videos.publish(creator, f"clip {i}", "food").id for i in range(3)]
    fans = [platform.accounts.create(f"fan{i}")[0].id for i in range(12)]
    now = datetime.now(UTC).replace(microsecond=123456)
    items = []
    for i, fan in enumerate(fans):
        video = videos[i % 3]
        device = {"device_key": f"dev-{i % 4}", "user_agent": "Mozilla/5.0 test"} if i % 2 else {}
        ip = {"ip_prefix": f"198.51.{i}.0/24"} if i % 3 else {}
        source = "campaign:1" if i == 5 else "app"
        items += [
            BulkItem("like", fan, video, now, source, **device, **ip),  # type: ignore[arg-type]
            BulkItem("comment", fan, video, now, body=f"comment {i}", **device),  # type: ignore[arg-type]
            BulkItem("share", fan, video, now, channel="wechat", **ip),  # type: ignore[arg-type]
            BulkItem("follow", fan, creator, now),
        ]
        if i % 4 == 0:
            items += [BulkItem("unlike", fan, video, now), BulkItem("unfollow", fan, creator, now)]
    platform.db.write(ingest_op(items))
    old = datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)
    platform.db.write(ingest_op([BulkItem("like", fans[0], videos[2], old)], window=OLD_WINDOW))
    platform.db.write(ingest_op([BulkItem("like", fans[1], videos[2], now)]))
    with platform.db.read() as conn:
        return LedgerSQL(conn).event_count()


def _entries(platform: Platform) -> list[bytes]:
    return [platform.ledger.entry(i) for i in range(platform.ledger.size())]


def _empty_log_keeping_secrets(platform: Platform) -> None:
    def empty(conn: Connection) -> None:
        for table in (ledger_tiles, ledger_bundles, ledger_checkpoints, ledger_quarantine):
            conn.execute(table.delete())
        conn.execute(update(ledger_state).values(size=0, root=EMPTY_ROOT))

    platform.db.write(empty)


def test_worker_rounds_give_the_same_log_as_rounds_built_here(
    opened: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = _busy_world(opened)
    monkeypatch.setattr(integration, "PARALLEL_MIN", 1)  # every round goes to the workers
    signer, origin = opened.ledger.signer, opened.settings.ledger_origin
    workers = Integrator(opened.db, signer, origin, batch=5, catch_up_batch=20, workers=2)
    try:
        assert workers.catch_up() == events
    finally:
        workers.stop()
    by_workers = _entries(opened)
    assert verify_log(StoreLog(opened.ledger), opened.ledger.vkey).size == events
    [quarantined] = opened.ledger.quarantined()
    assert decode_entry(by_workers[quarantined.seq]).kind == Kind.QUARANTINED
    kinds = {decode_entry(e).kind for e in by_workers}
    assert kinds == {*ENCODED_KINDS[:6], Kind.QUARANTINED}  # no verdicts in this world

    _empty_log_keeping_secrets(opened)  # the secrets the workers' rounds stored stay
    here = Integrator(opened.db, signer, origin, batch=7, workers=0)
    assert here.catch_up() == events
    rebuilt = _entries(opened)
    differ = [i for i, (a, b) in enumerate(zip(by_workers, rebuilt, strict=True)) if a != b]
    assert differ == [quarantined.seq]  # only the placeholder's time (when it was made)


def test_a_failed_write_in_a_catch_up_leaves_a_log_that_verifies_and_resumes(
    opened: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = _busy_world(opened)
    signer, origin = opened.ledger.signer, opened.settings.ledger_origin
    real_put = LedgerSQL.put_bundles
    calls = {"n": 0}

    def failing_third(self: LedgerSQL, bundles: dict[int, tuple[int, bytes]]) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full (injected)")
        real_put(self, bundles)

    monkeypatch.setattr(LedgerSQL, "put_bundles", failing_third)
    integrator = Integrator(opened.db, signer, origin, batch=4, catch_up_batch=4, workers=0)
    with pytest.raises(OSError, match="injected"):
        integrator.catch_up()
    assert opened.ledger.size() == 8  # two rounds of 4 written, nothing after the failure
    assert verify_log(StoreLog(opened.ledger), opened.ledger.vkey).size == 8

    monkeypatch.setattr(LedgerSQL, "put_bundles", real_put)
    assert integrator.catch_up() == events - 8
    assert verify_log(StoreLog(opened.ledger), opened.ledger.vkey).size == events
    resumed = _entries(opened)
    [quarantined] = opened.ledger.quarantined()

    # the same log again from the stored secrets: the resumed rounds made no second secret
    _empty_log_keeping_secrets(opened)
    assert Integrator(opened.db, signer, origin, batch=64, workers=0).catch_up() == events
    differ = [i for i, (a, b) in enumerate(zip(resumed, _entries(opened), strict=True)) if a != b]
    assert differ == [quarantined.seq]


@settings(max_examples=300, deadline=None)
@given(key=st.binary(max_size=200), message=st.binary(max_size=300))
def test_hmac_from_padded_keys_is_hmac_sha256(key: bytes, message: bytes) -> None:
    assert hmac_with_pads(hmac_pads(key), message) == hmac.digest(key, message, "sha256")


_KIND_NAMES = ["like", "unlike", "comment", "share", "follow", "unfollow", "revoke", "reinstate"]
_EPOCH_NAIVE = datetime(1970, 1, 1)
times = st.datetimes(min_value=datetime(1960, 1, 1), max_value=datetime(2100, 1, 1))


@st.composite
def event_rows(draw: st.DrawFn, seq: int) -> tuple[object, ...]:
    """One row as `LedgerSQL.event_sources` returns it (SQLite text or PostgreSQL datetimes)."""
    kind = draw(st.sampled_from(_KIND_NAMES))
    at, removed = draw(times), draw(times)
    shape = draw(st.sampled_from(["aware", "text", "text", "naive", "zoned"]))
    if shape == "aware":  # the PostgreSQL driver's shape: aware datetimes
        created_at: object = at.replace(tzinfo=UTC)
        removed_at: object = removed.replace(tzinfo=UTC)
    elif shape == "text":  # SQLite's: naive UTC text, with or without microseconds
        created_at, removed_at = at.isoformat(" "), removed.isoformat(" ")
    elif shape == "naive":  # a naive datetime is UTC (`time_us`)
        created_at, removed_at = at, removed
    else:  # another zone than UTC: its offset applied
        zone = timezone(timedelta(minutes=draw(st.integers(-900, 900))))
        created_at, removed_at = at.replace(tzinfo=zone), removed.replace(tzinfo=zone)
    device_id = draw(st.none() | st.integers(1, 50))
    # as the store reads them (device read by id, `Sources.devices`) or with the row
    has_device_row = device_id is not None and draw(st.booleans())
    account = draw(st.integers(1, 6))  # few accounts: secrets made once, then reused
    has_secret = account % 3 != 0
    secret = bytes([account]) * draw(st.sampled_from([32, 32, 32, 16, 64, 65, 100]))
    if kind == "comment":
        detail: object = draw(texts)  # a comment always has a body
    elif kind in ("revoke", "reinstate"):
        detail = draw(st.none() | texts | st.integers(1, 10**9))  # the store's verdict id
    else:
        detail = draw(st.none() | texts)
    return (
        seq,
        kind,
        seq,
        account,
        draw(st.integers(0, 2**63 - 1) | st.sampled_from([-1, 2**64 - 1, 2**64])),
        draw(st.sampled_from(["app", "campaign:7", "x" * 300, "\ud800", "\u5e94\u7528"])),
        device_id,
        draw(st.none() | st.sampled_from(["203.0.113.0/24", "2001:db8::/48"])),
        created_at,
        removed_at,
        detail,
        f"device-{device_id}" if has_device_row else None,
        "Mozilla/5.0 test" if has_device_row else None,
        has_secret,
        (memoryview(secret) if draw(st.booleans()) else secret) if has_secret else None,
    )


def _with_device(row: tuple[object, ...], devices: dict[int, tuple[str, str]]) -> EventSource:
    """The row as the devices join would have given it (the reference's input)."""
    named = EventSource._make(row)
    if named.device_id is not None and named.device_key is None:
        key, agent = devices[named.device_id]
        named = named._replace(device_key=key, user_agent=agent)
    return named


_BUILDERS: dict[str, Callable[[Sources], list[bytes]]] = {
    "inline (hashlib)": integration._build_entries_inline,
    "build_entries": build_entries,  # the inline loop again when the extension is absent
}
if ROW_HASHING is not None:
    _BUILDERS["columns (compiled)"] = partial(integration._build_entries_batched, batch=ROW_HASHING)
    _BUILDERS["rows (compiled)"] = partial(integration._build_entries_compiled, batch=ROW_HASHING)


@pytest.mark.parametrize("builder", list(_BUILDERS.values()), ids=list(_BUILDERS))
@settings(max_examples=200, deadline=None)
@given(data=st.data(), count=st.integers(1, 30))
def test_build_entries_gives_the_field_by_field_bytes(
    builder: Callable[[Sources], list[bytes]], data: st.DataObject, count: int
) -> None:
    """Both batch paths (rows unpacked once; hashlib per entry, or the compiled row hashes)
    against `_encoded` (named rows, the reference helpers, quarantine) on rows of every kind,
    both drivers' time shapes and secrets of any length."""
    rows = [data.draw(event_rows(seq)) for seq in range(100, 100 + count)]
    shuffled = data.draw(st.permutations(rows))  # the store returns them in no order
    devices = {i: (f"device-{i}", "Mozilla/5.0 test") for i in range(1, 51)}
    sources = Sources(100, shuffled, {}, devices)
    built = builder(sources)
    fast_quarantined = {q.seq for q in sources.quarantined}
    made = dict(sources.pending)
    reference = Sources(100, rows, dict(made), devices)  # the batch's new secrets
    expected = [integration._encoded(reference, _with_device(row, devices)) for row in rows]
    assert reference.new_secrets == []
    assert {q.seq for q in reference.quarantined} == fast_quarantined
    for row, got, want in zip(rows, built, expected, strict=True):
        if row[0] not in fast_quarantined:  # a placeholder holds the time it was made
            assert got == want
        else:
            assert decode_entry(got).kind == Kind.QUARANTINED


@pytest.mark.skipif(ROW_HASHING is None, reason="the C extension is not built")
@pytest.mark.parametrize("driver", ["sqlite", "postgresql"])
def test_the_compiled_builder_takes_every_row_the_store_gives(driver: str) -> None:
    """Rows of every kind as each driver returns them (SQLite's text times, PostgreSQL's
    aware datetimes, verdict ids as ints, accounts with and without a stored secret) are
    all built by the one compiled call, none left to the Python builders, with the bytes
    of the field-by-field reference and one new secret per account that had none."""
    assert ROW_HASHING is not None
    at = datetime(2026, 12, 5, 1, 2, 3, 456789, tzinfo=UTC)
    when: object = at if driver == "postgresql" else at.replace(tzinfo=None).isoformat(" ")
    later: object = when if driver == "postgresql" else "2026-12-05 01:02:04"
    rows: list[tuple[object, ...]] = []
    for offset, kind in enumerate(_KIND_NAMES * 2):
        seq, account = 500 + offset, 1 + offset % 4
        detail: object = {"comment": "nice", "share": "wechat", "unlike": "app"}.get(kind)
        if kind in ("revoke", "reinstate"):
            detail = 40 + offset
        device = 3 if kind in ("like", "comment", "share") else None
        prefix = "203.0.113.0/24" if device else None
        stored = account % 2 == 0
        secret = bytes([account]) * 32 if stored else None
        target, unset = 9000 + offset, None  # device key and agent: read by id
        row = (seq, kind, seq, account, target, "app", device, prefix, when, later, detail)
        rows.append((*row, unset, unset, stored, secret))
    devices = {3: ("device-3", "Mozilla/5.0 test")}
    pending: dict[int, bytes] = {}
    made: list[tuple[int, bytes]] = []
    out, left = ROW_HASHING.entries(rows[::-1], 500, devices, pending, made, os.urandom)
    assert left == []
    assert sorted(account for account, _ in made) == [1, 3]  # once each, then reused
    assert dict(made) == pending
    reference = Sources(500, rows, dict(pending), devices)
    assert out == [integration._encoded(reference, _with_device(row, devices)) for row in rows]
    assert reference.new_secrets == reference.quarantined == []


@pytest.mark.skipif(ROW_HASHING is None, reason="the C extension is not built")
def test_new_secrets_are_cut_from_urandom_blocks_and_checked() -> None:
    """300 accounts without a secret: 300 distinct 32-byte secrets from three 4 KiB draws,
    each recorded once; a source of randomness that returns too little is refused."""
    assert ROW_HASHING is not None
    at = "2026-12-05 01:02:03"
    no = None
    rows = [
        (seq, "follow", seq, 1000 + seq, 7, "app", no, no, at, no, no, no, no, False, no)
        for seq in range(300)
    ]
    draws: list[int] = []

    def urandom(size: int) -> bytes:
        draws.append(size)
        return os.urandom(size)

    pending: dict[int, bytes] = {}
    made: list[tuple[int, bytes]] = []
    out, left = ROW_HASHING.entries(rows, 0, {}, pending, made, urandom)
    assert left == []
    assert all(out)
    assert draws == [4096] * 3
    assert len({secret for _, secret in made}) == 300 == len(pending)
    assert {len(secret) for secret in pending.values()} == {32}
    with pytest.raises(ValueError, match="must return 4096 random bytes"):
        ROW_HASHING.entries(rows, 0, {}, {}, [], lambda size: b"short")


def test_rounds_are_built_in_process_on_two_cpus_or_fewer() -> None:
    """Workers cost more CPU than they save with two cores (docs/operations.md)."""
    assert [default_workers(cpus) for cpus in (1, 2, 3, 4, 16)] == [0, 0, 3, 4, 4]


@pytest.mark.parametrize("widths", [[32] * 7, [32, 16, 32, 64, 32, 1, 32]], ids=["32", "mixed"])
def test_new_secrets_are_stored_as_given_in_one_statement(
    opened: Platform, widths: list[int]
) -> None:
    """`put_secrets` (one statement for a round's secrets; row by row for mixed lengths)
    stores each account's own secret, whatever order the round made them in."""
    accounts = [opened.accounts.create(f"fan{i}")[0].id for i in range(len(widths))]
    made = [
        (account, bytes([i + 1]) * width)
        for i, (account, width) in enumerate(zip(accounts, widths, strict=True))
    ]

    def replace(conn: Connection) -> None:  # accounts made here have a secret already
        conn.execute(account_secrets.delete().where(account_secrets.c.account_id.in_(accounts)))
        LedgerSQL(conn).put_secrets(made[::-1])

    opened.db.write(replace)
    with opened.db.read() as conn:
        stored = LedgerSQL(conn).secrets(accounts)
    assert stored == dict(made)


# -- the frontier: a round's tiles and bundles while the previous round is still written ----


def _expected_tiles(entries: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every tile of the log of `entries`, from its nodes (c2sp.org/tlog-tiles)."""
    leaves = leaf_hashes(entries)
    expected: dict[tuple[int, int], bytes] = {}
    for ref in tiles_for_size(len(entries)):
        span = 1 << (TILE_HEIGHT * ref.level)
        first = ref.index * TILE_WIDTH * span
        nodes = [
            root_of(leaves[first + i * span : first + (i + 1) * span]) for i in range(ref.width)
        ]
        expected[(ref.level, ref.index)] = encode_hash_tile(nodes)
    return expected


def _rounds_through_the_frontier(
    platform: Platform, sizes: list[int]
) -> tuple[list[bytes], dict[tuple[int, int], bytes], dict[int, tuple[int, bytes]]]:
    """Rounds of `sizes` entries through `TreeBuilder` and one `_Frontier`, none of them
    written: as while the previous round's write is in flight, the frontier must continue
    the partial tiles and bundles it made itself (the store has none: reading one fails)."""
    builder, frontier = TreeBuilder(), integration._Frontier()
    entries: list[bytes] = []
    tiles: dict[tuple[int, int], bytes] = {}
    bundles: dict[int, tuple[int, bytes]] = {}
    with platform.db.read() as conn:
        sql = LedgerSQL(conn)
        for count in sizes:
            batch = [
                bytes([len(entries) % 251]) * (1 + (len(entries) + i) % 97) for i in range(count)
            ]
            runs = builder.append(leaf_hashes(batch))
            tiles.update(frontier.tile_updates(runs, sql))
            bundles.update(frontier.bundle_updates(len(entries), batch, sql))
            entries += batch
        sql.close()
    return entries, tiles, bundles


@settings(  # the store is only read, never written: one per test is enough
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sizes=st.lists(st.integers(1, 1_500), min_size=1, max_size=6))
def test_frontier_rounds_give_every_tile_and_bundle(platform: Platform, sizes: list[int]) -> None:
    """Whatever the rounds' sizes, the tiles and bundles they leave are the log's own."""
    entries, tiles, bundles = _rounds_through_the_frontier(platform, sizes)
    assert tiles == _expected_tiles(entries)
    assert bundles == {
        ref.index: (ref.width, encode_entry_bundle(entries[ref.index * TILE_WIDTH :][: ref.width]))
        for ref in entry_bundles_for_size(len(entries))
    }


def test_frontier_rounds_across_a_level_one_tile(platform: Platform) -> None:
    """The catch-up's doubling rounds past 65,536 entries: a full tile at level 1 and the
    next one partial, each continued across rounds."""
    entries, tiles, _ = _rounds_through_the_frontier(platform, [8_192, 16_384, 32_768, 13_000])
    assert len(entries) == 70_344
    assert tiles == _expected_tiles(entries)
    assert len(tiles[(1, 0)]) == TILE_WIDTH * 32
    assert len(tiles[(1, 1)]) == 18 * 32


# -- catch-up: the next round read while this one is built and the one before is written ----


def _without_secrets(platform: Platform) -> None:
    """As a store loaded in bulk: no account has a secret until its first entry."""
    platform.db.write(lambda conn: conn.execute(account_secrets.delete()))


def test_a_round_read_before_an_earlier_write_commits_uses_that_writes_secrets(
    opened: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader reads round k+1 while round k-1 is still being written, so its rows may
    not show the secrets round k-1 made; with slow writes that is every round. Each fan's
    events span three rounds of two: a second secret for a fan would fail the write
    (primary key) or, rebuilt from the stored secrets, give other entries."""
    events = _busy_world(opened)
    _without_secrets(opened)
    real_put = LedgerSQL.put_secrets

    def slow_put(self: LedgerSQL, secrets: Sequence[tuple[int, bytes]]) -> None:
        time.sleep(0.02)  # the next round is read meanwhile, from before this commit
        real_put(self, secrets)

    monkeypatch.setattr(LedgerSQL, "put_secrets", slow_put)
    signer, origin = opened.ledger.signer, opened.settings.ledger_origin
    integrator = Integrator(opened.db, signer, origin, batch=2, catch_up_batch=2, workers=0)
    assert integrator.catch_up() == events
    assert verify_log(StoreLog(opened.ledger), opened.ledger.vkey).size == events
    overlapped = _entries(opened)
    [quarantined] = opened.ledger.quarantined()

    _empty_log_keeping_secrets(opened)
    assert Integrator(opened.db, signer, origin, batch=64, workers=0).catch_up() == events
    rebuilt = _entries(opened)
    differ = [i for i, (a, b) in enumerate(zip(overlapped, rebuilt, strict=True)) if a != b]
    assert differ == [quarantined.seq]  # only the placeholder's time (when it was made)


def test_a_catch_up_reads_each_device_once_and_a_full_cache_starts_again(
    opened: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Devices are kept across the rounds of a catch-up (a device row never changes), so
    each is read once; a cache past its limit keeps only the round's own devices, and the
    entries are the same either way."""
    events = _busy_world(opened)
    with opened.db.read() as conn:
        stored = {row[0] for row in conn.execute(select(devices.c.id))}
    assert len(stored) == 2
    read: list[int] = []
    real_devices = LedgerSQL.devices

    def counted(self: LedgerSQL, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        ids = list(ids)
        read.extend(ids)
        return real_devices(self, ids)

    monkeypatch.setattr(LedgerSQL, "devices", counted)
    signer, origin = opened.ledger.signer, opened.settings.ledger_origin
    assert Integrator(opened.db, signer, origin, batch=3, catch_up_batch=3).catch_up() == events
    assert sorted(read) == sorted(stored)  # every device once, over about 20 rounds
    cached = _entries(opened)

    _empty_log_keeping_secrets(opened)
    read.clear()
    monkeypatch.setattr(integration, "DeviceCache", lambda: DeviceCache(limit=1))
    assert Integrator(opened.db, signer, origin, batch=3, catch_up_batch=3).catch_up() == events
    assert len(read) > len(stored)  # read again once the cache had started again
    [quarantined] = opened.ledger.quarantined()
    differ = [i for i, (a, b) in enumerate(zip(cached, _entries(opened), strict=True)) if a != b]
    assert differ == [quarantined.seq]


def test_a_device_cache_gives_what_the_store_holds(opened: Platform) -> None:
    """`DeviceCache.covering` holds every device asked for, as `LedgerSQL.devices` reads it,
    reading only those it does not hold; past its limit it starts again."""
    _busy_world(opened)
    with opened.db.read() as conn:
        sql = LedgerSQL(conn)
        first, second = sorted(row[0] for row in conn.execute(select(devices.c.id)))
        expected = sql.devices([first, second])
        cache = DeviceCache(limit=2)
        assert cache.covering(sql, {first})[first] == expected[first]
        both = cache.covering(sql, {first, second})
        assert {first: both[first], second: both[second]} == expected
        assert cache.covering(sql, {second}) is both
        assert cache.read == 2
        small = DeviceCache(limit=1)
        small.covering(sql, {first})
        again = small.covering(sql, {second})  # past the limit: started again
        assert again == {second: expected[second]}
        assert small.read == 2
        sql.close()
