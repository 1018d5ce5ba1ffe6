"""Store contract, station event role: an append-only history, newest first."""

from __future__ import annotations

from datetime import timedelta

from core.clock import FixedClock
from core.store.models import StationEvent
from core.store.protocols import Store


async def test_station_events_get_ids_and_list_newest_first(
    store: Store, clock: FixedClock
) -> None:
    assert await store.list_station_events() == []
    events = [
        StationEvent("cs1", clock.now(), "FirmwareStatus", {"status": "Installed"}),
        StationEvent("cs2", clock.now(), "SecurityEvent", {"type": "x", "nested": [1, None]}),
        StationEvent("cs1", clock.now() + timedelta(seconds=1), "SeqNoGap"),
    ]
    for event in events:
        await store.add_station_event(event)
    ids = [e.id for e in events]
    # Set on the event:
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    assert ids[0] > 0
    assert await store.list_station_events() == list(reversed(events))
    assert await store.list_station_events("cs1") == [events[2], events[0]]
    assert await store.list_station_events("cs1", limit=1) == [events[2]]
    assert await store.list_station_events(limit=2) == [events[2], events[1]]
    assert await store.list_station_events("cs3") == []
