"""The event bus: every subscriber gets the events published after it subscribed, in order; one
that falls behind loses its oldest events and is told so; one that names kinds gets only those."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from core.events import (
    Event,
    EventBus,
    MessageLogged,
    Resync,
    StationBooted,
    StationConnected,
    StationDisconnected,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _frame(n: int) -> MessageLogged:
    return MessageLogged(at=T0, direction="in", message_type=2, message_id=str(n))


async def test_each_subscriber_gets_every_event_in_order() -> None:
    bus = EventBus()
    early = bus.subscribe()
    first = bus.publish(_frame(1))
    late = bus.subscribe()
    second = bus.publish(_frame(2))
    assert [await early.get(), await early.get()] == [first, second]
    assert await late.get() == second
    assert late.get_nowait() is None
    assert (first.seq, second.seq) == (1, 2)


async def test_a_subscriber_behind_loses_the_oldest_and_gets_a_resync() -> None:
    bus = EventBus()
    sub = bus.subscribe(maxsize=4)
    events = [bus.publish(_frame(n)) for n in range(6)]
    got = [sub.get_nowait() for _ in range(4)]
    assert sub.get_nowait() is None  # never more than maxsize held
    assert got[-1] == events[-1]  # the newest is kept
    kept = [e for e in got if not isinstance(e, Resync)]
    assert kept == [e for e in events if e in kept]  # in order, the oldest gone
    resyncs = [e for e in got if isinstance(e, Resync)]
    assert resyncs
    assert resyncs[-1].dropped == 2  # one for each time it overflowed


async def test_kinds_keep_other_events_out() -> None:
    bus = EventBus()
    sub = bus.subscribe(kinds=(StationConnected, StationBooted))
    bus.publish(_frame(1))
    connected = bus.publish(StationConnected(station_id="cs1", at=T0, ocpp_version="ocpp1.6"))
    bus.publish(StationDisconnected(station_id="cs1", at=T0))
    booted = bus.publish(StationBooted(station_id="cs1", at=T0, ocpp_version="1.6"))
    assert [sub.get_nowait(), sub.get_nowait(), sub.get_nowait()] == [connected, booted, None]


async def test_a_waiting_subscriber_wakes_for_the_next_event() -> None:
    bus = EventBus()
    sub = bus.subscribe()

    async def next_event() -> Event:  # through the iterator, as `async for` takes them
        return await anext(aiter(sub))

    waiting = asyncio.create_task(next_event())
    await asyncio.sleep(0)
    assert not waiting.done()
    event = bus.publish(_frame(1))
    assert await waiting == event


async def test_a_cancelled_getter_passes_the_event_on() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    cancelled = asyncio.create_task(sub.get())
    other = asyncio.create_task(sub.get())
    await asyncio.sleep(0)
    event = bus.publish(_frame(1))  # wakes the first getter…
    cancelled.cancel()  # …which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert await other == event


async def test_a_closed_subscription_gets_nothing_more() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    sub.close()
    bus.publish(_frame(1))
    assert sub.get_nowait() is None
    assert bus.subscriber_count == 0
