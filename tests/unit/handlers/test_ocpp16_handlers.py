"""OCPP 1.6 handlers: each answer, and what it stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from core.events import StationEventRecorded, StatusChanged, TransactionEnded, TransactionStarted
from core.ocpp.types import Message, MessageType, OcppVersion
from core.store.models import (
    SecurityProfile,
    Setting,
    SettingStatus,
    StationAuth,
    TriggerMessage,
    TriggerStatus,
)
from tests.unit.handlers.conftest import Env

V16 = OcppVersion.V16
BOOT = {
    "chargePointVendor": "Acme",
    "chargePointModel": "X1",
    "chargePointSerialNumber": "SN1",
    "firmwareVersion": "1.0",
}


async def test_boot_records_identity_and_accepts(env: Env) -> None:
    reply = await env.ok(V16, "BootNotification", BOOT)
    assert reply == {"status": "Accepted", "currentTime": env.now(), "interval": 300}
    runtime = await env.store.lookup_runtime_details("CS1")
    assert runtime is not None
    assert (
        runtime.ocpp_version,
        runtime.vendor,
        runtime.model,
        runtime.serial_number,
        runtime.firmware_version,
    ) == ("1.6", "Acme", "X1", "SN1", "1.0")
    assert runtime.last_boot_at == env.clock.now()


async def test_boot_is_pending_while_settings_wait_or_operator_asks(env: Env) -> None:
    await env.store.update_settings("CS1", [Setting("HeartbeatInterval", "60")])
    assert (await env.ok(V16, "BootNotification", BOOT))["status"] == "Pending"
    assert (await env.ok(V16, "BootNotification", BOOT))["interval"] == 30
    await env.store.set_setting_status("CS1", "HeartbeatInterval", SettingStatus.ACCEPTED)
    assert (await env.ok(V16, "BootNotification", BOOT))["status"] == "Accepted"
    await env.store.register_station(
        "CS1", StationAuth(SecurityProfile.BASIC, "x"), env.clock.now()
    )
    await env.store.set_pending_boot("CS1", True)
    assert (await env.ok(V16, "BootNotification", BOOT))["status"] == "Pending"


async def test_boot_turns_reboot_required_settings_accepted(env: Env) -> None:
    await env.store.update_settings("CS1", [Setting("K", "v", SettingStatus.REBOOT_REQUIRED)])
    await env.ok(V16, "BootNotification", BOOT)
    assert (await env.store.lookup_settings("CS1"))[0].status is SettingStatus.ACCEPTED


async def test_heartbeat_records_last_seen(env: Env) -> None:
    env.clock.advance(42)
    assert await env.ok(V16, "Heartbeat", {}) == {"currentTime": env.now()}
    runtime = await env.store.lookup_runtime_details("CS1")
    assert runtime is not None
    assert runtime.last_seen_at == env.clock.now()


async def test_status_notification_per_connector(env: Env) -> None:
    await env.ok(
        V16,
        "StatusNotification",
        {"connectorId": 2, "errorCode": "GroundFailure", "status": "Faulted", "info": "ouch"},
    )
    [status] = await env.store.list_connector_statuses("CS1")
    assert (status.connector_id, status.status, status.error_code, status.info) == (
        2,
        "Faulted",
        "GroundFailure",
        "ouch",
    )
    assert [e.status for e in env.events(StatusChanged)] == ["Faulted"]


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({}, "Accepted"),
        ({"valid": False}, "Invalid"),
        ({"status": "Blocked"}, "Blocked"),
        ({"expiry_date": datetime(2020, 1, 1, tzinfo=UTC)}, "Expired"),
    ],
)
async def test_authorize_honours_token_validity(
    env: Env, extra: dict[str, object], status: str
) -> None:
    await env.token("TAG", **extra)
    assert (await env.ok(V16, "Authorize", {"idTag": "TAG"}))["idTagInfo"]["status"] == status


async def test_authorize_unknown_and_group(env: Env) -> None:
    assert (await env.ok(V16, "Authorize", {"idTag": "NOPE"}))["idTagInfo"] == {"status": "Invalid"}
    await env.token("KID", group_id="FAMILY")
    assert (await env.ok(V16, "Authorize", {"idTag": "KID"}))["idTagInfo"][
        "parentIdTag"
    ] == "FAMILY"


async def test_rejected_start_is_stored_as_not_authorised(env: Env) -> None:
    await env.token("BAD", status="Blocked")
    reply = await env.ok(
        V16,
        "StartTransaction",
        {"connectorId": 1, "idTag": "BAD", "meterStart": 0, "timestamp": env.now()},
    )
    assert reply["idTagInfo"]["status"] == "Blocked"
    assert reply["transactionId"] > 0
    [tx] = await env.store.list_transactions()
    assert tx.transaction_id == str(reply["transactionId"])
    assert (tx.auth_status, tx.authorized, tx.meter_start_wh) == ("Blocked", False, 0)
    assert len(env.events(TransactionStarted)) == 1


async def test_start_is_idempotent_and_stop_computes_cost(env: Env) -> None:
    await env.token("TAG")
    start = {"connectorId": 1, "idTag": "TAG", "meterStart": 1000, "timestamp": env.now()}
    first = await env.ok(V16, "StartTransaction", start)
    again = await env.ok(V16, "StartTransaction", start)
    assert first["transactionId"] == again["transactionId"] > 0
    assert len(env.events(TransactionStarted)) == 1
    tx_id = first["transactionId"]
    env.clock.advance(3600)
    stop = {
        "transactionId": tx_id,
        "meterStop": 11000,
        "timestamp": env.now(),
        "reason": "EVDisconnected",
        "idTag": "TAG",
    }
    assert (await env.ok(V16, "StopTransaction", stop))["idTagInfo"]["status"] == "Accepted"
    tx = await env.store.find_transaction("CS1", str(tx_id))
    assert tx is not None
    assert not tx.active
    assert (tx.stopped_reason, tx.meter_stop_wh, tx.currency) == ("EVDisconnected", 11000, "EUR")
    assert tx.cost == pytest.approx(5.5)
    [ended] = env.events(TransactionEnded)
    assert ended.energy_wh == 10000


async def test_stop_naming_another_stations_transaction_touches_nothing(env: Env) -> None:
    await env.token("TAG")
    start = await env.ok(
        V16,
        "StartTransaction",
        {"connectorId": 1, "idTag": "TAG", "meterStart": 0, "timestamp": env.now()},
        station="VICTIM",
    )
    reply = await env.ok(
        V16,
        "StopTransaction",
        {"transactionId": start["transactionId"], "meterStop": 5, "timestamp": env.now()},
        station="ATTACKER",
    )
    assert reply == {}
    victim = await env.store.find_transaction("VICTIM", str(start["transactionId"]))
    assert victim is not None
    assert victim.active
    assert [e.event_type for e in await env.store.list_station_events("ATTACKER")] == [
        "UnknownTransaction"
    ]


async def test_meter_values_stored_in_and_out_of_transactions(env: Env) -> None:
    sample = {
        "timestamp": env.now(),
        "sampledValue": [
            {"value": "7.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
            {"value": "11", "measurand": "Power.Active.Import", "unit": "kW"},
        ],
    }
    await env.ok(V16, "MeterValues", {"connectorId": 1, "meterValue": [sample]})
    [stored] = await env.store.list_meter_values("CS1")
    assert stored.transaction_id is None
    units = [
        (sv.measurand, sv.value, sv.unit_of_measure.unit if sv.unit_of_measure else None)
        for sv in stored.meter_value.sampled_values
    ]
    assert units == [
        ("Energy.Active.Import.Register", 7.5, "kWh"),
        ("Power.Active.Import", 11.0, "kW"),
    ]


async def test_notifications_become_station_events(env: Env) -> None:
    await env.ok(V16, "FirmwareStatusNotification", {"status": "Downloading"})
    await env.ok(
        V16, "SecurityEventNotification", {"type": "StartupOfTheDevice", "timestamp": env.now()}
    )
    await env.ok(V16, "DiagnosticsStatusNotification", {"status": "Uploaded"})
    events = await env.store.list_station_events("CS1")
    assert [e.event_type for e in events] == [
        "DiagnosticsStatus",
        "SecurityEvent",
        "FirmwareStatus",
    ]
    assert len(env.events(StationEventRecorded)) == 3


async def test_data_transfer_routing(env: Env) -> None:
    assert (await env.ok(V16, "DataTransfer", {"vendorId": "acme"}))["status"] == "UnknownVendorId"
    pnc = "org.openchargealliance.iso15118pnc"
    assert (
        await env.ok(V16, "DataTransfer", {"vendorId": pnc, "messageId": "Nope", "data": "{}"})
    )["status"] == "UnknownMessageId"
    assert (await env.ok(V16, "DataTransfer", {"vendorId": pnc, "messageId": "Authorize"}))[
        "status"
    ] == "Rejected"
    await env.token("EMAID1")
    inner = {"idToken": {"idToken": "EMAID1", "type": "eMAID"}}
    reply = await env.ok(
        V16,
        "DataTransfer",
        {"vendorId": pnc, "messageId": "Authorize", "data": orjson.dumps(inner).decode()},
    )
    assert reply["status"] == "Accepted"
    assert orjson.loads(reply["data"]) == {"idTokenInfo": {"status": "Accepted"}}


async def test_change_configuration_results(env: Env) -> None:
    await env.booted("CS1", "1.6")
    await env.store.update_settings("CS1", [Setting("A", "1"), Setting("B", "2")])
    await env.result(
        V16, "ChangeConfiguration", {"key": "A", "value": "1"}, {"status": "RebootRequired"}
    )
    assert env.sent == []  # B still pending: no reboot yet
    await env.result(V16, "ChangeConfiguration", {"key": "B", "value": "2"}, {"status": "Accepted"})
    [(_, station, trigger)] = env.sent
    assert (station, trigger.type, trigger.action, trigger.request) == (
        "CS1",
        MessageType.CALL,
        "TriggerMessage",
        {"requestedMessage": "BootNotification"},
    )
    statuses = {s.name: s.status for s in await env.store.lookup_settings("CS1")}
    assert statuses == {"A": SettingStatus.REBOOT_REQUIRED, "B": SettingStatus.ACCEPTED}


async def test_trigger_message_result_clears_or_keeps_the_trigger(env: Env) -> None:
    await env.store.set_trigger(
        "CS1",
        TriggerMessage("StatusNotification", send_after=env.clock.now() + timedelta(minutes=2)),
    )
    await env.result(
        V16, "TriggerMessage", {"requestedMessage": "StatusNotification"}, {"status": "Accepted"}
    )
    assert await env.store.lookup_trigger("CS1") is None
    await env.store.set_trigger("CS1", TriggerMessage("Heartbeat"))
    await env.result(
        V16, "TriggerMessage", {"requestedMessage": "Heartbeat"}, {"status": "Rejected"}
    )
    stored = await env.store.lookup_trigger("CS1")
    assert stored is not None
    assert stored.status is TriggerStatus.REJECTED


async def test_the_reply_is_sent_only_after_its_commit(env: Env) -> None:
    """At the moment the CALLRESULT is emitted, a fresh connection already sees the row."""
    import sqlite3

    await env.token("TAG")
    seen_at_emit: list[object] = []
    original = env.emit

    async def checking_emit(version: OcppVersion, station_id: str, message: Message) -> None:
        with sqlite3.connect(env.store.path) as other:  # another connection: only committed data
            seen_at_emit.append(other.execute("SELECT transaction_id FROM transactions").fetchone())
        await original(version, station_id, message)

    env.emit = checking_emit  # type: ignore[method-assign]
    reply = await env.ok(
        V16,
        "StartTransaction",
        {"connectorId": 1, "idTag": "TAG", "meterStart": 0, "timestamp": env.now()},
    )
    assert seen_at_emit == [(str(reply["transactionId"]),)]


async def test_tunnelled_certificate_answer_updates_the_certificate(env: Env) -> None:
    from core.services.certificates import create_ca
    from core.services.x509_checks import chain_certificate_id as certificate_id
    from core.store.models import CertificateStatus, CertificateType, InstallCertificate

    root, _ = create_ca("V2G Root", "Test")
    await env.store.upsert_install_certificates(
        "CS1", [InstallCertificate(certificate_id(root), CertificateType.V2G, root)]
    )
    inner = {"certificateType": "V2GRootCertificate", "certificate": root}
    request = {
        "vendorId": "org.openchargealliance.iso15118pnc",
        "messageId": "InstallCertificate",
        "data": orjson.dumps(inner).decode(),
    }
    await env.result(
        V16, "DataTransfer", request, {"status": "Accepted", "data": '{"status":"Accepted"}'}
    )
    [cert] = await env.store.lookup_install_certificates("CS1")
    assert cert.status is CertificateStatus.ACCEPTED
