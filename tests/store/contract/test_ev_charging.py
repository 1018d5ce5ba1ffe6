"""Store contract, ISO 15118 smart charging role: one row per (station, EVSE), replaced whole,
JSON kept as sent."""

from __future__ import annotations

from datetime import timedelta

from core.clock import FixedClock
from core.store.models import EvCharging
from core.store.protocols import Store


async def test_ev_charging_is_kept_per_evse(store: Store, clock: FixedClock) -> None:
    assert await store.lookup_ev_charging("cs1", 1) is None
    needs = {"evseId": 1, "chargingNeeds": {"requestedEnergyTransfer": "DC"}}
    await store.set_ev_charging(EvCharging("cs1", 1, clock.now(), "TX1", needs=needs))
    profile = {"id": 7, "chargingProfilePurpose": "TxProfile", "limits": [1.5, 2]}
    later = clock.now() + timedelta(seconds=5)
    await store.set_ev_charging(
        EvCharging("cs1", 1, later, "TX1", needs=needs, profile=profile, rejections=2)
    )
    await store.set_ev_charging(EvCharging("cs1", 2, clock.now(), "TX2"))
    assert await store.lookup_ev_charging("cs1", 1) == EvCharging(
        "cs1", 1, later, "TX1", needs=needs, profile=profile, rejections=2
    )
    assert await store.lookup_ev_charging("cs1", 2) == EvCharging("cs1", 2, clock.now(), "TX2")
    assert await store.lookup_ev_charging("cs2", 1) is None
    # Replaced whole: what the new state leaves out is gone.
    await store.set_ev_charging(EvCharging("cs1", 1, later, "TX3"))
    assert await store.lookup_ev_charging("cs1", 1) == EvCharging("cs1", 1, later, "TX3")
