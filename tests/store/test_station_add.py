"""Registering a new station never replaces an existing one (both store implementations)."""

from __future__ import annotations

import asyncio

from core.clock import FixedClock
from core.store.models import SecurityProfile, StationAuth
from core.store.sqlite import SqliteStore


async def test_add_station_refuses_an_existing_id(store: SqliteStore, clock: FixedClock) -> None:
    first = StationAuth(SecurityProfile.BASIC, "a" * 43 + "=", False)
    assert await store.add_station("cs1", first, clock.now()) is True
    other = StationAuth(SecurityProfile.TLS_BASIC, "b" * 43 + "=", True)
    assert await store.add_station("cs1", other, clock.now()) is False
    station = await store.lookup_station("cs1")
    assert station is not None and station.auth == first


async def test_concurrent_adds_of_one_id_register_it_once(
    store: SqliteStore, clock: FixedClock
) -> None:
    auths = [StationAuth(SecurityProfile.BASIC, f"{i:043d}=", False) for i in range(20)]
    results = await asyncio.gather(*(store.add_station("cs1", a, clock.now()) for a in auths))
    assert results.count(True) == 1
    station = await store.lookup_station("cs1")
    assert station is not None and station.auth == auths[results.index(True)]
