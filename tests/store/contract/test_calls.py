"""Store contract, call role: CSMS-initiated calls move from pending to one final state once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core.clock import FixedClock
from core.store.models import CallRecord, CallState
from core.store.protocols import Store


def _call(call_id: str, station_id: str, clock: FixedClock, minutes: int = 0) -> CallRecord:
    return CallRecord(
        call_id,
        station_id,
        "Reset",
        {"type": "Hard", "evseId": 1},
        "2.0.1",
        clock.now() + timedelta(minutes=minutes),
        origin="api",
    )


async def test_calls_round_trip(store: Store, clock: FixedClock) -> None:
    assert await store.lookup_call("c1") is None
    call = _call("c1", "cs1", clock)
    await store.create_call(call)
    assert await store.lookup_call("c1") == call


async def test_complete_call_moves_a_pending_call_once(store: Store, clock: FixedClock) -> None:
    await store.create_call(_call("c1", "cs1", clock))
    await store.create_call(_call("c2", "cs1", clock))
    at = clock.now() + timedelta(seconds=2)
    done = await store.complete_call("c1", CallState.ANSWERED, at, {"status": "Accepted"})
    assert done is not None
    assert (done.state, done.completed_at, done.response) == (
        CallState.ANSWERED,
        at,
        {"status": "Accepted"},
    )
    assert await store.lookup_call("c1") == done
    assert await store.complete_call("c1", CallState.TIMED_OUT, at) is None  # already final
    failed = await store.complete_call(
        "c2", CallState.ERROR, at, error_code="NotSupported", error_description="no"
    )
    assert failed is not None
    assert (failed.state, failed.response, failed.error_code, failed.error_description) == (
        CallState.ERROR,
        None,
        "NotSupported",
        "no",
    )
    assert await store.complete_call("c404", CallState.ANSWERED, at) is None


async def test_a_call_answered_twice_at_once_completes_once(
    store: Store, other_manager: Store, clock: FixedClock
) -> None:
    await store.create_call(_call("c1", "cs1", clock))
    results = await asyncio.gather(
        store.complete_call("c1", CallState.ANSWERED, clock.now(), {"n": 1}),
        other_manager.complete_call("c1", CallState.ANSWERED, clock.now(), {"n": 2}),
    )
    assert sum(r is not None for r in results) == 1


async def test_expire_calls_times_out_old_pending_calls(store: Store, clock: FixedClock) -> None:
    await store.create_call(_call("old", "cs1", clock, minutes=0))
    await store.create_call(_call("answered", "cs1", clock, minutes=0))
    await store.create_call(_call("new", "cs1", clock, minutes=10))
    await store.complete_call("answered", CallState.ANSWERED, clock.now(), {})
    at = clock.now() + timedelta(minutes=11)
    expired = await store.expire_calls(clock.now() + timedelta(minutes=5), at, "no answer")
    assert [c.call_id for c in expired] == ["old"]
    assert (expired[0].state, expired[0].completed_at, expired[0].error_description) == (
        CallState.TIMED_OUT,
        at,
        "no answer",
    )
    assert await store.lookup_call("old") == expired[0]
    assert await store.expire_calls(clock.now() + timedelta(minutes=5), at, "again") == []
    new = await store.lookup_call("new")
    assert new is not None
    assert new.state is CallState.PENDING


async def test_list_calls_newest_first(store: Store, clock: FixedClock) -> None:
    for n, station_id in enumerate(["cs1", "cs2", "cs1", "cs1"]):
        await store.create_call(_call(f"c{n}", station_id, clock, minutes=n))
    assert [c.call_id for c in await store.list_calls()] == ["c3", "c2", "c1", "c0"]
    assert [c.call_id for c in await store.list_calls("cs1")] == ["c3", "c2", "c0"]
    assert [c.call_id for c in await store.list_calls("cs1", limit=2)] == ["c3", "c2"]
    assert [c.call_id for c in await store.list_calls(limit=1)] == ["c3"]
    assert await store.list_calls("cs3") == []
