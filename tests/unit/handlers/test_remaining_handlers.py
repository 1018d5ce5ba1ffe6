"""The handlers not covered elsewhere: each reply (schema-checked by the router) and its record."""

from __future__ import annotations

from typing import Any

import pytest

from core.events import StationEventRecorded
from core.ocpp.types import OcppVersion
from tests.unit.handlers.conftest import Env

V16, V201 = OcppVersion.V16, OcppVersion.V201
T = "2026-01-01T12:00:00.000Z"

RECORDED: list[tuple[OcppVersion, str, dict[str, Any], dict[str, Any], str]] = [
    (V16, "LogStatusNotification", {"status": "Uploaded", "requestId": 3}, {}, "LogStatus"),
    (V16, "SignedFirmwareStatusNotification", {"status": "Installed"}, {}, "SignedFirmwareStatus"),
    (V201, "FirmwareStatusNotification", {"status": "Installed"}, {}, "FirmwareStatus"),
    (V201, "LogStatusNotification", {"status": "Uploaded"}, {}, "LogStatus"),
    (
        V201,
        "SecurityEventNotification",
        {"type": "ResetOrReboot", "timestamp": T},
        {},
        "SecurityEvent",
    ),
    (
        V201,
        "NotifyEvent",
        {
            "generatedAt": T,
            "seqNo": 0,
            "eventData": [
                {
                    "eventId": 1,
                    "timestamp": T,
                    "trigger": "Alerting",
                    "actualValue": "1",
                    "eventNotificationType": "HardWiredNotification",
                    "component": {"name": "C"},
                    "variable": {"name": "V"},
                }
            ],
        },
        {},
        "NotifyEvent",
    ),
    (
        V201,
        "NotifyChargingLimit",
        {"chargingLimit": {"chargingLimitSource": "EMS"}},
        {},
        "NotifyChargingLimit",
    ),
    (V201, "ClearedChargingLimit", {"chargingLimitSource": "EMS"}, {}, "ClearedChargingLimit"),
    (
        V201,
        "NotifyEVChargingNeeds",
        {"evseId": 1, "chargingNeeds": {"requestedEnergyTransfer": "DC"}},
        # No transaction on the EVSE: no TxProfile to give (see test_ev_charging for the rest).
        {
            "status": "Rejected",
            "statusInfo": {
                "reasonCode": "TxNotFound",
                "additionalInfo": "no transaction on EVSE 1",
            },
        },
        "NotifyEVChargingNeeds",
    ),
    (
        V201,
        "NotifyEVChargingSchedule",
        {
            "timeBase": T,
            "evseId": 1,
            "chargingSchedule": {
                "id": 1,
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000}],
            },
        },
        {"status": "Accepted"},
        "NotifyEVChargingSchedule",
    ),
    (
        V201,
        "NotifyCustomerInformation",
        {"data": "x", "seqNo": 0, "generatedAt": T, "requestId": 1},
        {},
        "NotifyCustomerInformation",
    ),
    (V201, "NotifyDisplayMessages", {"requestId": 1}, {}, "NotifyDisplayMessages"),
    (
        V201,
        "NotifyMonitoringReport",
        {"requestId": 1, "seqNo": 0, "generatedAt": T},
        {},
        "NotifyMonitoringReport",
    ),
    (
        V201,
        "PublishFirmwareStatusNotification",
        {"status": "Published"},
        {},
        "PublishFirmwareStatus",
    ),
    (
        V201,
        "ReportChargingProfiles",
        {
            "requestId": 1,
            "chargingLimitSource": "CSO",
            "evseId": 1,
            "chargingProfile": [
                {
                    "id": 1,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "TxDefaultProfile",
                    "chargingProfileKind": "Absolute",
                    "chargingSchedule": [
                        {
                            "id": 1,
                            "chargingRateUnit": "W",
                            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 1}],
                        }
                    ],
                }
            ],
        },
        {},
        "ReportChargingProfiles",
    ),
    (
        V201,
        "ReservationStatusUpdate",
        {"reservationId": 1, "reservationUpdateStatus": "Expired"},
        {},
        "ReservationStatusUpdate",
    ),
    (
        V201,
        "DataTransfer",
        {"vendorId": "acme", "messageId": "x"},
        {"status": "UnknownVendorId"},
        "DataTransfer",
    ),
]


@pytest.mark.parametrize(
    ("version", "action", "request_", "reply", "event_type"),
    RECORDED,
    ids=[r[1] + "-" + r[0].short for r in RECORDED],
)
async def test_recorded_notifications(
    env: Env,
    version: OcppVersion,
    action: str,
    request_: dict[str, Any],
    reply: dict[str, Any],
    event_type: str,
) -> None:
    assert await env.ok(version, action, request_) == reply
    [event] = await env.store.list_station_events("CS1")
    assert (event.event_type, event.detail) == (event_type, request_)
    [published] = env.events(StationEventRecorded)
    assert published.event_type == event_type


async def test_201_heartbeat_and_meter_values(env: Env) -> None:
    assert await env.ok(V201, "Heartbeat", {}) == {"currentTime": env.now()}
    await env.ok(
        V201,
        "MeterValues",
        {
            "evseId": 2,
            "meterValue": [
                {
                    "timestamp": T,
                    "sampledValue": [
                        {
                            "value": 230.1,
                            "measurand": "Voltage",
                            "phase": "L1",
                            "unitOfMeasure": {"unit": "V", "multiplier": 0},
                        }
                    ],
                }
            ],
        },
    )
    [stored] = await env.store.list_meter_values("CS1")
    [sv] = stored.meter_value.sampled_values
    assert (stored.evse_id, stored.transaction_id, sv.measurand, sv.phase, sv.value) == (
        2,
        None,
        "Voltage",
        "L1",
        230.1,
    )


async def test_201_certificate_calls_without_providers_fail_cleanly(env: Env) -> None:
    hash_data = {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": "a",
        "issuerKeyHash": "b",
        "serialNumber": "1",
        "responderURL": "http://127.0.0.1:1",
    }
    assert await env.ok(V201, "GetCertificateStatus", {"ocspRequestData": hash_data}) == {
        "status": "Failed"
    }
    assert await env.ok(
        V201,
        "Get15118EVCertificate",
        {
            "iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef",
            "action": "Install",
            "exiRequest": "AA",
        },
    ) == {"status": "Failed", "exiResponse": ""}
    assert await env.ok(
        V201, "SignCertificate", {"csr": "-----BEGIN CERTIFICATE REQUEST-----"}
    ) == {"status": "Rejected"}
    assert await env.store.lookup_install_certificates("CS1") == []


async def test_16_sign_certificate_without_provider_is_rejected(env: Env) -> None:
    assert await env.ok(V16, "SignCertificate", {"csr": "-----BEGIN CERTIFICATE REQUEST-----"}) == {
        "status": "Rejected"
    }


async def test_get_configuration_result_keeps_pending_values(env: Env) -> None:
    from core.store.models import Setting, SettingStatus

    await env.store.update_settings("CS1", [Setting("HeartbeatInterval", "60")])
    response = {
        "configurationKey": [
            {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
            {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
        ]
    }
    await env.result(V16, "GetConfiguration", {}, response)
    settings = {s.name: (s.value, s.status) for s in await env.store.lookup_settings("CS1")}
    assert settings == {
        "HeartbeatInterval": ("60", SettingStatus.PENDING),
        "NumberOfConnectors": ("2", SettingStatus.ACCEPTED),
    }


async def test_get_variables_result_fills_the_device_model(env: Env) -> None:
    response = {
        "getVariableResult": [
            {
                "attributeStatus": "Accepted",
                "attributeValue": "42",
                "component": {"name": "C", "evse": {"id": 1}},
                "variable": {"name": "V"},
            },
            {
                "attributeStatus": "UnknownVariable",
                "component": {"name": "C"},
                "variable": {"name": "Nope"},
            },
        ]
    }
    await env.result(V201, "GetVariables", {"getVariableData": []}, response)
    [variable] = await env.store.lookup_device_model("CS1")
    assert (variable.component, variable.evse_id, variable.variable, variable.value) == (
        "C",
        1,
        "V",
        "42",
    )
