"""Store contract for ISO 15118 smart charging state: one row per (station, EVSE), replaced
whole, JSON kept as sent, removed with the station."""

from __future__ import annotations

from core.clock import FixedClock
from core.store.models import EvCharging, SecurityProfile, StationAuth
from core.store.sqlite import SqliteStore


async def test_ev_charging_is_kept_per_evse(store: SqliteStore, clock: FixedClock) -> None:
    assert await store.lookup_ev_charging("cs1", 1) is None
    needs = {"evseId": 1, "chargingNeeds": {"requestedEnergyTransfer": "DC"}}
    await store.set_ev_charging(EvCharging("cs1", 1, clock.now(), "TX1", needs=needs))
    profile = {"id": 7, "chargingProfilePurpose": "TxProfile", "limits": [1.5, 2]}
    await store.set_ev_charging(
        EvCharging("cs1", 1, clock.now(), "TX1", needs=needs, profile=profile, rejections=2)
    )
    await store.set_ev_charging(EvCharging("cs1", 2, clock.now(), "TX2"))
    assert await store.lookup_ev_charging("cs1", 1) == EvCharging(
        "cs1", 1, clock.now(), "TX1", needs=needs, profile=profile, rejections=2
    )
    assert await store.lookup_ev_charging("cs1", 2) == EvCharging("cs1", 2, clock.now(), "TX2")
    assert await store.lookup_ev_charging("cs2", 1) is None

    await store.register_station("cs1", StationAuth(SecurityProfile.BASIC, "h="), clock.now())
    assert await store.delete_station("cs1")
    assert await store.lookup_ev_charging("cs1", 1) is None
