"""Store contract, leniency role: a station's stored grant is replaced whole (an empty one
removes it), and each accepted violation adds one to its leniency's count with the latest
detail kept."""

from __future__ import annotations

from datetime import timedelta

from core.clock import FixedClock
from core.store.models import (
    LeniencyCount,
    LeniencyGrant,
    LeniencyUse,
    SecurityProfile,
    StationAuth,
)
from core.store.protocols import Store


async def test_grants_are_replaced_whole_and_an_empty_one_removes_it(store: Store) -> None:
    assert await store.lookup_leniency_grant("cs1") is None
    await store.set_leniency_grant(LeniencyGrant("cs1", ("enum-case", "extra-properties")))
    await store.set_leniency_grant(LeniencyGrant("cs2", (), "ocpp1.6"))
    assert await store.lookup_leniency_grant("cs1") == LeniencyGrant(
        "cs1", ("enum-case", "extra-properties")
    )
    assert await store.lookup_leniency_grant("cs2") == LeniencyGrant("cs2", (), "ocpp1.6")
    await store.set_leniency_grant(LeniencyGrant("cs1", ("timestamp-without-offset",)))
    assert await store.lookup_leniency_grant("cs1") == LeniencyGrant(
        "cs1", ("timestamp-without-offset",)
    )
    await store.set_leniency_grant(LeniencyGrant("cs1"))
    assert await store.lookup_leniency_grant("cs1") is None
    assert await store.lookup_leniency_grant("cs2") == LeniencyGrant("cs2", (), "ocpp1.6")


async def test_uses_are_counted_per_station_and_name(store: Store, clock: FixedClock) -> None:
    assert await store.list_leniency_counts("cs1") == []
    first, later = clock.now(), clock.now() + timedelta(seconds=7)
    await store.count_leniency(
        "cs1",
        [
            LeniencyUse("enum-case", "StatusNotification /status"),
            LeniencyUse("enum-case", "StatusNotification /errorCode"),
            LeniencyUse("extra-properties", "Heartbeat /vendorExtra"),
        ],
        first,
    )
    await store.count_leniency("cs1", [LeniencyUse("enum-case", "Authorize /x")], later)
    await store.count_leniency("cs2", [LeniencyUse("enum-case", "Heartbeat /y")], first)
    await store.count_leniency("cs2", [], later)  # nothing to count: nothing changes
    assert await store.list_leniency_counts("cs1") == [
        LeniencyCount("cs1", "enum-case", 3, later, "Authorize /x"),
        LeniencyCount("cs1", "extra-properties", 1, first, "Heartbeat /vendorExtra"),
    ]
    assert await store.list_leniency_counts("cs2") == [
        LeniencyCount("cs2", "enum-case", 1, first, "Heartbeat /y")
    ]


async def test_deleting_a_station_forgets_its_grant_and_counts(
    store: Store, clock: FixedClock
) -> None:
    await store.register_station("cs1", StationAuth(SecurityProfile.NO_AUTH), clock.now())
    await store.set_leniency_grant(LeniencyGrant("cs1", ("enum-case",)))
    await store.count_leniency("cs1", [LeniencyUse("enum-case", "Heartbeat /a")], clock.now())
    assert await store.delete_station("cs1")
    assert await store.lookup_leniency_grant("cs1") is None
    assert await store.list_leniency_counts("cs1") == []
