"""The SQLite store's cache of decoded meter readings (core/store/sqlite/readings.py): a reading
is decoded once, and what it hands out is always what the database holds."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.store.migrations import MIGRATIONS
from core.store.models import MeterValue, SampledValue
from core.store.sqlite import readings
from core.store.sqlite.meter_values import insert_meter_values
from core.store.sqlite.readings import ReadingCache

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for script in MIGRATIONS:
        for statement in script.split(";\n"):
            if statement.strip():
                conn.execute(statement)
    yield conn
    conn.close()


def _reading(wh: float, second: int = 0) -> MeterValue:
    return MeterValue(T0.replace(second=second), [SampledValue(wh)])


def test_readings_are_decoded_once_and_new_ones_added(db: sqlite3.Connection) -> None:
    cache = ReadingCache()
    insert_meter_values(db, "cs1", 1, "tx1", [_reading(1.0, 1), _reading(2.0, 2)])
    first = cache.load(db, "cs1", "tx1")
    assert first == [_reading(1.0, 1), _reading(2.0, 2)]
    insert_meter_values(db, "cs1", 1, "tx1", [_reading(0.5, 0)])  # earlier, arrived late
    again = cache.load(db, "cs1", "tx1")
    assert again == [_reading(0.5, 0), _reading(1.0, 1), _reading(2.0, 2)]  # time order
    # Not decoded again:
    assert again[1] is first[0]
    assert again[2] is first[1]


def test_a_row_id_given_again_is_decoded_again(db: sqlite3.Connection) -> None:
    cache = ReadingCache()
    db.execute("BEGIN")
    insert_meter_values(db, "cs1", 1, "tx1", [_reading(1.0)])
    assert cache.load(db, "cs1", "tx1") == [_reading(1.0)]
    db.execute("ROLLBACK")  # SQLite hands the same id to the next row
    insert_meter_values(db, "cs1", 1, "tx1", [_reading(7.0)])
    assert cache.load(db, "cs1", "tx1") == [_reading(7.0)]


def test_deleted_readings_are_gone_and_other_transactions_apart(db: sqlite3.Connection) -> None:
    cache = ReadingCache()
    insert_meter_values(db, "cs1", 1, "tx1", [_reading(1.0)])
    insert_meter_values(db, "cs2", 1, "tx1", [_reading(5.0)])
    assert cache.load(db, "cs1", "tx1") == [_reading(1.0)]
    assert cache.load(db, "cs2", "tx1") == [_reading(5.0)]
    db.execute("DELETE FROM meter_values WHERE station_id='cs1'")
    assert cache.load(db, "cs1", "tx1") == []
    assert cache.load(db, "cs2", "tx1") == [_reading(5.0)]


def test_the_cache_holds_at_most_its_bound(db: sqlite3.Connection) -> None:
    cache = ReadingCache(held=3)
    for tx in ("tx1", "tx2", "tx3"):
        insert_meter_values(db, "cs1", 1, tx, [_reading(1.0, 1), _reading(2.0, 2)])
        cache.load(db, "cs1", tx)
    assert cache.held <= 3
    cache.forget("cs1", "tx3")
    assert cache.held == 0
    insert_meter_values(db, "cs1", 1, "big", [_reading(float(n), n) for n in range(5)])
    assert len(cache.load(db, "cs1", "big")) == 5  # too big to hold, still read whole
    assert cache.held == 0


def test_readings_written_through_the_cache_are_not_decoded(
    db: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ReadingCache()
    written = MeterValue(T0.astimezone(timezone(timedelta(hours=2))), [SampledValue(3.0)])
    insert_meter_values(db, "cs1", 1, "tx1", [written], cache)
    assert cache.held == 1
    decoded: list[str] = []
    monkeypatch.setattr(readings, "decode_sampled_values", lambda text: decoded.append(text))
    [held] = cache.load(db, "cs1", "tx1")
    assert decoded == []
    # What a decode of the row gives: the time as stored (UTC), the same sampled values.
    assert held == MeterValue(T0, [SampledValue(3.0)])
    assert held.timestamp.tzinfo is UTC


def test_a_reading_written_through_the_cache_and_rolled_back_is_not_kept(
    db: sqlite3.Connection,
) -> None:
    cache = ReadingCache()
    db.execute("BEGIN")
    insert_meter_values(db, "cs1", 1, "tx1", [_reading(1.0)], cache)
    db.execute("ROLLBACK")
    insert_meter_values(db, "cs1", 1, "tx1", [_reading(7.0)])  # not through the cache
    assert cache.load(db, "cs1", "tx1") == [_reading(7.0)]
