"""OCPP 2.0.1 handlers: each answer, and what it stored."""

from __future__ import annotations

from typing import Any

import pytest

from core.events import TransactionEnded, TransactionStarted, TransactionUpdated
from core.handlers.ocpp16.routes import routes as routes16
from core.handlers.ocpp201.routes import routes as routes201
from core.ocpp.types import OcppVersion
from core.schemas import Direction, SchemaSet, has_schema
from core.services.certificates import create_ca
from core.services.x509_checks import chain_certificate_id as certificate_id
from core.store.models import (
    CertificateStatus,
    CertificateType,
    InstallCertificate,
    Setting,
    SettingStatus,
)
from tests.unit.handlers.conftest import Env

V201 = OcppVersion.V201
BOOT = {
    "reason": "PowerUp",
    "chargingStation": {
        "model": "Y2",
        "vendorName": "Acme",
        "serialNumber": "S-9",
        "firmwareVersion": "2.1",
    },
}


def test_every_route_has_both_schemas(env: Env) -> None:
    for routes in (routes16(env.deps), routes201(env.deps)):
        for action in [*routes.calls, *routes.results]:
            for direction in Direction:
                assert has_schema(routes.schema_set, action, direction), (
                    routes.schema_set,
                    action,
                    direction,
                )
    assert not has_schema(
        SchemaSet.OCPP201, "UnlockConector", Direction.RESPONSE
    )  # the check can fail


async def test_boot_records_runtime(env: Env) -> None:
    reply = await env.ok(V201, "BootNotification", BOOT)
    assert reply == {"status": "Accepted", "currentTime": env.now(), "interval": 300}
    runtime = await env.store.lookup_runtime_details("CS1")
    assert runtime is not None
    assert (
        runtime.ocpp_version,
        runtime.serial_number,
        runtime.boot_reason,
        runtime.firmware_version,
    ) == ("2.0.1", "S-9", "PowerUp", "2.1")


async def test_boot_pending_while_certificates_wait(env: Env) -> None:
    await env.store.upsert_install_certificates(
        "CS1", [InstallCertificate("abc", CertificateType.CSMS, "pem")]
    )
    assert (await env.ok(V201, "BootNotification", BOOT))["status"] == "Pending"


async def test_status_notification_per_evse(env: Env) -> None:
    await env.ok(
        V201,
        "StatusNotification",
        {"timestamp": env.now(), "connectorStatus": "Occupied", "evseId": 2, "connectorId": 1},
    )
    [status] = await env.store.list_connector_statuses("CS1")
    assert (status.evse_id, status.connector_id, status.status) == (2, 1, "Occupied")


@pytest.mark.parametrize(
    ("token_type", "known", "status"),
    [
        ("ISO14443", True, "Accepted"),
        ("ISO14443", False, "Unknown"),
        ("Central", False, "Accepted"),
        ("Local", True, "Invalid"),
    ],
)
async def test_authorize(env: Env, token_type: str, known: bool, status: str) -> None:
    if known:
        await env.token("T1")
    reply = await env.ok(V201, "Authorize", {"idToken": {"idToken": "T1", "type": token_type}})
    assert reply["idTokenInfo"]["status"] == status


async def test_authorize_with_an_unreadable_certificate_is_blocked(env: Env) -> None:
    await env.token("EMAID")
    reply = await env.ok(
        V201,
        "Authorize",
        {
            "idToken": {"idToken": "EMAID", "type": "eMAID"},
            "certificate": "-----BEGIN CERTIFICATE-----",
        },
    )
    assert reply["idTokenInfo"]["status"] == "Blocked"
    assert reply["certificateStatus"] == "SignatureError"


def _event(
    env: Env, kind: str, seq: int, wh: float, tx: str = "TX1", **extra: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventType": kind,
        "timestamp": env.now(),
        "triggerReason": "MeterValuePeriodic" if kind == "Updated" else "Authorized",
        "seqNo": seq,
        "transactionInfo": {"transactionId": tx, "chargingState": "Charging", **extra},
        "meterValue": [
            {
                "timestamp": env.now(),
                "sampledValue": [
                    {
                        "value": wh,
                        "measurand": "Energy.Active.Import.Register",
                        "unitOfMeasure": {"unit": "kWh", "multiplier": 0},
                    }
                ],
            }
        ],
    }
    if kind == "Started":
        event["idToken"] = {"idToken": "T1", "type": "ISO14443"}
        event["evse"] = {"id": 1, "connectorId": 1}
        event["offline"] = True
    return event


async def test_transaction_event_cycle_with_dedupe_gaps_and_cost(env: Env) -> None:
    await env.token("T1")
    started = await env.ok(
        V201, "TransactionEvent", _event(env, "Started", 0, 1.0, remoteStartId=5)
    )
    assert started == {"idTokenInfo": {"status": "Accepted"}}
    retry = await env.ok(
        V201, "TransactionEvent", _event(env, "Started", 0, 1.0, remoteStartId=5)
    )  # new message id, same seqNo
    assert retry == started
    await env.ok(V201, "TransactionEvent", _event(env, "Updated", 3, 2.0))  # 1 and 2 lost offline
    ended = await env.ok(
        V201, "TransactionEvent", _event(env, "Ended", 4, 5.0, stoppedReason="StoppedByEV")
    )
    assert ended["totalCost"] == pytest.approx(4.0 * 0.55)
    tx = await env.store.find_transaction("CS1", "TX1")
    assert tx is not None
    assert (tx.evse_id, tx.offline, tx.remote_start_id, tx.stopped_reason, tx.seq_no_gaps) == (
        1,
        True,
        5,
        "StoppedByEV",
        [1, 2],
    )
    assert (tx.start_seq_no, tx.ended_seq_no, tx.updated_seq_no_count) == (0, 4, 1)
    assert len(tx.meter_values) == 3  # the duplicate added none
    gap_events = [
        e for e in await env.store.list_station_events("CS1") if e.event_type == "SeqNoGap"
    ]
    assert [e.detail["missing"] for e in gap_events] == [[1, 2]]
    assert (
        len(env.events(TransactionStarted)),
        len(env.events(TransactionUpdated)),
        len(env.events(TransactionEnded)),
    ) == (1, 1, 1)


async def test_transaction_event_never_touches_another_stations_transaction(env: Env) -> None:
    await env.token("T1")
    await env.ok(V201, "TransactionEvent", _event(env, "Started", 0, 1.0), station="VICTIM")
    await env.ok(
        V201,
        "TransactionEvent",
        _event(env, "Ended", 1, 9.0, stoppedReason="Other"),
        station="ATTACKER",
    )
    victim = await env.store.find_transaction("VICTIM", "TX1")
    assert victim is not None
    assert victim.active


async def test_notify_report_stores_the_device_model(env: Env) -> None:
    report = {
        "requestId": 1,
        "generatedAt": env.now(),
        "seqNo": 0,
        "tbc": False,
        "reportData": [
            {
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
                "variableAttribute": [
                    {"type": "Actual", "value": "300", "mutability": "ReadWrite"}
                ],
                "variableCharacteristics": {"dataType": "integer", "supportsMonitoring": False},
            },
            {
                "component": {"name": "EVSE", "evse": {"id": 1}},
                "variable": {"name": "Power"},
                "variableAttribute": [{"type": "MaxSet", "value": "22000"}],
            },
        ],
    }
    assert await env.ok(V201, "NotifyReport", report) == {}
    model = {
        (v.component, v.evse_id, v.variable, v.attribute_type): v.value
        for v in await env.store.lookup_device_model("CS1")
    }
    assert model == {
        ("OCPPCommCtrlr", None, "HeartbeatInterval", "Actual"): "300",
        ("EVSE", 1, "Power", "MaxSet"): "22000",
    }


async def test_set_variables_result_honours_each_variable(env: Env) -> None:
    await env.store.update_settings(
        "CS1",
        [
            Setting("OCPPCommCtrlr/HeartbeatInterval", "60"),
            Setting("Foo/Bar", "1"),
            Setting("Boot/Mode", "x"),
        ],
    )
    response = {
        "setVariableResult": [
            {
                "attributeStatus": "Accepted",
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
            },
            {
                "attributeStatus": "UnknownComponent",
                "component": {"name": "Foo"},
                "variable": {"name": "Bar"},
            },
            {
                "attributeStatus": "RebootRequired",
                "component": {"name": "Boot"},
                "variable": {"name": "Mode"},
            },
        ]
    }
    await env.result(V201, "SetVariables", {"setVariableData": []}, response)
    assert {s.name: s.status for s in await env.store.lookup_settings("CS1")} == {
        "Foo/Bar": SettingStatus.REJECTED,
        "Boot/Mode": SettingStatus.REBOOT_REQUIRED,
    }


async def test_sign_certificate_with_local_ca_then_certificate_signed_result(
    env: Env, tmp_path: Any
) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from core.handlers.ocpp201.certificates import SignCertificate
    from core.services.certificates import LocalCa

    ca_cert, ca_key = create_ca("CSMS CA", "Thoughtworks")
    handler = SignCertificate(LocalCa(ca_cert, ca_key, ["Thoughtworks"]), env.store)
    key = ec.generate_private_key(ec.SECP256R1())

    def csr(cn: str) -> str:
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, cn),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Thoughtworks"),
            ]
        )
        return (
            x509.CertificateSigningRequestBuilder()
            .subject_name(name)
            .sign(key, hashes.SHA256())
            .public_bytes(serialization.Encoding.PEM)
            .decode()
        )

    assert await handler("CS1", {"csr": csr("SOMEONE-ELSE")}) == {"status": "Rejected"}
    assert await handler("CS1", {"csr": csr("CS1")}) == {"status": "Accepted"}
    [pending] = await env.store.lookup_install_certificates("CS1")
    assert pending.certificate_type is CertificateType.CHARGE_STATION
    assert pending.status is CertificateStatus.PENDING
    await env.result(
        V201,
        "CertificateSigned",
        {"certificateChain": pending.certificate_data},
        {"status": "Accepted"},
    )
    [done] = await env.store.lookup_install_certificates("CS1")
    assert done.status is CertificateStatus.ACCEPTED
    assert done.certificate_id == certificate_id(pending.certificate_data)

    # The store away (closed here, as in an outage): not a "Rejected" for a good CSR — the
    # error reaches the router, which answers InternalError, and the station asks again.
    from core.store.sqlite import SqliteStore

    down = SqliteStore(str(tmp_path / "down.db"))
    await down.open()
    await down.close()
    outage = SignCertificate(LocalCa(ca_cert, ca_key, ["Thoughtworks"]), down)
    with pytest.raises(RuntimeError, match="store is not open"):
        await outage("CS1", {"csr": csr("CS1")})
    assert await outage("CS1", {"csr": csr("SOMEONE-ELSE")}) == {"status": "Rejected"}


class _Signer:
    """A station certificate provider that fails as told."""

    def __init__(self, error: Exception | None = None, chain: str = "") -> None:
        self.error, self.chain = error, chain

    async def sign(
        self, csr_pem: str, certificate_type: str, station_id: str, *, supply_o: str = ""
    ) -> str:
        if self.error is not None:
            raise self.error
        return self.chain


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_sign_certificate_rejects_refusals_and_lets_faults_reach_the_router(
    env: Env, version: str
) -> None:
    from core.handlers.ocpp16.sign_certificate import SignCertificate as SignCertificate16
    from core.handlers.ocpp201.certificates import SignCertificate as SignCertificate201
    from core.services.protocols import CertificateValidationError

    handler = SignCertificate16 if version == "1.6" else SignCertificate201
    refused = _Signer(CertificateValidationError("chain", "CSR organisation is not allowed"))
    assert await handler(refused, env.store)("CS1", {"csr": "x"}) == {"status": "Rejected"}
    # What a provider returned holds no certificate: refused as well.
    garbled = _Signer(chain="not a PEM chain")
    assert await handler(garbled, env.store)("CS1", {"csr": "x"}) == {"status": "Rejected"}
    # A fault of ours is not the station's CSR being refused: the router answers InternalError.
    broken = _Signer(AttributeError("'NoneType' object has no attribute 'sign'"))
    with pytest.raises(AttributeError):
        await handler(broken, env.store)("CS1", {"csr": "x"})
    assert await env.store.lookup_install_certificates("CS1") == []


async def test_get_15118_ev_certificate_answers_failed_whatever_the_provider_raises(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    from core.handlers.ocpp201.certificates import Get15118EVCertificate

    class Broken:
        async def provide(
            self, exi_request: str, schema_version: str, action: str
        ) -> tuple[str, str]:
            raise KeyError("emaidContent")

    request = {
        "exiRequest": "AA",
        "iso15118SchemaVersion": "urn:iso:15118:2:2013",
        "action": "Install",
    }
    with caplog.at_level("ERROR", logger="core.handlers.ocpp201.certificates"):
        answer = await Get15118EVCertificate(Broken())("CS1", request)
    assert answer == {"status": "Failed", "exiResponse": ""}
    (record,) = caplog.records
    assert record.exc_info is not None  # the traceback is kept for whoever reads the log
