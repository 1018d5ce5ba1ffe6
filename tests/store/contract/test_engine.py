"""Store contract, lifecycle and engine: open, close, and one transaction per batch of jobs
(group commit) in which a failing job fails alone."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

import pytest

from core.clock import FixedClock
from core.store.models import CallRecord
from core.store.sqlite import SqliteStore
from tests.store.contract.samples import AUTH


async def test_data_outlives_closing_and_opening_again(
    store: SqliteStore, clock: FixedClock
) -> None:
    await store.register_station("cs1", AUTH, clock.now())
    await store.close()
    await store.close()  # closing twice is harmless
    with pytest.raises(RuntimeError, match="not open"):
        await store.lookup_station("cs1")
    await store.open()  # migrating again changes nothing
    station = await store.lookup_station("cs1")
    assert station is not None
    assert station.auth == AUTH


async def test_a_store_is_an_async_context(store: SqliteStore, clock: FixedClock) -> None:
    await store.register_station("cs1", AUTH, clock.now())
    async with type(store)(store.path) as again:
        assert await again.lookup_station("cs1") is not None
    with pytest.raises(RuntimeError, match="not open"):
        await again.lookup_station("cs1")


async def test_failing_job_fails_alone_in_its_batch(store: SqliteStore, clock: FixedClock) -> None:
    call = CallRecord("c1", "cs1", "Reset", {}, "2.0.1", clock.now())
    results = await asyncio.gather(
        store.create_call(call),
        store.create_call(call),  # duplicate primary key: this one fails
        store.touch_station("cs1", clock.now()),
        return_exceptions=True,
    )
    assert results[0] is None
    assert isinstance(results[1], Exception)
    assert results[2] is None
    assert (await store.lookup_call("c1")) is not None
    runtime = await store.lookup_runtime_details("cs1")
    assert runtime is not None
    assert runtime.last_seen_at == clock.now()


async def test_a_failing_job_leaves_none_of_its_writes(
    store: SqliteStore, clock: FixedClock
) -> None:
    def half_done(c: sqlite3.Connection) -> None:
        c.execute(
            "INSERT INTO triggers (station_id, message, status) VALUES (?,?,?)",
            ("cs1", "Heartbeat", "Pending"),
        )
        raise RuntimeError("and then it failed")

    with pytest.raises(RuntimeError, match="and then it failed"):
        await store.run(half_done)
    assert await store.lookup_trigger("cs1") is None


async def test_a_failing_job_in_a_batch_fails_alone_and_the_others_see_each_other(
    store: SqliteStore, clock: FixedClock
) -> None:
    started, release = threading.Event(), threading.Event()

    def hold(c: sqlite3.Connection) -> None:  # keeps the writer busy while the batch queues
        started.set()
        release.wait(10)

    def add(n: int) -> Callable[[sqlite3.Connection], int]:
        def job(c: sqlite3.Connection) -> int:
            c.execute(
                "INSERT INTO triggers (station_id, message, status) VALUES (?,?,?)",
                (f"cs{n}", "Heartbeat", "Pending"),
            )
            return int(c.execute("SELECT COUNT(*) FROM triggers").fetchone()[0])

        return job

    def half_done(c: sqlite3.Connection) -> None:
        add(99)(c)
        raise RuntimeError("and then it failed")

    held = store.submit(hold)
    await asyncio.to_thread(started.wait, 10)
    batch: list[asyncio.Future[Any]] = [
        store.submit(add(1)),
        store.submit(half_done),
        store.submit(add(2)),
    ]
    before = store.batches
    release.set()
    await held
    results = await asyncio.gather(*batch, return_exceptions=True)
    assert results[0] == 1
    assert isinstance(results[1], RuntimeError)
    assert results[2] == 2
    assert store.batches - before == 2  # the held job's commit, then the three's: one
    assert await store.lookup_trigger("cs1") is not None
    assert await store.lookup_trigger("cs2") is not None
    assert await store.lookup_trigger("cs99") is None


async def test_many_concurrent_writes_share_commits(store: SqliteStore, clock: FixedClock) -> None:
    before = store.batches
    await asyncio.gather(*(store.touch_station(f"cs{i}", clock.now()) for i in range(500)))
    assert store.batches - before < 500  # group commit: fewer commits than writes
    assert (await store.lookup_runtime_details("cs499")) is not None
