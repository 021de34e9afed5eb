"""An event the integrator cannot encode is quarantined, never a wedge (issue 17, item 1).

The review's attack: one bulk like dated 1969 made the entry encoder fail (its time field is
unsigned) and the integrator retried that round forever, so no checkpoint grew again. Bulk
now refuses such a date (tests/interactions), but a store written before that check, or any
other unencodable row, must still not stop the log: here the row is written with a window
that lets 1969 through, as an old version did.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from plaudit.cli.main import cli
from plaudit.config import Settings
from plaudit.interactions import BulkItem, ingest_op
from plaudit.interactions.bulk import TimeWindow
from plaudit.ledger.entries import (
    TIME_US_MAX,
    Entry,
    EntryFormatError,
    Kind,
    decode_entry,
    encode_entry,
)
from plaudit.ledger.sources import StoreLog
from plaudit.ledger.verify import verify_log
from plaudit.ledgerstore.audit import StoreCounts, audit
from plaudit.platform import Platform

OLD_WINDOW = TimeWindow(datetime(1900, 1, 1, tzinfo=UTC), timedelta(minutes=5))


@pytest.fixture
def opened(backend_settings: Settings) -> Iterator[Platform]:
    platform = Platform(backend_settings).open()
    yield platform
    platform.close()


def _world(platform: Platform) -> tuple[int, int, list[int]]:
    creator, _ = platform.accounts.create("creator1", "creator")
    video = platform.videos.publish(creator.id, "clip", "food").id
    fans = [platform.accounts.create(f"fan{i}")[0].id for i in range(3)]
    return creator.id, video, fans


def test_the_encoder_states_its_time_range() -> None:
    base = Entry(Kind.LIKE, 0, 1, "app", bytes(32))
    assert decode_entry(encode_entry(base)).time_us == 0
    with pytest.raises(EntryFormatError, match="outside the entry's range"):
        encode_entry(_with(base, -1))
    with pytest.raises(EntryFormatError, match="outside the entry's range"):
        encode_entry(_with(base, TIME_US_MAX + 1))


def _with(entry: Entry, time_us: int) -> Entry:
    return Entry(entry.kind, time_us, entry.target_id, entry.source, entry.account)


def test_a_pre_1970_like_is_quarantined_and_later_likes_keep_coming(
    opened: Platform, backend_settings: Settings
) -> None:
    _, video, fans = _world(opened)
    now = datetime.now(UTC)
    before = opened.db.write(ingest_op([BulkItem("like", fans[0], video, now)]))
    bad = opened.db.write(
        ingest_op(
            [BulkItem("like", fans[1], video, datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC))],
            window=OLD_WINDOW,
        )
    )
    after = opened.db.write(ingest_op([BulkItem("like", fans[2], video, now)]))
    assert [r.status for r in before + bad + after] == ["created"] * 3

    assert opened.integrator.catch_up() == 3  # not an exception, not zero
    assert opened.ledger.size() == 3
    summary = verify_log(StoreLog(opened.ledger), opened.ledger.vkey)
    assert summary.size == 3

    placeholder = decode_entry(opened.ledger.entry(bad[0].seq or 0))
    assert placeholder.kind == Kind.QUARANTINED
    assert (placeholder.target_id, placeholder.account, placeholder.device) == (0, bytes(32), None)
    assert placeholder.source == "quarantined:like"
    assert decode_entry(opened.ledger.entry(2)).kind == Kind.LIKE

    [row] = opened.ledger.quarantined()
    assert (row.seq, row.kind) == (bad[0].seq, "like")
    assert "outside the entry's range" in row.reason

    report = audit(StoreLog(opened.ledger), StoreCounts(opened.videos), opened.ledger.vkey)
    assert report.quarantined == [
        "entry 1: a quarantined like (not counted; the operator lists it with "
        "`plaudit ledger quarantine`)"
    ]
    # the like is counted by the platform but not in the log: the audit says so
    assert [(m.video_id, m.field) for m in report.mismatches] == [(video, "likes")]

    # a new round integrates new likes after it, and the operator's command is loud
    more = opened.db.write(ingest_op([BulkItem("unlike", fans[2], video, now)]))
    assert more[0].status == "removed"
    assert opened.integrator.catch_up() == 1
    result = CliRunner().invoke(cli, ["ledger", "quarantine", *_store_flags(backend_settings)])
    assert result.exit_code == 1, result.output
    assert "1 quarantined events" in result.output
    assert f"seq {bad[0].seq}: like" in result.output


def _store_flags(settings: Settings) -> list[str]:
    flags = ["--data-dir", str(settings.data_path)]
    return flags + (["--database-url", settings.database_url] if settings.database_url else [])
