"""The sync loops on the real store, with a recording transport and a fixed clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import orjson

from core.clock import FixedClock
from core.config import SyncConfig
from core.events import EventBus
from core.handlers.call_maker import CallMaker
from core.ocpp.types import Message, MessageType, OcppVersion
from core.store.models import (
    CertificateStatus,
    CertificateType,
    InstallCertificate,
    RuntimeDetails,
    Setting,
    SettingStatus,
    TriggerMessage,
)
from core.store.sqlite import SqliteStore
from core.sync.syncer import Syncer, parse_setting_key
from tests.unit.handlers.conftest import Env


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Message]] = []

    async def emit(self, version: OcppVersion, station_id: str, message: Message) -> None:
        self.sent.append((station_id, message))


def syncer(store: SqliteStore, clock: FixedClock, rec: Recorder, **config: object) -> Syncer:
    bus = EventBus()
    return Syncer(store, CallMaker(rec, store, store, bus, clock), bus, clock, SyncConfig(**config))  # type: ignore[arg-type]


async def boot(store: SqliteStore, station: str, version: str) -> None:
    await store.set_runtime_details(station, RuntimeDetails(ocpp_version=version))


def test_setting_key_syntax() -> None:
    assert parse_setting_key("EVSE;main;2/Power;L1;MaxSet", "11000") == {
        "attributeValue": "11000",
        "component": {"name": "EVSE", "instance": "main", "evse": {"id": 2}},
        "variable": {"name": "Power", "instance": "L1"},
        "attributeType": "MaxSet",
    }
    assert parse_setting_key("no slash here", "1") is None


async def test_settings_become_change_configuration_or_set_variables(
    sqlite_store: SqliteStore, clock: FixedClock
) -> None:
    rec = Recorder()
    await boot(sqlite_store, "CS16", "1.6")
    await boot(sqlite_store, "CS201", "2.0.1")
    await sqlite_store.update_settings(
        "CS16", [Setting("HeartbeatInterval", "60"), Setting("MeterValueSampleInterval", "30")]
    )
    await sqlite_store.update_settings(
        "CS201", [Setting("OCPPCommCtrlr/HeartbeatInterval", "60"), Setting("bad key", "x")]
    )
    assert await syncer(sqlite_store, clock, rec).tick() == 3
    calls = [(s, m.action, m.request) for s, m in rec.sent]
    assert ("CS16", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}) in calls
    assert (
        "CS16",
        "ChangeConfiguration",
        {"key": "MeterValueSampleInterval", "value": "30"},
    ) in calls
    assert (
        "CS201",
        "SetVariables",
        {
            "setVariableData": [
                {
                    "attributeValue": "60",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                }
            ]
        },
    ) in calls
    statuses = {s.name: s.status for s in await sqlite_store.lookup_settings("CS201")}
    assert statuses["bad key"] is SettingStatus.REJECTED
    records = await sqlite_store.list_calls("CS16")
    assert {r.origin for r in records} == {"sync"}  # every push is a call record


async def test_never_booted_station_is_skipped_then_served_after_boot(
    sqlite_store: SqliteStore, clock: FixedClock
) -> None:
    rec = Recorder()
    sync = syncer(sqlite_store, clock, rec)
    await sqlite_store.update_settings("NEW", [Setting("HeartbeatInterval", "60")])
    assert await sync.tick() == 0
    assert rec.sent == []
    await boot(sqlite_store, "NEW", "1.6")
    clock.advance(121)  # the lease taken by the first tick expires
    assert await sync.tick() == 1


async def test_two_managers_send_each_item_once(
    sqlite_store: SqliteStore, clock: FixedClock
) -> None:
    rec = Recorder()
    for i in range(30):
        await boot(sqlite_store, f"CS{i}", "1.6")
        await sqlite_store.update_settings(f"CS{i}", [Setting("K", str(i))])
    counts = await asyncio.gather(
        syncer(sqlite_store, clock, rec, page_size=50).tick(),
        syncer(sqlite_store, clock, rec, page_size=50).tick(),
    )
    assert sum(counts) == 30
    assert sorted(s for s, _ in rec.sent) == sorted(f"CS{i}" for i in range(30))


async def test_certificates_are_tunnelled_for_16_and_given_up_eventually(
    sqlite_store: SqliteStore, clock: FixedClock
) -> None:
    rec = Recorder()
    await boot(sqlite_store, "CS16", "1.6")
    await sqlite_store.upsert_install_certificates(
        "CS16", [InstallCertificate("abc", CertificateType.V2G, "-----PEM-----")]
    )
    sync = syncer(sqlite_store, clock, rec, max_attempts=2)
    assert await sync.tick() == 1
    [(_, message)] = rec.sent
    assert message.action == "DataTransfer"
    assert message.request is not None
    assert message.request["vendorId"] == "org.openchargealliance.iso15118pnc"
    assert message.request["messageId"] == "InstallCertificate"
    assert orjson.loads(message.request["data"]) == {
        "certificateType": "V2GRootCertificate",
        "certificate": "-----PEM-----",
    }
    for _ in range(3):  # never answered: retried after each lease, then given up
        clock.advance(121)
        await sync.tick()
    [cert] = await sqlite_store.lookup_install_certificates("CS16")
    assert cert.status is CertificateStatus.REJECTED
    assert [e.event_type for e in await sqlite_store.list_station_events("CS16")] == ["SyncGaveUp"]
    assert len(rec.sent) == 2


async def test_triggers_pick_the_right_message(
    sqlite_store: SqliteStore, clock: FixedClock
) -> None:
    rec = Recorder()
    await boot(sqlite_store, "A", "1.6")
    await boot(sqlite_store, "B", "1.6")
    await boot(sqlite_store, "C", "2.0.1")
    await sqlite_store.set_trigger("A", TriggerMessage("StatusNotification"))
    await sqlite_store.set_trigger("B", TriggerMessage("SignV2GCertificate"))
    await sqlite_store.set_trigger("C", TriggerMessage("SignChargingStationCertificate"))
    await syncer(sqlite_store, clock, rec).tick()
    sent = {s: m for s, m in rec.sent}
    assert (sent["A"].action, sent["A"].request) == (
        "TriggerMessage",
        {"requestedMessage": "StatusNotification"},
    )
    assert sent["B"].action == "DataTransfer"
    assert sent["B"].request is not None
    assert sent["B"].request["messageId"] == "TriggerMessage"
    assert (sent["C"].action, sent["C"].request) == (
        "TriggerMessage",
        {"requestedMessage": "SignChargingStationCertificate"},
    )


async def test_full_flow_through_the_router(env: Env) -> None:
    """push → the station's answer through the real router → stored statuses updated."""
    await env.booted("CS1", "2.0.1")
    await env.store.update_settings(
        "CS1", [Setting("OCPPCommCtrlr/HeartbeatInterval", "60"), Setting("Foo/Bar", "1")]
    )
    sync = Syncer(env.store, env.deps.call_maker, env.bus, env.clock, SyncConfig())
    assert await sync.tick() == 1
    [(_, _, call)] = env.sent
    response = {
        "setVariableResult": [
            {
                "attributeStatus": "Accepted",
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
            },
            {
                "attributeStatus": "Rejected",
                "component": {"name": "Foo"},
                "variable": {"name": "Bar"},
            },
        ]
    }
    await env.routers[OcppVersion.V201].route(
        "CS1",
        Message(
            type=MessageType.CALL_RESULT,
            id=call.id,
            action="SetVariables",
            request=call.request,
            response=response,
        ),
    )
    assert {s.name: s.status for s in await env.store.lookup_settings("CS1")} == {
        "Foo/Bar": SettingStatus.REJECTED
    }
    record = await env.store.lookup_call(call.id)
    assert record is not None
    assert record.state.value == "answered"
    env.clock.advance(timedelta(minutes=5).total_seconds())
    assert await sync.tick() == 0  # nothing is retried: the rejected one is final
