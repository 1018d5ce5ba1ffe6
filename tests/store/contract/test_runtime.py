"""Store contract, runtime role: what a station reported about itself and when it was heard
from; none of it registers the station."""

from __future__ import annotations

from datetime import timedelta

from core.clock import FixedClock
from core.store.models import ConnectorStatus, RuntimeDetails, Setting, SettingStatus
from core.store.protocols import Store
from core.store.sqlite import SqliteStore
from tests.store.contract.samples import AUTH


async def test_runtime_details_round_trip_and_replace(store: Store, clock: FixedClock) -> None:
    assert await store.lookup_runtime_details("cs1") is None
    booted = RuntimeDetails(
        ocpp_version="2.0.1",
        vendor="Vendor",
        model="Model",
        serial_number="SN1",
        firmware_version="1.2.3",
        boot_reason="PowerUp",
        boot_status="Accepted",
        last_boot_at=clock.now(),
        last_seen_at=clock.now(),
    )
    await store.set_runtime_details("cs1", booted)
    assert await store.lookup_runtime_details("cs1") == booted
    rebooted = RuntimeDetails("1.6", vendor="Other", boot_status="Pending")
    await store.set_runtime_details("cs1", rebooted)
    # Every field is replaced, except a last-seen time the new details do not carry.
    assert await store.lookup_runtime_details("cs1") == RuntimeDetails(
        "1.6", vendor="Other", boot_status="Pending", last_seen_at=clock.now()
    )
    assert await store.lookup_runtime_details("cs2") is None
    assert await store.list_stations() == []


async def test_a_login_changes_only_the_version_of_the_runtime(
    store: Store, clock: FixedClock
) -> None:
    await store.record_login("cs1", "10.0.0.1", clock.now(), "2.0.1")
    assert await store.lookup_runtime_details("cs1") == RuntimeDetails("2.0.1")
    booted = RuntimeDetails("2.0.1", vendor="V", model="M", last_boot_at=clock.now())
    await store.set_runtime_details("cs1", booted)
    await store.record_login("cs1", "10.0.0.1", clock.now(), "1.6")
    assert await store.lookup_runtime_details("cs1") == RuntimeDetails(
        "1.6", vendor="V", model="M", last_boot_at=clock.now()
    )


async def test_touch_station_records_only_the_last_contact(store: Store, clock: FixedClock) -> None:
    await store.touch_station("cs1", clock.now())
    assert await store.lookup_runtime_details("cs1") == RuntimeDetails("", last_seen_at=clock.now())
    await store.set_runtime_details("cs1", RuntimeDetails("2.0.1", vendor="V"))
    later = clock.now() + timedelta(minutes=5)
    await store.touch_station("cs1", later)
    assert await store.lookup_runtime_details("cs1") == RuntimeDetails(
        "2.0.1", vendor="V", last_seen_at=later
    )
    assert await store.list_stations() == []  # touching does not register a station


async def test_note_seen_is_seen_at_once_and_stored_by_close(
    store: SqliteStore, clock: FixedClock
) -> None:
    t0 = clock.now()
    store.note_seen("cs1", t0)  # not awaited: nothing waits for a commit
    assert await store.lookup_runtime_details("cs1") == RuntimeDetails("", last_seen_at=t0)
    await store.set_runtime_details("cs2", RuntimeDetails("2.0.1", vendor="V"))
    store.note_seen("cs2", t0)
    later = t0 + timedelta(seconds=30)
    store.note_seen("cs2", later)
    store.note_seen("cs2", t0)  # an older time noted after a newer one changes nothing
    expected = RuntimeDetails("2.0.1", vendor="V", last_seen_at=later)
    assert await store.lookup_runtime_details("cs2") == expected
    await store.close()  # a clean close writes what was noted
    await store.open()
    assert await store.lookup_runtime_details("cs1") == RuntimeDetails("", last_seen_at=t0)
    assert await store.lookup_runtime_details("cs2") == expected
    assert await store.list_stations() == []  # noting does not register a station


async def test_many_noted_times_are_all_stored(store: SqliteStore, clock: FixedClock) -> None:
    for n in range(300):
        store.note_seen(f"cs{n}", clock.now() + timedelta(seconds=n))
    await store.close()
    await store.open()
    for n in (0, 255, 299):
        runtime = await store.lookup_runtime_details(f"cs{n}")
        assert runtime == RuntimeDetails("", last_seen_at=clock.now() + timedelta(seconds=n))


async def test_note_seen_never_moves_a_stored_time_back(
    store: SqliteStore, clock: FixedClock
) -> None:
    later = clock.now() + timedelta(minutes=1)
    booted = RuntimeDetails("1.6", boot_status="Accepted", last_boot_at=later, last_seen_at=later)
    store.note_seen("cs1", clock.now())
    await store.set_runtime_details("cs1", booted)  # the boot is stored first…
    await store.close()  # …and the older noted time written after it
    await store.open()
    assert await store.lookup_runtime_details("cs1") == booted


async def test_a_deleted_station_keeps_no_noted_time(store: SqliteStore, clock: FixedClock) -> None:
    await store.register_station("cs1", AUTH, clock.now())
    store.note_seen("cs1", clock.now())
    assert await store.delete_station("cs1")
    await store.close()
    await store.open()
    assert await store.lookup_runtime_details("cs1") is None


async def test_connector_statuses_are_kept_per_connector_in_order(
    store: Store, clock: FixedClock
) -> None:
    assert await store.list_connector_statuses("cs1") == []
    t0 = clock.now()
    await store.set_connector_status("cs1", ConnectorStatus(2, 1, "Available", updated_at=t0))
    await store.set_connector_status("cs1", ConnectorStatus(1, 2, "Occupied"))
    await store.set_connector_status("cs1", ConnectorStatus(1, 1, "Available", updated_at=t0))
    await store.set_connector_status("cs2", ConnectorStatus(1, 1, "Unavailable"))
    later = t0 + timedelta(seconds=30)
    faulted = ConnectorStatus(1, 1, "Faulted", "GroundFailure", "relay", later)
    await store.set_connector_status("cs1", faulted)
    assert await store.list_connector_statuses("cs1") == [
        faulted,
        ConnectorStatus(1, 2, "Occupied"),
        ConnectorStatus(2, 1, "Available", updated_at=t0),
    ]
    assert await store.list_connector_statuses("cs2") == [ConnectorStatus(1, 1, "Unavailable")]


async def test_a_boot_makes_reboot_required_settings_accepted(store: Store) -> None:
    await store.update_settings(
        "cs1",
        [
            Setting("A", "1", SettingStatus.REBOOT_REQUIRED),
            Setting("B", "2", SettingStatus.REBOOT_REQUIRED),
            Setting("C", "3", SettingStatus.REJECTED),
        ],
    )
    await store.update_settings("cs2", [Setting("A", "1", SettingStatus.REBOOT_REQUIRED)])
    booted = RuntimeDetails("2.0.1", vendor="V", boot_status="Accepted")
    await store.record_boot("cs1", booted)
    assert await store.lookup_runtime_details("cs1") == booted
    assert {s.name: s.status for s in await store.lookup_settings("cs1")} == {
        "A": SettingStatus.ACCEPTED,
        "B": SettingStatus.ACCEPTED,
        "C": SettingStatus.REJECTED,
    }
    # Another station's wait for its own reboot.
    assert (await store.lookup_settings("cs2"))[0].status is SettingStatus.REBOOT_REQUIRED
