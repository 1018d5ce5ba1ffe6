"""Store contract, location role: OCPI locations kept as their JSON, paged by id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.clock import FixedClock
from core.store.models import Location
from core.store.protocols import Store


async def test_locations_round_trip_and_replace(store: Store, clock: FixedClock) -> None:
    assert await store.lookup_location("L1") is None
    data = {"id": "L1", "name": "Depot", "evses": [{"uid": "E1", "status": "AVAILABLE"}]}
    await store.set_location(Location("L1", data, clock.now()))
    assert await store.lookup_location("L1") == Location("L1", data, clock.now())
    later = clock.now() + timedelta(hours=1)
    await store.set_location(Location("L1", {"id": "L1"}, later))
    assert await store.lookup_location("L1") == Location("L1", {"id": "L1"}, later)


async def test_a_location_without_a_time_is_stamped_now(store: Store) -> None:
    before = datetime.now(UTC)
    await store.set_location(Location("L1", {}))
    stored = await store.lookup_location("L1")
    assert stored is not None
    assert stored.last_updated is not None
    assert before - timedelta(seconds=1) <= stored.last_updated <= datetime.now(UTC)


async def test_list_locations_pages_by_id(store: Store, clock: FixedClock) -> None:
    ids = [f"L{n:02d}" for n in range(5)]
    for location_id in reversed(ids):
        await store.set_location(Location(location_id, {"id": location_id}, clock.now()))
    assert [loc.id for loc in await store.list_locations()] == ids
    assert [loc.id for loc in await store.list_locations(limit=2)] == ids[:2]
    assert [loc.id for loc in await store.list_locations(offset=2, limit=2)] == ids[2:4]
    assert [loc.id for loc in await store.list_locations(offset=4)] == ids[4:]
    assert await store.list_locations(offset=5) == []
