"""Two managers on one PostgreSQL database handling the same station message at the same time.

A station that got no answer in time sends its CALL again with a new message id; after a broker
restart the first one may be delivered again too, and two managers then run the same write at
once. SQLite has one writer and never interleaves jobs; PostgreSQL runs them side by side, so each
write that de-duplicates must stay right when its twin runs in between its check and its insert.
The twins are made to meet there: a third connection holds a lock that stops both inserts until
both have checked."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from core.store.models import Transaction
from core.store.postgres import PostgresStore
from tests.store.contract.samples import reading

pytestmark = pytest.mark.postgres

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def twins(postgres_cluster: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore, str]]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_cluster, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    dsn = postgres_cluster.rsplit("/", 1)[0] + f"/{name}"
    first, second = PostgresStore(dsn), PostgresStore(dsn)
    await first.open()
    await second.open()
    try:
        yield first, second, dsn
    finally:
        await first.close()
        await second.close()


async def _at_once(dsn: str, table: str, writes: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Run ``writes`` together, each held at its insert into ``table`` until all are there."""
    with psycopg.connect(dsn) as holder:
        holder.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        running = asyncio.gather(*(write() for write in writes))
        async with asyncio.timeout(10):
            while True:  # every write waits on the lock: each has made its check
                waiting = holder.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                ).fetchone()
                if waiting is not None and waiting[0] == len(writes):
                    break
                await asyncio.sleep(0.02)
        holder.rollback()  # the lock goes; the writes go on, side by side
        return list(await asyncio.wait_for(running, 10))


async def test_one_start_handled_by_two_managers_at_once_is_one_transaction(
    twins: tuple[PostgresStore, PostgresStore, str],
) -> None:
    first, second, dsn = twins
    results = await _at_once(
        dsn,
        "tx16_starts",
        [
            lambda: first.start_transaction_16("cs1", 1, "TAG", 100.0, AT, 41),
            lambda: second.start_transaction_16("cs1", 1, "TAG", 100.0, AT, 42),
        ],
    )
    ids = {tx_id for tx_id, _ in results}
    assert len(ids) == 1, results  # both answers name the one transaction
    assert sorted(new for _, new in results) == [False, True]  # stored once, found once
    stored = await first.list_transactions("cs1")
    assert [tx.transaction_id for tx in stored] == [str(ids.pop())]


async def test_one_event_handled_by_two_managers_at_once_is_stored_once(
    twins: tuple[PostgresStore, PostgresStore, str],
) -> None:
    first, second, dsn = twins
    started = Transaction(station_id="cs1", transaction_id="T1")
    values = [reading(AT, 1000.0, "Transaction.Begin")]
    results = await _at_once(
        dsn,
        "transaction_events",
        [
            lambda: first.apply_transaction_event("cs1", started, "Started", 0, AT, values),
            lambda: second.apply_transaction_event("cs1", started, "Started", 0, AT, values),
        ],
    )
    assert sorted(new for _, new in results) == [False, True]
    found = await first.find_transaction("cs1", "T1")
    assert found is not None
    assert len(found.meter_values) == 1
    assert found.register_wh == (1000.0, 1000.0)


async def test_one_stop_handled_by_two_managers_at_once_is_stored_once(
    twins: tuple[PostgresStore, PostgresStore, str],
) -> None:
    first, second, dsn = twins
    tx_id, _ = await first.start_transaction_16("cs1", 1, "TAG", 100.0, AT, 41)
    stop = AT.replace(hour=9)
    results = await _at_once(
        dsn,
        "meter_values",
        [
            lambda: first.stop_transaction_16("cs1", str(tx_id), 900.0, stop, "Local", "TAG", []),
            lambda: second.stop_transaction_16("cs1", str(tx_id), 900.0, stop, "Local", "TAG", []),
        ],
    )
    assert all(tx is not None and not tx.active for tx in results), results
    found = await first.find_transaction("cs1", str(tx_id))
    assert found is not None
    # its start and one stop reading: the twin found it stopped and changed nothing
    assert [mv.sampled_values[0].value for mv in found.meter_values] == [100.0, 900.0]
    assert (found.meter_stop_wh, found.ended_seq_no, found.register_wh) == (
        900.0,
        1,
        (100.0, 900.0),
    )


async def test_two_events_of_a_new_transaction_at_once_both_count(
    twins: tuple[PostgresStore, PostgresStore, str],
) -> None:
    # A station's Started and its first Updated, each handled by another manager at once (a
    # resend and a redelivery): neither event's merge nor readings may be lost to the other.
    first, second, dsn = twins
    started = Transaction(
        station_id="cs1", transaction_id="T1", id_token="TAG", token_type="ISO14443"
    )
    updated = Transaction(station_id="cs1", transaction_id="T1", charging_state="Charging")
    later = AT.replace(minute=5)
    results = await _at_once(
        dsn,
        "meter_values",
        [
            lambda: first.apply_transaction_event(
                "cs1", started, "Started", 0, AT, [reading(AT, 1000.0, "Transaction.Begin")]
            ),
            lambda: second.apply_transaction_event(
                "cs1", updated, "Updated", 1, later, [reading(later, 1500.0)]
            ),
        ],
    )
    assert [new for _, new in results] == [True, True]
    found = await first.find_transaction("cs1", "T1")
    assert found is not None
    assert sorted(mv.sampled_values[0].value for mv in found.meter_values) == [1000.0, 1500.0]
    assert found.register_wh == (1000.0, 1500.0)
    assert (found.id_token, found.charging_state) == ("TAG", "Charging")
    assert (found.start_seq_no, found.last_seq_no, found.started_at) == (0, 1, AT)


async def test_batches_that_deadlock_are_run_again_not_failed(
    twins: tuple[PostgresStore, PostgresStore, str],
) -> None:
    """Two managers' batches that lock two stations' rows in opposite orders: PostgreSQL aborts
    one of them as a deadlock, and that batch runs again once the other has committed, so
    neither job's caller sees an error."""
    first, second, _ = twins

    def insert(c: Any) -> None:
        for name in ("cs-a", "cs-b"):
            c.execute("INSERT INTO runtime (station_id, vendor) VALUES (?, '')", (name,))

    await first.run(insert)
    runs = {"first": 0, "second": 0}
    both_hold_one = asyncio.Event()
    loop = asyncio.get_running_loop()
    holding = 0

    def held() -> None:
        nonlocal holding
        holding += 1
        if holding == 2:
            both_hold_one.set()

    def job(who: str, one: str, other: str) -> Callable[[Any], str]:
        def run(c: Any) -> str:
            runs[who] += 1
            c.execute("UPDATE runtime SET vendor=? WHERE station_id=?", (who, one))
            if runs[who] == 1:  # the first run: wait until the other holds its first row too
                loop.call_soon_threadsafe(held)
                asyncio.run_coroutine_threadsafe(both_hold_one.wait(), loop).result(timeout=10)
            c.execute("UPDATE runtime SET vendor=? WHERE station_id=?", (who, other))
            return who

        return run

    results = await asyncio.gather(
        first.run(job("first", "cs-a", "cs-b")), second.run(job("second", "cs-b", "cs-a"))
    )
    assert list(results) == ["first", "second"]  # neither caller got the deadlock
    assert sorted(runs.values()) == [1, 2]  # one of them was run again
    vendors = await first.run(
        lambda c: {r[0]: r[1] for r in c.execute("SELECT station_id, vendor FROM runtime")}
    )
    again = "first" if runs["first"] == 2 else "second"
    assert vendors == {"cs-a": again, "cs-b": again}  # the batch run again committed last
