"""Store contract, settings role: merged by name, claimed by the sync loop as leases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core.clock import FixedClock
from core.store.models import Setting, SettingStatus
from core.store.protocols import Store


async def test_update_settings_merges_by_name(store: Store, clock: FixedClock) -> None:
    assert await store.lookup_settings("cs1") == []
    await store.update_settings("cs1", [Setting("B", "1"), Setting("A", "1")])
    later = clock.now() + timedelta(minutes=1)
    await store.update_settings(
        "cs1", [Setting("B", "2", SettingStatus.REJECTED, send_after=later), Setting("C", "3")]
    )
    await store.update_settings("cs2", [Setting("A", "other")])
    assert await store.lookup_settings("cs1") == [
        Setting("A", "1"),
        Setting("B", "2", SettingStatus.REJECTED, send_after=later),
        Setting("C", "3"),
    ]
    assert await store.lookup_settings("cs2") == [Setting("A", "other")]
    await store.update_settings("cs1", [])  # nothing to merge: nothing changes
    assert len(await store.lookup_settings("cs1")) == 3


async def test_delete_settings_by_name_or_all(store: Store) -> None:
    await store.update_settings("cs1", [Setting("A", "1"), Setting("B", "2"), Setting("C", "3")])
    await store.update_settings("cs2", [Setting("A", "1")])
    await store.delete_settings("cs1", ["A", "missing"])
    assert [s.name for s in await store.lookup_settings("cs1")] == ["B", "C"]
    await store.delete_settings("cs1", [])
    assert [s.name for s in await store.lookup_settings("cs1")] == ["B", "C"]
    await store.delete_settings("cs1")
    assert await store.lookup_settings("cs1") == []
    assert [s.name for s in await store.lookup_settings("cs2")] == ["A"]


async def test_set_setting_status_keeps_or_replaces_the_value(store: Store) -> None:
    await store.update_settings("cs1", [Setting("A", "1")])
    await store.set_setting_status("cs1", "A", SettingStatus.ACCEPTED)
    assert await store.lookup_settings("cs1") == [Setting("A", "1", SettingStatus.ACCEPTED)]
    await store.set_setting_status("cs1", "A", SettingStatus.REJECTED, value="2")
    assert await store.lookup_settings("cs1") == [Setting("A", "2", SettingStatus.REJECTED)]
    # A status for a setting the CSMS did not hold records it (the station reported it).
    await store.set_setting_status("cs1", "B", SettingStatus.NOT_SUPPORTED)
    await store.set_setting_status("cs1", "C", SettingStatus.ACCEPTED, value="x")
    assert await store.lookup_settings("cs1") == [
        Setting("A", "2", SettingStatus.REJECTED),
        Setting("B", "", SettingStatus.NOT_SUPPORTED),
        Setting("C", "x", SettingStatus.ACCEPTED),
    ]


async def test_claims_are_leases(store: Store, clock: FixedClock) -> None:
    now = clock.now()
    await store.update_settings(
        "cs1",
        [
            Setting("A", "1"),
            Setting("B", "2"),
            Setting("done", "3", SettingStatus.ACCEPTED),
            Setting("later", "4", send_after=now + timedelta(minutes=10)),
        ],
    )
    lease = now + timedelta(minutes=2)
    claimed = await store.claim_due_settings(now, lease)
    assert claimed == {
        "cs1": [Setting("A", "1", send_after=lease), Setting("B", "2", send_after=lease)]
    }
    assert await store.claim_due_settings(now, lease) == {}  # leased: not due again yet
    expired = now + timedelta(minutes=3)
    again = await store.claim_due_settings(expired, expired + timedelta(minutes=2))
    assert [s.name for s in again["cs1"]] == ["A", "B"]  # an unanswered lease is retried
    due_later = now + timedelta(minutes=10)
    assert [s.name for s in (await store.claim_due_settings(due_later, lease))["cs1"]] == [
        "A",
        "B",
        "later",
    ]
    await store.set_setting_status("cs1", "A", SettingStatus.ACCEPTED)
    far = now + timedelta(hours=1)
    assert [s.name for s in (await store.claim_due_settings(far, far))["cs1"]] == ["B", "later"]


async def test_claims_are_limited_and_grouped_by_station(store: Store, clock: FixedClock) -> None:
    for station_id in ("cs2", "cs1"):
        await store.update_settings(station_id, [Setting("B", "2"), Setting("A", "1")])
    lease = clock.now() + timedelta(minutes=2)
    first = await store.claim_due_settings(clock.now(), lease, limit=3)
    assert {k: [s.name for s in v] for k, v in first.items()} == {"cs1": ["A", "B"], "cs2": ["A"]}
    rest = await store.claim_due_settings(clock.now(), lease, limit=3)
    assert {k: [s.name for s in v] for k, v in rest.items()} == {"cs2": ["B"]}


async def test_concurrent_claims_never_share_an_item(
    store: Store, other_manager: Store, clock: FixedClock
) -> None:
    names = [f"S{n:02d}" for n in range(20)]
    for station_id in ("cs1", "cs2"):
        await store.update_settings(station_id, [Setting(n, "v") for n in names])
    lease = clock.now() + timedelta(minutes=2)
    results = await asyncio.gather(
        *(m.claim_due_settings(clock.now(), lease, limit=7) for m in [store, other_manager] * 4)
    )
    claimed = [(st, s.name) for r in results for st, items in r.items() for s in items]
    assert len(claimed) == len(set(claimed)) == 40
