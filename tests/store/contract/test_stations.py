"""Store contract, station role: registration, login addresses, and deleting a station with
everything keyed by it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from core.clock import FixedClock
from core.store.models import (
    CallRecord,
    CertificateStatus,
    CertificateType,
    ConnectorStatus,
    DeviceModelVariable,
    EvCharging,
    InstallCertificate,
    LeniencyGrant,
    LeniencyUse,
    LoggedMessage,
    RuntimeDetails,
    SecurityProfile,
    Setting,
    SettingStatus,
    StationAuth,
    StationEvent,
    StoredMeterValues,
    Transaction,
    TriggerMessage,
)
from core.store.postgres import PostgresStore
from core.store.protocols import Store
from core.store.sqlite import LOGIN_ADDRESSES_KEPT, SqliteStore
from tests.store.contract.samples import AUTH, reading, reservation


async def test_register_station_creates_then_updates_only_the_auth(
    store: Store, clock: FixedClock
) -> None:
    first_seen = clock.now()
    await store.register_station("cs1", AUTH, first_seen)
    newer = StationAuth(SecurityProfile.TLS_BASIC, "b" * 43 + "=", True)
    await store.register_station("cs1", newer, first_seen + timedelta(days=1))
    station = await store.lookup_station("cs1")
    assert station is not None
    assert (station.station_id, station.auth, station.registered_at) == ("cs1", newer, first_seen)
    assert station.pending_boot is False


async def test_add_station_refuses_an_existing_id(store: Store, clock: FixedClock) -> None:
    assert await store.add_station("cs1", AUTH, clock.now()) is True
    other = StationAuth(SecurityProfile.TLS_BASIC, "b" * 43 + "=", True)
    assert await store.add_station("cs1", other, clock.now()) is False
    station = await store.lookup_station("cs1")
    assert station is not None
    assert station.auth == AUTH


async def test_concurrent_adds_of_one_id_register_it_once(store: Store, clock: FixedClock) -> None:
    auths = [StationAuth(SecurityProfile.BASIC, f"{i:043d}=", False) for i in range(20)]
    results = await asyncio.gather(*(store.add_station("cs1", a, clock.now()) for a in auths))
    assert results.count(True) == 1
    station = await store.lookup_station("cs1")
    assert station is not None
    assert station.auth == auths[results.index(True)]


async def test_lookups_of_an_unknown_station_find_nothing(store: Store) -> None:
    assert await store.lookup_station("nobody") is None
    assert await store.lookup_station_auth("nobody") is None


async def test_lookup_station_auth_returns_each_auth_field(store: Store, clock: FixedClock) -> None:
    for profile in SecurityProfile:
        auth = StationAuth(profile, None if profile < 0 else "h=", profile == 1)
        await store.register_station(f"cs{profile.value}", auth, clock.now())
        assert await store.lookup_station_auth(f"cs{profile.value}") == auth


async def test_list_stations_pages_by_id(store: Store, clock: FixedClock) -> None:
    ids = [f"cs{n:02d}" for n in range(5)]
    for station_id in reversed(ids):
        await store.register_station(station_id, AUTH, clock.now())
    first = await store.list_stations(limit=2)
    assert [s.station_id for s in first] == ids[:2]
    second = await store.list_stations(after=first[-1].station_id, limit=2)
    assert [s.station_id for s in second] == ids[2:4]
    rest = await store.list_stations(after=second[-1].station_id, limit=2)
    assert [s.station_id for s in rest] == ids[4:]
    assert await store.list_stations(after=ids[-1]) == []
    everything = await store.list_stations()
    assert [s.station_id for s in everything] == ids
    assert everything[0].auth == AUTH


async def test_pending_boot_is_set_and_cleared(store: Store, clock: FixedClock) -> None:
    await store.register_station("cs1", AUTH, clock.now())
    await store.set_pending_boot("cs1", True)
    station = await store.lookup_station("cs1")
    assert station is not None
    assert station.pending_boot is True
    await store.set_pending_boot("cs1", False)
    station = await store.lookup_station("cs1")
    assert station is not None
    assert station.pending_boot is False
    await store.set_pending_boot("nobody", True)  # an unknown id: nothing is created
    assert await store.lookup_station("nobody") is None


async def test_login_addresses_keep_the_newest_few(store: Store, clock: FixedClock) -> None:
    t0 = clock.now()
    for n in range(LOGIN_ADDRESSES_KEPT + 2):
        await store.remember_login_address("cs1", f"10.0.0.{n}", t0 + timedelta(minutes=n))
    await store.remember_login_address("cs2", "192.0.2.1", t0)
    newest_first = [f"10.0.0.{n}" for n in reversed(range(2, LOGIN_ADDRESSES_KEPT + 2))]
    assert await store.login_addresses("cs1", since=t0) == newest_first
    # Logging in again from a kept address makes it the newest; nothing is duplicated.
    again = t0 + timedelta(hours=1)
    await store.remember_login_address("cs1", "10.0.0.2", again)
    listed = await store.login_addresses("cs1", since=t0)
    assert listed[0] == "10.0.0.2"
    assert len(listed) == len(set(listed)) == LOGIN_ADDRESSES_KEPT
    # ``since`` is inclusive and cuts older logins off.
    assert await store.login_addresses("cs1", since=again) == ["10.0.0.2"]
    assert await store.login_addresses("cs2", since=t0) == ["192.0.2.1"]
    assert await store.login_addresses("nobody", since=t0) == []


async def test_a_login_records_its_address_and_version_in_one(
    store: Store, clock: FixedClock
) -> None:
    t0 = clock.now()
    await store.register_station("cs1", AUTH, t0)
    await store.record_login("cs1", "10.0.0.1", t0, "2.0.1")
    assert await store.login_addresses("cs1", since=t0) == ["10.0.0.1"]
    runtime = await store.lookup_runtime_details("cs1")
    assert runtime is not None
    assert runtime.ocpp_version == "2.0.1"
    # Again from the same address, on the other version: its time is refreshed, no row added.
    later = t0 + timedelta(minutes=5)
    await store.record_login("cs1", "10.0.0.1", later, "1.6")
    assert await store.login_addresses("cs1", since=later) == ["10.0.0.1"]
    assert await store.login_addresses("cs1", since=t0) == ["10.0.0.1"]
    runtime = await store.lookup_runtime_details("cs1")
    assert runtime is not None
    assert runtime.ocpp_version == "1.6"
    # A new address is added beside it, the newest first.
    await store.record_login("cs1", "10.0.0.2", later + timedelta(minutes=1), "1.6")
    assert await store.login_addresses("cs1", since=t0) == ["10.0.0.2", "10.0.0.1"]


async def test_delete_station_of_an_unknown_id_is_false(store: Store) -> None:
    assert await store.delete_station("nobody") is False


async def _populate(store: Store, station_id: str, clock: FixedClock) -> None:
    """One row in every table keyed by a station, each through the store's own API."""
    now = clock.now()
    await store.register_station(station_id, AUTH, now)
    await store.remember_login_address(station_id, "10.0.0.1", now)
    await store.set_runtime_details(station_id, RuntimeDetails("2.0.1", vendor="V"))
    await store.set_connector_status(station_id, ConnectorStatus(1, 1, "Available"))
    await store.update_settings(station_id, [Setting("HeartbeatInterval", "60")])
    await store.upsert_install_certificates(
        station_id, [InstallCertificate("c1", CertificateType.V2G, "PEM")]
    )
    await store.set_trigger(station_id, TriggerMessage("BootNotification"))
    await store.start_transaction_16(station_id, 1, "TAG", 10.0, now, 1)
    await store.apply_transaction_event(
        station_id, Transaction(station_id, "T1", evse_id=2), "Started", 0, now, []
    )
    await store.add_meter_values([StoredMeterValues(station_id, 1, None, reading(now, 5.0))])
    await store.upsert_device_model(station_id, [DeviceModelVariable("OCPPCommCtrlr", "X")])
    await store.set_ev_charging(EvCharging(station_id, 1, now))
    await store.add_reservation(reservation(station_id, now))
    await store.add_station_event(StationEvent(station_id, now, "SecurityEvent"))
    await store.log_messages([LoggedMessage(station_id, now, "in", 2, "m1", "Heartbeat", {})])
    await store.create_call(CallRecord(f"{station_id}-c1", station_id, "Reset", {}, "2.0.1", now))
    await store.set_leniency_grant(LeniencyGrant(station_id, ("enum-case",)))
    await store.count_leniency(station_id, [LeniencyUse("enum-case", "StatusNotification")], now)


async def _rows_by_table(store: SqliteStore, station_id: str) -> dict[str, int]:
    """Rows of ``station_id`` in every table with a station_id column, found in the schema —
    so a table added later is checked without being listed here."""

    def job(c: Any) -> dict[str, int]:
        if isinstance(store, PostgresStore):
            tables = c.execute(
                "SELECT table_name FROM information_schema.columns"
                " WHERE table_schema='public' AND column_name='station_id'"
            ).fetchall()
        else:
            tables = c.execute(
                "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p"
                " WHERE m.type='table' AND p.name='station_id'"
            ).fetchall()
        counts: dict[str, int] = {}
        for (table,) in tables:
            # The table names come from the schema itself, not from input.
            sql = f"SELECT COUNT(*) FROM {table} WHERE station_id=?"  # noqa: S608
            counts[table] = c.execute(sql, (station_id,)).fetchone()[0]
        return counts

    return await store.run(job)


async def test_delete_station_removes_everything_keyed_by_it(
    store: SqliteStore, clock: FixedClock
) -> None:
    await _populate(store, "gone", clock)
    await _populate(store, "kept", clock)
    before = await _rows_by_table(store, "gone")
    assert all(before.values()), f"not every station table was populated: {before}"

    assert await store.delete_station("gone") is True

    assert set((await _rows_by_table(store, "gone")).values()) == {0}
    assert await _rows_by_table(store, "kept") == before  # the other station keeps all of it
    # And through the roles: nothing of it is found any more.
    assert await store.lookup_station("gone") is None
    assert await store.login_addresses("gone", since=clock.now()) == []
    assert await store.lookup_runtime_details("gone") is None
    assert await store.list_connector_statuses("gone") == []
    assert await store.lookup_settings("gone") == []
    assert await store.lookup_install_certificates("gone") == []
    assert await store.lookup_trigger("gone") is None
    assert await store.list_transactions("gone") == []
    assert await store.list_meter_values("gone") == []
    assert await store.lookup_device_model("gone") == []
    assert await store.lookup_ev_charging("gone", 1) is None
    assert await store.list_reservations("gone") == []
    assert await store.list_station_events("gone") == []
    assert await store.list_messages(station_id="gone") == []
    assert await store.list_calls("gone") == []
    assert await store.lookup_leniency_grant("gone") is None
    assert await store.list_leniency_counts("gone") == []
    # A station registered again under the id starts afresh: its 1.6 ids are free again.
    await store.register_station("gone", AUTH, clock.now())
    assert await store.start_transaction_16("gone", 1, "TAG", 10.0, clock.now(), 1) == (1, True)


async def test_delete_station_is_all_or_nothing(store: SqliteStore, clock: FixedClock) -> None:
    """A delete that fails part-way (here a trigger refuses the last table) leaves the station
    whole, never half removed."""
    await _populate(store, "cs1", clock)
    before = await _rows_by_table(store, "cs1")
    if isinstance(store, PostgresStore):
        refuse = [
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused';"
            " END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse BEFORE DELETE ON calls FOR EACH ROW EXECUTE FUNCTION refuse()",
        ]
    else:
        refuse = [
            "CREATE TRIGGER refuse BEFORE DELETE ON calls BEGIN SELECT RAISE(ABORT, 'refused'); END"
        ]
    await store.run(lambda c: [c.execute(s) for s in refuse])
    with pytest.raises(Exception, match="refused"):
        await store.delete_station("cs1")
    assert await _rows_by_table(store, "cs1") == before
    assert await store.lookup_station("cs1") is not None

    await store.run(
        lambda c: c.execute(
            "DROP TRIGGER refuse" + (" ON calls" if isinstance(store, PostgresStore) else "")
        )
    )
    assert await store.delete_station("cs1") is True
    assert set((await _rows_by_table(store, "cs1")).values()) == {0}


async def test_boot_pending_says_whether_a_boot_is_answered_pending(
    store: Store, clock: FixedClock
) -> None:
    for station_id in ("cs1", "cs2"):
        await store.register_station(station_id, AUTH, clock.now())
    assert not await store.boot_pending("cs1")
    assert not await store.boot_pending("unknown")
    await store.set_pending_boot("cs1", True)  # an operator asked for it
    assert await store.boot_pending("cs1")
    await store.set_pending_boot("cs1", False)
    # A setting waiting to be pushed; one already accepted is no reason.
    await store.update_settings("cs1", [Setting("A", "1", SettingStatus.ACCEPTED)])
    assert not await store.boot_pending("cs1")
    await store.update_settings("cs1", [Setting("B", "2")])
    assert await store.boot_pending("cs1")
    await store.update_settings("cs1", [Setting("B", "2", SettingStatus.REJECTED)])
    assert not await store.boot_pending("cs1")
    # A certificate waiting to be installed, on the other station only.
    accepted = InstallCertificate("c0", CertificateType.V2G, "PEM", CertificateStatus.ACCEPTED)
    await store.upsert_install_certificates("cs2", [accepted])
    assert not await store.boot_pending("cs2")
    await store.upsert_install_certificates(
        "cs2", [InstallCertificate("c1", CertificateType.V2G, "PEM")]
    )
    assert await store.boot_pending("cs2")
    assert not await store.boot_pending("cs1")
