"""CsmsService on a real SQLite store, a real CallMaker and the real router for answers
(see ``tests/api/harness.py`` for the two gateway stand-ins)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.application.errors import Conflict, Invalid, NotFound, StationOffline
from core.application.rules import parse_variable_key
from core.application.views import CertificateInput, StationFilter, TokenInput
from core.commands.authorization import ClearCache
from core.commands.availability import Reset
from core.commands.configuration import (
    DataTransfer,
    GetConfiguration,
    RawCall,
    SetConfiguration,
    TriggerMessage,
)
from core.commands.display import SetDisplayMessage
from core.commands.registry import BY_NAME
from core.commands.smart_charging import GetCompositeSchedule
from core.commands.transactions import RemoteStart, RemoteStop, ReserveNow
from core.credentials import hash_password
from core.store.models import (
    ConnectorStatus,
    LoggedMessage,
    MeterValue,
    SampledValue,
    SecurityProfile,
    StationEvent,
    UnitOfMeasure,
)
from tests.api.harness import Env, certificate_pem, service_env


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with service_env() as environment:
        yield environment


# -- registration and lifecycle --------------------------------------------------------------


async def test_register_station_generates_a_password_and_stores_only_its_hash(env: Env) -> None:
    reg = await env.service.register_station("CS-1", 0)
    assert reg.url == "ws://csms.example/ws/CS-1"  # port 80 is the ws default: not shown
    assert reg.password is not None
    assert len(reg.password) == 16
    assert reg.password.isalnum()
    auth = await env.service.station_auth("CS-1")
    assert auth.base64_sha256_password == hash_password(reg.password)
    assert auth.to_json() == {
        "securityProfile": 0,
        "invalidUsernameAllowed": False,
        "base64SHA256Password": hash_password(reg.password),
    }
    tls = await env.service.register_station("CS-2", 1)
    assert tls.url == "wss://csms.example:9311/ws/CS-2"
    mtls = await env.service.register_station("CS-3", 2)
    assert mtls.password is None
    assert (await env.service.station_auth("CS-3")).base64_sha256_password is None


async def test_register_station_refuses_bad_input(env: Env) -> None:
    with pytest.raises(Invalid) as info:
        await env.service.register_station("bad id", 0)
    assert info.value.field == "csId"
    with pytest.raises(Invalid) as info:
        await env.service.register_station("CS1", 5)
    assert info.value.field == "securityProfile"
    with pytest.raises(Invalid) as info:
        await env.service.register_station("CS1", 0, password="short")
    assert info.value.field == "password"
    with pytest.raises(Invalid):
        await env.service.register_station("CS1", 2, password="x" * 20)


async def test_seed_upsert_checks_the_hash(env: Env) -> None:
    await env.service.set_station_auth("CS1", 1, hash_password("p" * 16), True)
    auth = await env.service.station_auth("CS1")
    assert auth.security_profile == 1
    assert auth.invalid_username_allowed
    with pytest.raises(Invalid) as info:
        await env.service.set_station_auth("CS1", 1, "not-base64!")
    assert info.value.field == "base64SHA256Password"


async def test_delete_and_pending_boot(env: Env) -> None:
    await env.service.register_station("CS1", 0)
    await env.service.set_pending_boot("CS1", True)
    assert (await env.service.station_summary("CS1")).pending_boot is True
    await env.service.set_pending_boot("CS1", False)
    assert (await env.service.station_summary("CS1")).pending_boot is False
    await env.service.delete_station("CS1")
    with pytest.raises(NotFound):
        await env.service.station_detail("CS1")
    with pytest.raises(NotFound):
        await env.service.delete_station("CS1")
    with pytest.raises(NotFound):
        await env.service.set_pending_boot("CS1", True)


async def test_security_profile_change_needs_a_password_for_basic_auth(env: Env) -> None:
    await env.service.register_station("CS1", 2)
    with pytest.raises(Invalid) as info:
        await env.service.set_security_profile("CS1", 1)
    assert info.value.field == "securityProfile"
    await env.service.register_station("CS2", 0)
    await env.service.set_security_profile("CS2", 1)
    auth = await env.service.station_auth("CS2")
    assert auth.security_profile == 1
    assert auth.base64_sha256_password is not None


# -- listing and detail ----------------------------------------------------------------------


async def test_list_stations_pages_and_filters(env: Env) -> None:
    for i in range(5):
        await env.boot(f"CS{i}", "1.6" if i % 2 else "2.0.1", connected=i < 2)
    await env.store.set_connector_status(
        "CS3", ConnectorStatus(1, 1, "Faulted", "GroundFailure", updated_at=env.clock.now())
    )
    page = await env.service.list_stations(limit=2)
    assert [s.station_id for s in page.stations] == ["CS0", "CS1"]
    assert page.next_after == "CS1"
    page2 = await env.service.list_stations(after=page.next_after, limit=3)
    assert [s.station_id for s in page2.stations] == ["CS2", "CS3", "CS4"]
    assert page2.next_after is None
    connected = await env.service.list_stations(StationFilter(connected=True))
    assert [s.station_id for s in connected.stations] == ["CS0", "CS1"]
    v16 = await env.service.list_stations(StationFilter(ocpp_version="1.6"))
    assert [s.station_id for s in v16.stations] == ["CS1", "CS3"]
    faulted = await env.service.list_stations(StationFilter(status="Faulted"))
    assert [s.station_id for s in faulted.stations] == ["CS3"]
    assert faulted.stations[0].connectors[0].error_code == "GroundFailure"
    text = await env.service.list_stations(StationFilter(text="cs4"))
    assert [s.station_id for s in text.stations] == ["CS4"]
    summary = connected.stations[0]
    assert (summary.vendor, summary.model, summary.ocpp_version) == ("Acme", "Volt", "2.0.1")
    assert summary.to_json()["lastSeenAt"] == "2026-01-01T12:00:00Z"


async def test_filtered_page_is_full_unless_exhausted(env: Env) -> None:
    for i in range(150):
        await env.boot(f"S{i:03d}", "2.0.1", connected=i % 3 == 0)
    page = await env.service.list_stations(StationFilter(connected=True), limit=40)
    assert len(page.stations) == 40
    assert page.next_after == "S117"
    rest = await env.service.list_stations(
        StationFilter(connected=True), after=page.next_after, limit=40
    )
    assert len(rest.stations) == 10
    assert rest.next_after is None


async def test_station_detail_shows_everything(env: Env) -> None:
    await env.boot("CS1", "2.0.1")
    await env.service.reconfigure("CS1", {"HeartbeatInterval": "60"})
    ids = await env.service.install_certificates(
        "CS1", [CertificateInput(type="CSMS", certificate=certificate_pem("root"))]
    )
    await env.service.set_trigger("CS1", "StatusNotification")
    await env.store.add_station_event(
        StationEvent("CS1", env.clock.now(), "SecurityEvent", {"type": "FirmwareUpdated"})
    )
    await env.store.log_messages(
        [LoggedMessage("CS1", env.clock.now(), "in", 2, "m1", "Heartbeat", {})]
    )
    call = await env.service.execute("CS1", ClearCache())
    detail = await env.service.station_detail("CS1")
    assert [(s.name, s.value, s.status) for s in detail.settings] == [
        ("HeartbeatInterval", "60", "Pending")
    ]
    assert [c.certificate_id for c in detail.certificates] == ids
    assert detail.certificates[0].subject == "CN=root"
    assert detail.trigger is not None
    assert detail.trigger.message == "StatusNotification"
    assert detail.recent_events[0].event_type == "SecurityEvent"
    assert detail.recent_messages[0].action == "Heartbeat"
    assert detail.recent_calls[0].call_id == call.call_id
    assert detail.has_password
    assert detail.connected
    data = detail.to_json()
    assert data["stationId"] == "CS1"
    assert data["recentCalls"][0]["action"] == "ClearCache"


async def test_reconfigure_limits_values_per_version(env: Env) -> None:
    await env.boot("CS1", "1.6")
    with pytest.raises(Invalid) as info:
        await env.service.reconfigure("CS1", {"Key": "x" * 501})
    assert info.value.field == "Key"
    await env.service.reconfigure("CS1", {"Key": "x" * 500})
    with pytest.raises(NotFound):
        await env.service.reconfigure("nope", {"Key": "1"})


async def test_certificates_and_triggers_are_checked(env: Env) -> None:
    await env.boot("CS1", "2.0.1")
    with pytest.raises(Invalid) as info:
        await env.service.install_certificates(
            "CS1", [CertificateInput(type="V2G", certificate="junk")]
        )
    assert info.value.field == "certificates/0/certificate"
    with pytest.raises(Invalid) as info:
        await env.service.set_trigger("CS1", "Heartbeat")
    assert info.value.field == "trigger"


async def test_client_certificate_store(env: Env) -> None:
    pem = certificate_pem("CS1")
    digest = await env.service.store_certificate(pem)
    assert await env.service.lookup_certificate(digest) == pem
    await env.service.delete_certificate(digest)
    await env.service.delete_certificate(digest)  # idempotent
    with pytest.raises(NotFound):
        await env.service.lookup_certificate(digest)
    with pytest.raises(Invalid):
        await env.service.store_certificate(
            "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n"
        )


# -- commands --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "command", "action", "request_payload"),
    [
        ("1.6", ("reset", {"type": "Immediate"}), "Reset", {"type": "Hard"}),
        (
            "2.0.1",
            ("reset", {"type": "Soft", "evse_id": 1}),
            "Reset",
            {"type": "OnIdle", "evseId": 1},
        ),
        (
            "1.6",
            ("remote_start", {"id_token": "TAG1", "evse_id": 2}),
            "RemoteStartTransaction",
            {"idTag": "TAG1", "connectorId": 2},
        ),
        (
            "2.0.1",
            ("remote_start", {"id_token": "TAG1", "evse_id": 2, "remote_start_id": 7}),
            "RequestStartTransaction",
            {"idToken": {"idToken": "TAG1", "type": "Central"}, "remoteStartId": 7, "evseId": 2},
        ),
        (
            "1.6",
            ("remote_stop", {"transaction_id": "42"}),
            "RemoteStopTransaction",
            {"transactionId": 42},
        ),
        (
            "2.0.1",
            ("remote_stop", {"transaction_id": "tx-1"}),
            "RequestStopTransaction",
            {"transactionId": "tx-1"},
        ),
        (
            "1.6",
            ("change_availability", {"operative": False, "evse_id": 1}),
            "ChangeAvailability",
            {"connectorId": 1, "type": "Inoperative"},
        ),
        (
            "2.0.1",
            ("change_availability", {"operative": True, "evse_id": 1, "connector_id": 2}),
            "ChangeAvailability",
            {"operationalStatus": "Operative", "evse": {"id": 1, "connectorId": 2}},
        ),
        (
            "2.0.1",
            ("change_availability", {"operative": False}),
            "ChangeAvailability",
            {"operationalStatus": "Inoperative"},
        ),
        ("1.6", ("unlock_connector", {"evse_id": 2}), "UnlockConnector", {"connectorId": 2}),
        (
            "2.0.1",
            ("unlock_connector", {"evse_id": 2, "connector_id": 1}),
            "UnlockConnector",
            {"evseId": 2, "connectorId": 1},
        ),
        ("1.6", ("get_configuration", {}), "GetConfiguration", {}),
        (
            "1.6",
            ("get_configuration", {"keys": ["HeartbeatInterval"]}),
            "GetConfiguration",
            {"key": ["HeartbeatInterval"]},
        ),
        (
            "2.0.1",
            ("get_configuration", {"keys": ["OCPPCommCtrlr/HeartbeatInterval"]}),
            "GetVariables",
            {
                "getVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                    }
                ]
            },
        ),
        (
            "1.6",
            ("set_configuration", {"values": {"HeartbeatInterval": "60"}}),
            "ChangeConfiguration",
            {"key": "HeartbeatInterval", "value": "60"},
        ),
        (
            "2.0.1",
            ("set_configuration", {"values": {"EVSE@1/AvailabilityState": "Available"}}),
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "component": {"name": "EVSE", "evse": {"id": 1}},
                        "variable": {"name": "AvailabilityState"},
                        "attributeValue": "Available",
                    }
                ]
            },
        ),
        ("1.6", ("clear_cache", {}), "ClearCache", {}),
        (
            "1.6",
            ("trigger_message", {"requested_message": "StatusNotification", "evse_id": 1}),
            "TriggerMessage",
            {"requestedMessage": "StatusNotification", "connectorId": 1},
        ),
        (
            "2.0.1",
            (
                "trigger_message",
                {"requested_message": "StatusNotification", "evse_id": 1, "connector_id": 1},
            ),
            "TriggerMessage",
            {"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1}},
        ),
        (
            "1.6",
            ("data_transfer", {"vendor_id": "acme", "message_id": "m", "data": "x"}),
            "DataTransfer",
            {"vendorId": "acme", "messageId": "m", "data": "x"},
        ),
        (
            "2.0.1",
            ("data_transfer", {"vendor_id": "acme", "data": {"a": [1]}}),
            "DataTransfer",
            {"vendorId": "acme", "data": {"a": [1]}},
        ),
        (
            "2.0.1",
            ("get_report", {"report_base": "SummaryInventory", "request_id": 5}),
            "GetBaseReport",
            {"requestId": 5, "reportBase": "SummaryInventory"},
        ),
        ("1.6", ("get_report", {}), "GetConfiguration", {}),
    ],
)
async def test_commands_map_to_the_station_s_version(
    env: Env,
    version: str,
    command: tuple[str, dict[str, Any]],
    action: str,
    request_payload: dict[str, Any],
) -> None:
    await env.boot("CS1", version)
    name, kwargs = command
    view = await env.service.execute("CS1", BY_NAME[name].parse(kwargs))
    sent_version, station_id, message = await env.wire.next()
    assert (sent_version.short, station_id, message.action) == (version, "CS1", action)
    assert message.request == request_payload
    assert (view.call_id, view.action, view.state, view.request) == (
        message.id,
        action,
        "pending",
        request_payload,
    )
    stored = await env.service.get_call(view.call_id)
    assert stored.state == "pending"
    assert stored.origin == "api"


async def test_command_version_specific_refusals(env: Env) -> None:
    await env.boot("V16", "1.6")
    await env.boot("V201", "2.0.1")
    with pytest.raises(Invalid) as info:
        await env.service.execute("V16", RemoteStop(transaction_id="not-a-number"))
    assert info.value.field == "transactionId"
    with pytest.raises(Invalid) as info:
        await env.service.execute("V16", SetConfiguration(values={"A": "1", "B": "2"}))
    assert info.value.field == "values"
    with pytest.raises(Invalid) as info:
        await env.service.execute("V201", GetConfiguration())
    assert info.value.field == "keys"
    with pytest.raises(Invalid) as info:
        await env.service.execute("V16", TriggerMessage(requested_message="TransactionEvent"))
    assert info.value.field == "requestedMessage"
    with pytest.raises(Invalid) as info:
        await env.service.execute("V16", DataTransfer(vendor_id="acme", data={"not": "a string"}))
    assert info.value.field == "data"
    with pytest.raises(Invalid):
        await env.service.execute("V16", Reset.parse({"type": "Sideways"}))
    with pytest.raises(Conflict, match=r"OCPP 1\.6 has no variable monitoring"):
        await env.service.execute("V16", BY_NAME["get_monitoring_report"]())
    with pytest.raises(Conflict, match=r"OCPP 1\.6 has no display messages"):
        await env.service.execute("V16", SetDisplayMessage(text="hi"))
    assert env.wire.sent.empty()


async def test_commands_need_a_known_connected_booted_station(env: Env) -> None:
    with pytest.raises(NotFound):
        await env.service.execute("ghost", ClearCache())
    await env.boot("CS1", "1.6", connected=False)
    with pytest.raises(StationOffline):
        await env.service.execute("CS1", ClearCache())
    await env.service.register_station("CS2", 0)
    env.registry.ids.add("CS2")
    with pytest.raises(Conflict):  # connected, but it has not booted: version unknown
        await env.service.execute("CS2", ClearCache())
    assert env.wire.sent.empty()


# -- bounds (core.limits): checked before the station is even looked up ------------------------

BIG = 99999999999999999999  # 20 digits: beyond int32, int64 and the JSON encoder
LATER = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("command", "kwargs", "field"),
    [
        ("remote_start", {"id_token": "TAG", "evse_id": BIG}, "evseId"),
        ("remote_start", {"id_token": "TAG", "remote_start_id": 2**31}, "remoteStartId"),
        ("remote_start", {"id_token": "T" * 37}, "idToken"),
        ("remote_stop", {"transaction_id": "9" * 37}, "transactionId"),
        ("reserve_now", {"id_token": "TAG", "expires_at": LATER, "evse_id": BIG}, "evseId"),
        ("cancel_reservation", {"reservation_id": BIG}, "reservationId"),
        ("change_availability", {"operative": True, "evse_id": BIG}, "evseId"),
        ("change_availability", {"operative": True, "connector_id": 2**31}, "connectorId"),
        ("unlock_connector", {"evse_id": BIG}, "evseId"),
        ("unlock_connector", {"evse_id": 1, "connector_id": 0}, "connectorId"),
        ("reset", {"evse_id": BIG}, "evseId"),
        ("trigger_message", {"requested_message": "StatusNotification", "evse_id": BIG}, "evseId"),
        ("set_charging_limit", {"evse_id": 1, "limit": 7400, "duration": BIG}, "duration"),
        ("set_charging_limit", {"evse_id": BIG, "limit": 7400}, "evseId"),
        ("set_charging_limit", {"evse_id": 1, "limit": float("inf")}, "limit"),
        ("set_charging_limit", {"evse_id": 1, "limit": 1, "stack_level": 1001}, "stackLevel"),
        ("set_charging_profile", {"evse_id": BIG, "profile": {}}, "evseId"),
        ("set_charging_profile", {"evse_id": 1, "profile": {"id": BIG}}, "profile/id"),
        ("clear_charging_profile", {"id": BIG}, "id"),
        ("clear_charging_profile", {"evse_id": -1}, "evseId"),
        ("get_composite_schedule", {"evse_id": 1, "duration": 99999999999}, "duration"),
        ("get_composite_schedule", {"evse_id": BIG, "duration": 60}, "evseId"),
        ("set_display_message", {"text": "hi", "minutes": 99999999999}, "minutes"),
        ("set_display_message", {"text": "hi", "id": BIG}, "id"),
        ("clear_display_message", {"id": BIG}, "id"),
        (
            "set_variable_monitor",
            {"component": "EVSE", "variable": "Power", "type": "Delta", "value": 1, "severity": 10},
            "severity",
        ),
        (
            "set_variable_monitor",
            {"component": "EVSE", "variable": "Power", "type": "Delta", "value": float("nan")},
            "value",
        ),
        (
            "set_variable_monitor",
            {"component": "EVSE", "variable": "Power", "type": "Delta", "value": 1, "evse_id": BIG},
            "evseId",
        ),
        ("clear_variable_monitors", {"ids": [1, BIG]}, "ids/1"),
        ("set_monitoring_level", {"severity": BIG}, "severity"),
        ("send_local_list", {"version": BIG}, "version"),
        ("get_report", {"request_id": BIG}, "requestId"),
        ("update_firmware", {"location": "https://fw.example/a", "retries": BIG}, "retries"),
        ("raw_call", {"action": "ClearCache", "payload": {"n": [BIG]}}, "payload/n/0"),
        ("data_transfer", {"vendor_id": "acme", "data": {"n": BIG}}, "data/n"),
        (
            "upgrade_security_profile",
            {"security_profile": 2, "configuration_slot": BIG},
            "configurationSlot",
        ),
    ],
)
async def test_out_of_range_values_are_refused_naming_the_field(
    env: Env, command: str, kwargs: dict[str, Any], field: str
) -> None:
    """Checked first: the station "CS1" does not even exist, and the answer is still Invalid
    (not NotFound / StationOffline), with the field and the allowed range."""
    with pytest.raises(Invalid) as info:
        await env.service.execute("CS1", BY_NAME[command].parse(kwargs))
    assert info.value.field == field
    assert "must" in info.value.message
    assert env.wire.sent.empty()


async def test_big_numbers_stop_at_the_service_for_a_connected_station(env: Env) -> None:
    await env.boot("V16", "1.6")
    await env.boot("V201", "2.0.1")
    with pytest.raises(Invalid) as info:
        await env.service.execute("V16", RemoteStart.parse({"idToken": "TAG", "evseId": BIG}))
    assert (info.value.field, info.value.message) == (
        "evseId",
        "must be between 0 and 2147483647 (OCPP integers are 32-bit)",
    )
    with pytest.raises(Invalid) as info:
        await env.service.execute(
            "V16",
            ReserveNow.parse(
                {
                    "id_token": "TAG",
                    "expires_at": env.clock.now() + timedelta(hours=1),
                    "evse_id": BIG,
                }
            ),
        )
    assert info.value.field == "evseId"
    assert await env.service.list_reservations("V16") == []  # nothing stored either
    with pytest.raises(Invalid) as info:
        await env.service.execute(
            "V16", GetCompositeSchedule.parse({"evseId": 1, "duration": 99999999999})
        )
    assert info.value.field == "duration"
    assert "2147483647" in info.value.message
    # A 1.6 transaction id is an int32; a 2.0.1 one is a string of up to 36 characters.
    for bad in (str(BIG), "²", "12_3"):
        with pytest.raises(Invalid) as info:
            await env.service.execute("V16", RemoteStop(transaction_id=bad))
        assert info.value.field == "transactionId"
    assert env.wire.sent.empty()
    await env.service.execute("V201", RemoteStop(transaction_id=str(BIG)))
    _, _, message = await env.wire.next()
    assert message.request == {"transactionId": str(BIG)}


async def test_the_longest_bounds_still_go_out(env: Env) -> None:
    await env.boot("CS1", "2.0.1")
    await env.service.execute("CS1", SetDisplayMessage(text="hi", minutes=525_600, id=2**31 - 1))
    _, _, message = await env.wire.next()
    assert message.request is not None
    sent = message.request["message"]
    assert sent["id"] == 2**31 - 1
    assert sent["endDateTime"] == (env.clock.now() + timedelta(days=365)).isoformat().replace(
        "+00:00", "Z"
    )
    await env.service.execute("CS1", GetCompositeSchedule(evse_id=2**31 - 1, duration=2**31 - 1))
    _, _, message = await env.wire.next()
    assert message.request == {"evseId": 2**31 - 1, "duration": 2**31 - 1}


async def test_list_paging_numbers_are_bounded(env: Env) -> None:
    with pytest.raises(Invalid) as info:
        await env.service.list_transactions(offset=2**63)
    assert info.value.field == "offset"
    with pytest.raises(Invalid) as info:
        await env.service.list_messages(before_id=BIG)
    assert info.value.field == "before"
    with pytest.raises(Invalid) as info:
        await env.service.list_tokens(offset=BIG)
    assert info.value.field == "offset"
    with pytest.raises(Invalid) as info:
        await env.service.list_calls(limit=BIG)
    assert info.value.field == "limit"


async def test_wait_returns_the_station_s_answer(env: Env) -> None:
    await env.boot("CS1", "2.0.1")

    async def station() -> None:
        _, _, message = await env.wire.next()
        env.clock.advance(0.25)
        await env.answer("CS1", message, {"status": "Accepted"})

    answering = asyncio.create_task(station())
    view = await env.service.execute("CS1", Reset(type="Immediate"), wait=5)
    await answering
    assert view.state == "answered"
    assert view.response == {"status": "Accepted"}
    assert view.latency_ms == 250.0


async def test_wait_gives_up_with_the_pending_record(env: Env) -> None:
    await env.boot("CS1", "2.0.1")
    view = await env.service.execute("CS1", ClearCache(), wait=0.05)
    assert view.state == "pending"
    waited = await env.service.wait_call(view.call_id, 0.05)
    assert waited.state == "pending"
    with pytest.raises(NotFound):
        await env.service.wait_call("nope", 0.05)
    with pytest.raises(NotFound):
        await env.service.get_call("nope")


async def test_raw_call_is_schema_checked_and_version_bound(env: Env) -> None:
    await env.boot("CS1", "2.0.1")
    view = await env.service.execute("CS1", RawCall(action="GetTransactionStatus"))
    assert view.action == "GetTransactionStatus"
    assert (await env.wire.next())[2].id == view.call_id
    with pytest.raises(Invalid) as info:
        await env.service.execute("CS1", RawCall(action="Reset", payload={"type": "Sideways"}))
    assert info.value.field == "payload"
    assert "type" in info.value.message
    with pytest.raises(Invalid) as info:
        await env.service.execute(
            "CS1", RawCall.parse({"action": "BootNotification"})
        )  # station-initiated
    assert info.value.field == "action"
    with pytest.raises(Invalid):
        await env.service.execute(
            "CS1", RawCall(action="RemoteStartTransaction", payload={"idTag": "x"})
        )  # 1.6 only
    assert env.wire.sent.empty()


# -- password rotation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "answer", "accepted"),
    [
        (
            "2.0.1",
            {
                "setVariableResult": [
                    {
                        "attributeStatus": "Accepted",
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                    }
                ]
            },
            True,
        ),
        (
            "2.0.1",
            {
                "setVariableResult": [
                    {
                        "attributeStatus": "Rejected",
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                    }
                ]
            },
            False,
        ),
        ("1.6", {"status": "Accepted"}, True),
        ("1.6", {"status": "RebootRequired"}, True),
        ("1.6", {"status": "Rejected"}, False),
    ],
)
async def test_rotate_password_switches_the_hash_only_when_accepted(
    env: Env, version: str, answer: dict[str, Any], accepted: bool
) -> None:
    await env.boot("CS1", version)
    old = (await env.service.station_auth("CS1")).base64_sha256_password

    async def station() -> str:
        _, _, message = await env.wire.next()
        await env.answer("CS1", message, answer)
        assert message.request is not None
        if version == "1.6":
            assert message.request["key"] == "AuthorizationKey"
            return str(message.request["value"])
        (item,) = message.request["setVariableData"]
        assert item["variable"] == {"name": "BasicAuthPassword"}
        return str(item["attributeValue"])

    answering = asyncio.create_task(station())
    result = await env.service.rotate_password("CS1", timeout=5)
    sent_password = await answering
    assert result.accepted is accepted
    stored = (await env.service.station_auth("CS1")).base64_sha256_password
    if accepted:
        assert result.password == sent_password
        assert stored == hash_password(sent_password)
    else:
        assert result.password is None
        assert stored == old
    if version == "1.6":
        assert len(sent_password) == 40
        assert all(c in "0123456789abcdef" for c in sent_password)


async def test_rotate_password_without_answer_keeps_the_old_hash(env: Env) -> None:
    await env.boot("CS1", "2.0.1")
    old = (await env.service.station_auth("CS1")).base64_sha256_password
    result = await env.service.rotate_password("CS1", password="p" * 20, timeout=0.05)
    assert not result.accepted
    assert result.call.state == "pending"
    assert (await env.service.station_auth("CS1")).base64_sha256_password == old


# -- transactions, messages ------------------------------------------------------------------


async def test_transactions_with_meter_values_and_cost(env: Env) -> None:
    await env.boot("CS1", "1.6")
    await env.boot("CS2", "1.6")
    t0 = env.clock.now()
    await env.store.start_transaction_16("CS1", 1, "TAG", 1000.0, t0, 7)
    await env.store.start_transaction_16("CS2", 1, "TAG", 0.0, t0, 7)
    await env.store.start_transaction_16("CS2", 2, "TAG2", 0.0, t0 + timedelta(seconds=1), 8)
    reading = MeterValue(
        t0 + timedelta(minutes=30),
        [
            SampledValue(
                5000.0,
                measurand="Energy.Active.Import.Register",
                unit_of_measure=UnitOfMeasure("Wh"),
            )
        ],
    )
    await env.store.stop_transaction_16(
        "CS1", "7", 5000.0, t0 + timedelta(minutes=30), "Local", "TAG", [reading]
    )
    await env.store.set_transaction_cost("CS1", "7", 1.2, "EUR")
    active = await env.service.list_transactions(active=True)
    assert {(t.station_id, t.transaction_id) for t in active} == {("CS2", "7"), ("CS2", "8")}
    cs1 = await env.service.list_transactions(station_id="CS1")
    assert cs1[0].energy_wh == 4000.0
    assert cs1[0].active is False
    with pytest.raises(Conflict) as info:
        await env.service.transaction_detail("7")
    assert info.value.field == "station"
    detail = await env.service.transaction_detail("7", "CS1")
    assert (detail.cost, detail.currency) == (1.2, "EUR")
    # The store records the start reading too (context Transaction.Begin).
    readings = [
        (mv.sampled_values[0].value, mv.sampled_values[0].unit) for mv in detail.meter_values
    ]
    assert readings[-1] == (5000.0, "Wh")
    assert (1000.0, "Wh") in readings
    only = await env.service.transaction_detail("8")
    assert only.station_id == "CS2"
    assert only.active
    with pytest.raises(NotFound):
        await env.service.transaction_detail("99")
    summaries = await env.service.station_summary("CS2")
    assert {t.transaction_id for t in summaries.active_transactions} == {"7", "8"}


async def test_message_log_filters(env: Env) -> None:
    now = env.clock.now()
    await env.store.log_messages(
        [
            LoggedMessage("CS1", now, "in", 2, "a", "Heartbeat", {}),
            LoggedMessage("CS1", now, "out", 3, "a", "Heartbeat", {"currentTime": "x"}),
            LoggedMessage("CS2", now, "in", 4, "b", "", None, "NotSupported", "no"),
        ]
    )
    assert len(await env.service.list_messages()) == 3
    assert [
        m.direction for m in await env.service.list_messages(station_id="CS1", direction="out")
    ] == ["out"]
    errors = await env.service.list_messages(errors_only=True)
    assert [m.error_code for m in errors] == ["NotSupported"]
    newest = await env.service.list_messages(limit=1)
    older = await env.service.list_messages(before_id=newest[0].id)
    assert len(older) == 2
    with pytest.raises(Invalid) as info:
        await env.service.list_messages(since=datetime(2026, 1, 1))
    assert info.value.field == "since"


# -- tokens ----------------------------------------------------------------------------------


def token(uid: str = "04A2B3", **changes: Any) -> TokenInput:
    data: dict[str, Any] = {
        "countryCode": "GB",
        "partyId": "TWK",
        "type": "RFID",
        "uid": uid,
        "contractId": "gb-twk-c12345678",
        "issuer": "me",
        "valid": True,
        "cacheMode": "ALWAYS",
    }
    data.update(changes)
    return TokenInput.model_validate(data)


async def test_tokens_crud_with_normalised_contract_id(env: Env) -> None:
    stored = await env.service.set_token(
        token(groupId="staff", status="Blocked", expiryDate="2027-01-01T00:00:00Z")
    )
    assert stored.contract_id == "GBTWKC12345678I"
    assert stored.group_id == "staff"
    assert stored.status == "Blocked"
    assert stored.expiry_date == datetime(2027, 1, 1, tzinfo=UTC)
    data = stored.to_json()
    assert data["contractId"] == "GBTWKC12345678I"
    assert "visualNumber" not in data
    assert data["lastUpdated"].endswith("Z") or data["lastUpdated"].endswith("+00:00")
    await env.service.set_token(token("B"))
    everything = await env.service.list_tokens(0, 500)
    assert {t.uid for t in everything} == {"04A2B3", "B"}
    assert await env.service.list_tokens(1, 1) == everything[1:]
    await env.service.delete_token("B")
    with pytest.raises(NotFound):
        await env.service.get_token("B")
    with pytest.raises(NotFound):
        await env.service.delete_token("B")
    with pytest.raises(Invalid) as info:
        await env.service.set_token(token(contractId="GB-TWK"))
    assert info.value.field == "contractId"
    for absurd in ("0269-10-15T10:17:49Z", "0001-01-01T00:00:00+05:00"):
        with pytest.raises(Invalid) as info:
            await env.service.set_token(token(expiryDate=absurd))
        assert info.value.field == "expiryDate"


# -- helpers ---------------------------------------------------------------------------------


def test_parse_variable_key() -> None:
    assert parse_variable_key("OCPPCommCtrlr.HeartbeatInterval") == (
        {"name": "OCPPCommCtrlr"},
        {"name": "HeartbeatInterval"},
    )
    assert parse_variable_key("Connector@1:2/Available") == (
        {"name": "Connector", "evse": {"id": 1, "connectorId": 2}},
        {"name": "Available"},
    )
    assert parse_variable_key("TxCtrlr[a]/EVConnectionTimeOut[b]") == (
        {"name": "TxCtrlr", "instance": "a"},
        {"name": "EVConnectionTimeOut", "instance": "b"},
    )
    for bad in (
        "NoSeparator",
        "/Var",
        "Comp/",
        "EVSE@x/Power",
        "Comp[a/Var",
        "[a]/Var",
        "EVSE@²/Power",  # isdigit() says yes, int() says no: refused, not a crash
        "EVSE@99999999999/Power",
        "Connector@1:0/Available",
    ):
        with pytest.raises(Invalid):
            parse_variable_key(bad)


def test_security_profile_numbering_is_maeve_s() -> None:
    assert [int(p) for p in SecurityProfile] == [0, 1, 2, -1]


def test_our_token_types_have_one_ocpp_201_type() -> None:
    """The local list, remote starts and OCPI commands name a token's type by one rule."""
    from core.services.token_auth import ocpp201_token_type

    assert [ocpp201_token_type(t) for t in ("RFID", "APP_USER", "AD_HOC_USER", "OTHER")] == [
        "ISO14443",
        "eMAID",
        "Central",
        "Central",
    ]
