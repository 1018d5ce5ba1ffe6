"""The admin API over real HTTP: a real aiohttp server on a free port, real SQLite."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from core.api.auth import create_api_token
from core.api.ocpi_admin import OcpiAdminError
from core.api.openapi import openapi_document
from core.api.server import ApiServer
from core.config import ApiConfig, ConfigError
from core.credentials import hash_password
from core.events import StationConnected
from core.store.models import LoggedMessage
from tests.api.harness import Env, certificate_pem, service_env
from tests.api.test_metrics import sample

LOCAL = ApiConfig(addr="127.0.0.1:0")


@dataclass
class Api:
    env: Env
    server: ApiServer
    http: aiohttp.ClientSession

    async def call(
        self, method: str, path: str, body: Any = None, **kw: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if body is not None:
            kw["data"] = body if isinstance(body, bytes) else orjson.dumps(body)
        async with self.http.request(method, path, **kw) as resp:
            raw = await resp.read()
            payload: Any = raw
            if raw and resp.content_type == "application/json":
                payload = orjson.loads(raw)
            return resp.status, payload, dict(resp.headers)


class RecordingOcpi:
    """The OCPI side as the API sees it (the real one is core.ocpi's)."""

    def __init__(self) -> None:
        self.registered: list[tuple[str, str | None, str | None]] = []
        self.locations: dict[str, dict[str, Any]] = {}
        self.fail = False

    async def register(self, token: str, url: str | None, status: str | None) -> None:
        self.registered.append((token, url, status))

    async def put_location(self, location_id: str, location: dict[str, Any]) -> None:
        if self.fail:
            raise OcpiAdminError("push to GB*EMS failed: 503")
        self.locations[location_id] = location


@asynccontextmanager
async def running_api(
    config: ApiConfig = LOCAL, ocpi: RecordingOcpi | None = None
) -> AsyncIterator[Api]:
    async with service_env() as env:
        server = ApiServer(env.service, env.store, env.clock, config, ocpi=ocpi, sse_heartbeat=0.2)
        await server.start()
        try:
            async with aiohttp.ClientSession(base_url=server.url) as http:
                yield Api(env, server, http)
        finally:
            await server.stop()


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with running_api() as running:
        yield running


V0 = "/api/v0"


# -- basics ----------------------------------------------------------------------------------


async def test_health_and_openapi(api: Api) -> None:
    assert api.server.port
    assert api.server.port != 0
    status, body, headers = await api.call("GET", "/health")
    assert (status, body) == (200, {"status": "OK"})
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert "Access-Control-Allow-Origin" not in headers  # CORS off by default
    for path in (f"{V0}/openapi.json", "/api/openapi.json"):
        status, doc, _ = await api.call("GET", path)
        assert status == 200
        assert doc == openapi_document()


async def test_unknown_paths_and_methods_answer_json(api: Api) -> None:
    status, body, _ = await api.call("GET", f"{V0}/nope")
    assert (status, body) == (404, {"status": "Not Found"})
    status, body, headers = await api.call("PATCH", f"{V0}/token")
    assert status == 405
    assert body["status"] == "Method Not Allowed"
    assert "GET" in headers["Allow"]


async def test_body_size_is_limited() -> None:
    async with running_api(ApiConfig(addr="127.0.0.1:0", max_body_size=1024)) as api:
        status, body, _ = await api.call("POST", f"{V0}/cs/CS1/reconfigure", {"k": "v" * 2000})
        assert status == 413
        assert body["status"] == "Request Entity Too Large"


# -- MaEVe's endpoints -----------------------------------------------------------------------


async def test_register_and_lookup_station_auth(api: Api) -> None:
    digest = hash_password("a-password-16chr")
    status, body, _ = await api.call(
        "POST", f"{V0}/cs/CS001", {"securityProfile": 1, "base64SHA256Password": digest}
    )
    assert (status, body) == (201, b"")
    status, body, _ = await api.call("GET", f"{V0}/cs/CS001/auth")
    assert status == 200
    assert body == {
        "securityProfile": 1,
        "base64SHA256Password": digest,
        "invalidUsernameAllowed": False,
    }
    status, body, _ = await api.call("GET", f"{V0}/cs/UNKNOWN/auth")
    assert status == 404
    assert body["status"] == "Not Found"


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        ("/cs/CS1", {}, "securityProfile: is required"),
        ("/cs/CS1", {"securityProfile": "1"}, "securityProfile: "),
        ("/cs/CS1", {"securityProfile": 3}, "securityProfile: "),
        ("/cs/CS1", b"{not json", "body: not valid JSON"),
        ("/cs/CS1", b"", "body: a JSON body is required"),
        ("/cs/bad%20id", {"securityProfile": 1}, "csId: "),
        ("/cs/CS:1", {"securityProfile": 1}, "csId: "),
        ("/cs/CS:1/registration", {"securityProfile": 0}, "csId: "),
        ("/cs/CS1", {"securityProfile": 0, "base64SHA256Password": "x"}, "base64SHA256Password: "),
        ("/cs/CS1/trigger", {"trigger": "Heartbeat"}, "trigger: "),
        (
            "/cs/CS1/certificates",
            {"certificates": [{"type": "V2G"}]},
            "certificates/0/certificate: is required",
        ),
        ("/token", {"uid": "x"}, "countryCode: is required"),
    ],
)
async def test_bad_requests_name_the_field(api: Api, path: str, body: Any, error: str) -> None:
    status, payload, _ = await api.call("POST", V0 + path, body)
    assert status == 400
    assert payload["status"] == "Bad Request"
    assert payload["error"].startswith(error), payload


async def test_reconfigure_certificates_and_trigger(api: Api) -> None:
    await api.env.boot("CS1", "2.0.1")
    status, body, _ = await api.call(
        "POST", f"{V0}/cs/CS1/reconfigure", {"HeartbeatInterval": "60", "Other": "x"}
    )
    assert (status, body) == (200, b"")
    pem = certificate_pem("root")
    status, _, _ = await api.call(
        "POST",
        f"{V0}/cs/CS1/certificates",
        {"certificates": [{"type": "CSMS", "certificate": pem}]},
    )
    assert status == 200
    status, body, _ = await api.call(
        "POST",
        f"{V0}/cs/CS1/certificates",
        {"certificates": [{"type": "CSMS", "certificate": "junk"}]},
    )
    assert status == 400
    assert body["error"].startswith("certificates/0/certificate: ")
    status, _, _ = await api.call("POST", f"{V0}/cs/CS1/trigger", {"trigger": "BootNotification"})
    assert status == 200  # MaEVe's spec (its server said 201)
    settings = await api.env.store.lookup_settings("CS1")
    assert {(s.name, s.value, s.status.value) for s in settings} == {
        ("HeartbeatInterval", "60", "Pending"),
        ("Other", "x", "Pending"),
    }
    assert [c.status.value for c in await api.env.store.lookup_install_certificates("CS1")] == [
        "Pending"
    ]
    trigger = await api.env.store.lookup_trigger("CS1")
    assert trigger is not None
    assert trigger.message == "BootNotification"
    status, _, _ = await api.call("POST", f"{V0}/cs/NOPE/trigger", {"trigger": "BootNotification"})
    assert status == 404


TOKEN = {
    "countryCode": "GB",
    "partyId": "TWK",
    "type": "RFID",
    "uid": "DEADBEEF",
    "contractId": "GB-TWK-C12345678",
    "issuer": "Thoughtworks",
    "valid": True,
    "cacheMode": "ALWAYS",
}


async def test_tokens(api: Api) -> None:
    status, body, _ = await api.call(
        "POST", f"{V0}/token", {**TOKEN, "groupId": "staff", "status": "Blocked"}
    )
    assert (status, body) == (201, b"")
    status, body, _ = await api.call("GET", f"{V0}/token/DEADBEEF")
    assert status == 200
    assert body["contractId"] == "GBTWKC12345678I"
    assert body["groupId"] == "staff"
    assert body["status"] == "Blocked"
    assert "lastUpdated" in body
    assert "visualNumber" not in body
    await api.call("POST", f"{V0}/token", {**TOKEN, "uid": "B"})
    status, everything, _ = await api.call("GET", f"{V0}/token")
    assert status == 200
    assert {t["uid"] for t in everything} == {"DEADBEEF", "B"}
    status, body, _ = await api.call("GET", f"{V0}/token?offset=1&limit=500")
    assert status == 200
    assert body == everything[1:]
    status, body, _ = await api.call("GET", f"{V0}/token?limit=x")
    assert status == 400
    assert body["error"] == "limit: 'x' is not an integer"
    status, body, _ = await api.call("POST", f"{V0}/token", {**TOKEN, "contractId": "GBTWK-1"})
    assert status == 400
    assert body["error"].startswith("contractId: ")
    status, _, _ = await api.call("DELETE", f"{V0}/token/B")
    assert status == 204
    status, _, _ = await api.call("GET", f"{V0}/token/B")
    assert status == 404


async def test_client_certificates_by_hash(api: Api) -> None:
    pem = certificate_pem("CS1")
    status, _, _ = await api.call("POST", f"{V0}/certificate", {"certificate": pem})
    assert status == 201
    der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(Encoding.DER)
    digest = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")
    status, body, _ = await api.call("GET", f"{V0}/certificate/{digest}")
    assert (status, body) == (200, {"certificate": pem})
    for _ in range(2):  # idempotent
        status, _, _ = await api.call("DELETE", f"{V0}/certificate/{digest}")
        assert status == 204
    status, _, _ = await api.call("GET", f"{V0}/certificate/{digest}")
    assert status == 404
    key = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"
    status, body, _ = await api.call("POST", f"{V0}/certificate", {"certificate": key})
    assert status == 400  # MaEVe answered 500
    assert body["error"].startswith("certificate: ")


async def test_ocpi_endpoints_are_404_when_ocpi_is_off(api: Api) -> None:
    status, _, _ = await api.call("POST", f"{V0}/register", {"token": "abc"})
    assert status == 404
    status, _, _ = await api.call("POST", f"{V0}/location/LOC1", LOCATION)
    assert status == 404


LOCATION = {
    "country_code": "GB",
    "party_id": "TWK",
    "address": "1 Road",
    "city": "London",
    "country": "GBR",
    "coordinates": {"latitude": "51.50000", "longitude": "-0.12000"},
    "evses": [
        {
            "uid": "E1",
            "connectors": [
                {
                    "id": "1",
                    "standard": "IEC_62196_T2",
                    "format": "SOCKET",
                    "power_type": "AC_3_PHASE",
                    "max_voltage": 400,
                    "max_amperage": 32,
                }
            ],
        }
    ],
}


async def test_ocpi_endpoints_delegate() -> None:
    ocpi = RecordingOcpi()
    async with running_api(ocpi=ocpi) as api:
        status, _, _ = await api.call(
            "POST", f"{V0}/register", {"token": "abc", "url": "http://emsp/versions"}
        )
        assert status == 201
        assert ocpi.registered == [("abc", "http://emsp/versions", None)]
        status, _, _ = await api.call("POST", f"{V0}/location/LOC1", LOCATION)  # no name: fine
        assert status == 201
        assert ocpi.locations["LOC1"]["city"] == "London"
        status, body, _ = await api.call(
            "POST", f"{V0}/location/LOC1", {**LOCATION, "coordinates": {"latitude": "x"}}
        )
        assert status == 400
        assert body["error"].startswith("coordinates/")
        ocpi.fail = True
        status, body, _ = await api.call("POST", f"{V0}/location/LOC2", LOCATION)
        assert status == 500
        assert "503" in body["error"]


# -- operator endpoints ----------------------------------------------------------------------


async def test_station_registration_list_detail_delete(api: Api) -> None:
    status, body, _ = await api.call("POST", f"{V0}/cs/CS9/registration", {"securityProfile": 0})
    assert status == 201
    assert body["url"] == "ws://csms.example/ws/CS9"
    assert len(body["password"]) == 16
    auth = await api.env.service.station_auth("CS9")
    assert auth.base64_sha256_password == hash_password(body["password"])
    await api.env.boot("CS1", "1.6")
    await api.env.boot("CS2", "2.0.1", connected=False)
    status, body, _ = await api.call("GET", f"{V0}/cs?limit=2")
    assert status == 200
    assert [s["stationId"] for s in body["stations"]] == ["CS1", "CS2"]
    assert body["nextAfter"] == "CS2"
    status, body, _ = await api.call("GET", f"{V0}/cs?after=CS2")
    assert [s["stationId"] for s in body["stations"]] == ["CS9"]
    assert body["nextAfter"] is None
    status, body, _ = await api.call("GET", f"{V0}/cs?connected=true")
    assert [(s["stationId"], s["connected"], s["ocppVersion"]) for s in body["stations"]] == [
        ("CS1", True, "1.6")
    ]
    status, body, _ = await api.call("GET", f"{V0}/cs/CS1")
    assert status == 200
    assert body["vendor"] == "Acme"
    assert body["hasPassword"] is True
    status, _, _ = await api.call("DELETE", f"{V0}/cs/CS1")
    assert status == 204
    status, _, _ = await api.call("GET", f"{V0}/cs/CS1")
    assert status == 404


async def test_pending_boot_and_security_profile(api: Api) -> None:
    await api.env.boot("CS1", "2.0.1")
    assert (await api.call("PUT", f"{V0}/cs/CS1/pending-boot"))[0] == 204
    assert (await api.env.service.station_summary("CS1")).pending_boot is True
    assert (await api.call("DELETE", f"{V0}/cs/CS1/pending-boot"))[0] == 204
    assert (await api.env.service.station_summary("CS1")).pending_boot is False
    status, _, _ = await api.call("PUT", f"{V0}/cs/CS1/security-profile", {"securityProfile": 1})
    assert status == 204
    assert (await api.env.service.station_auth("CS1")).security_profile == 1
    await api.env.service.register_station("MTLS", 2)
    status, body, _ = await api.call(
        "PUT", f"{V0}/cs/MTLS/security-profile", {"securityProfile": 0}
    )
    assert status == 400
    assert body["error"].startswith("securityProfile: ")


async def test_command_answers_202_with_the_call_record(api: Api) -> None:
    await api.env.boot("CS1", "2.0.1")
    status, body, _ = await api.call("POST", f"{V0}/cs/CS1/reset", {"type": "Hard"})
    assert status == 202
    assert body["state"] == "pending"
    assert body["action"] == "Reset"
    assert body["request"] == {"type": "Immediate"}
    _, _, sent = await api.env.wire.next()
    assert sent.id == body["callId"]
    status, call, _ = await api.call("GET", f"{V0}/calls/{body['callId']}")
    assert status == 200
    assert call["state"] == "pending"
    await api.env.answer("CS1", sent, {"status": "Accepted"})
    status, call, _ = await api.call("GET", f"{V0}/calls/{body['callId']}")
    assert call["state"] == "answered"
    assert call["response"] == {"status": "Accepted"}
    status, calls, _ = await api.call("GET", f"{V0}/calls?station=CS1")
    assert [c["callId"] for c in calls] == [body["callId"]]


async def test_command_with_wait_returns_the_answer(api: Api) -> None:
    await api.env.boot("CS1", "1.6")
    station = asyncio.create_task(api.env.answer_next({"status": "Unlocked"}))
    status, body, _ = await api.call("POST", f"{V0}/cs/CS1/unlock?wait=5", {"evseId": 1})
    await station
    assert status == 200
    assert body["state"] == "answered"
    assert body["response"] == {"status": "Unlocked"}
    assert body["request"] == {"connectorId": 1}


async def test_command_wait_that_runs_out_is_still_202(api: Api) -> None:
    await api.env.boot("CS1", "1.6")
    status, body, _ = await api.call("POST", f"{V0}/cs/CS1/clear-cache?wait=0.05")
    assert status == 202
    assert body["state"] == "pending"


async def test_commands_refused_for_offline_or_unknown_stations(api: Api) -> None:
    await api.env.boot("OFF", "1.6", connected=False)
    status, body, _ = await api.call("POST", f"{V0}/cs/OFF/clear-cache")
    assert status == 409
    assert body["error"].startswith("csId: ")
    status, _, _ = await api.call("POST", f"{V0}/cs/GHOST/clear-cache")
    assert status == 404
    status, body, _ = await api.call("POST", f"{V0}/cs/OFF/remote-start", {})
    assert status == 400
    assert body["error"] == "idToken: is required"


TWENTY_DIGITS = b"99999999999999999999"


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        ("remote-start", b'{"idToken": "T", "evseId": %s}', "evseId: "),
        (
            "reserve",
            b'{"idToken": "T", "expiresAt": "2026-01-02T00:00:00Z", "evseId": %s}',
            "evseId: ",
        ),
        ("cancel-reservation", b'{"reservationId": %s}', "reservationId: "),
        ("availability", b'{"operative": true, "evseId": %s}', "evseId: "),
        ("unlock", b'{"evseId": %s}', "evseId: "),
        ("trigger-message", b'{"requestedMessage": "Heartbeat", "evseId": %s}', "evseId: "),
        ("charging-limit", b'{"evseId": 1, "limit": 10, "duration": %s}', "duration: "),
        ("clear-charging-profile", b'{"id": %s}', "id: "),
        ("composite-schedule", b'{"evseId": 1, "duration": %s}', "duration: "),
        ("display-message", b'{"text": "hi", "minutes": %s}', "minutes: "),
        ("clear-display-message", b'{"id": %s}', "id: "),
        ("monitoring-level", b'{"severity": %s}', "severity: "),
        ("local-list", b'{"version": %s}', "version: "),
        ("get-report", b'{"requestId": %s}', "requestId: "),
    ],
)
async def test_out_of_range_numbers_are_400(api: Api, path: str, body: bytes, error: str) -> None:
    """The document states core.limits' bounds: 20 digits never reach the service."""
    await api.env.boot("CS1", "2.0.1")
    status, payload, _ = await api.call("POST", f"{V0}/cs/CS1/{path}", body % TWENTY_DIGITS)
    assert status == 400, payload
    assert payload["error"].startswith(error), payload
    # One past the edge is refused as well, not only the absurd.
    status, payload, _ = await api.call("POST", f"{V0}/cs/CS1/{path}", body % b"2147483648")
    assert status == 400, payload
    assert payload["error"].startswith(error), payload
    assert api.env.wire.sent.empty()


async def test_service_bounds_answer_400_too(api: Api) -> None:
    """What only the service can judge (a 1.6 transaction id is an int32) is its Invalid,
    mapped to 400 with the field named."""
    await api.env.boot("CS1", "1.6")
    status, payload, _ = await api.call(
        "POST", f"{V0}/cs/CS1/remote-stop", {"transactionId": TWENTY_DIGITS.decode()}
    )
    assert status == 400
    assert payload["error"] == (
        "transactionId: must be between -2147483648 and 2147483647 "
        "(OCPP 1.6 transaction ids are 32-bit integers)"
    )
    assert api.env.wire.sent.empty()


async def test_raw_call(api: Api) -> None:
    await api.env.boot("CS1", "2.0.1")
    status, body, _ = await api.call(
        "POST",
        f"{V0}/cs/CS1/call/GetVariables",
        {
            "getVariableData": [
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
            ]
        },
    )
    assert status == 202
    assert body["action"] == "GetVariables"
    status, body, _ = await api.call("POST", f"{V0}/cs/CS1/call/Reset", {"type": "Sideways"})
    assert status == 400
    assert body["error"].startswith("payload: ")
    status, body, _ = await api.call("POST", f"{V0}/cs/CS1/call/BootNotification", {})
    assert status == 400
    assert body["error"].startswith("action: ")
    status, body, _ = await api.call(
        "POST", f"{V0}/cs/CS1/call/RemoteStartTransaction", {"idTag": "x"}
    )
    assert status == 400
    assert body["error"].startswith("action: ")  # a 1.6 action


async def test_password_rotation(api: Api) -> None:
    await api.env.boot("CS1", "1.6")
    station = asyncio.create_task(api.env.answer_next({"status": "Accepted"}))
    status, body, _ = await api.call("POST", f"{V0}/cs/CS1/password?wait=5")
    sent = await station
    assert status == 200
    assert body["accepted"] is True
    assert sent.request is not None
    assert sent.request["value"] == body["password"]
    auth = await api.env.service.station_auth("CS1")
    assert auth.base64_sha256_password == hash_password(body["password"])


async def test_transactions_and_messages(api: Api) -> None:
    await api.env.boot("CS1", "1.6")
    now = api.env.clock.now()
    await api.env.store.start_transaction_16("CS1", 1, "TAG", 100.0, now, 5)
    await api.env.store.log_messages(
        [
            LoggedMessage("CS1", now, "in", 2, "m1", "Heartbeat", {}),
            LoggedMessage("CS1", now, "out", 3, "m1", "Heartbeat", {"currentTime": "t"}),
        ]
    )
    status, body, _ = await api.call("GET", f"{V0}/transactions?station=CS1&active=true")
    assert status == 200
    assert [t["transactionId"] for t in body] == ["5"]
    status, body, _ = await api.call("GET", f"{V0}/transactions/5")
    assert status == 200
    assert body["active"] is True
    # The start reading is stored as a Transaction.Begin meter value.
    assert [mv["sampledValues"][0]["value"] for mv in body["meterValues"]] == [100.0]
    status, body, _ = await api.call("GET", f"{V0}/transactions?since=2030-01-01T00:00:00Z")
    assert (status, body) == (200, [])
    status, body, _ = await api.call("GET", f"{V0}/transactions?since=tomorrow")
    assert status == 400
    assert body["error"].startswith("since: ")
    status, body, _ = await api.call("GET", f"{V0}/messages?station=CS1&direction=in")
    assert status == 200
    assert [(m["action"], m["direction"]) for m in body] == [("Heartbeat", "in")]
    status, body, _ = await api.call("GET", f"{V0}/messages?direction=sideways")
    assert status == 400
    assert body["error"].startswith("direction: ")


async def test_events_stream(api: Api) -> None:
    async with api.http.get(f"{V0}/events?kind=station_connected&station=CS1") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        assert await resp.content.readline() == b": connected\n"
        assert await resp.content.readline() == b"\n"
        api.env.events.publish(
            StationConnected(station_id="OTHER", at=api.env.clock.now(), ocpp_version="ocpp1.6")
        )
        api.env.events.publish(
            StationConnected(station_id="CS1", at=api.env.clock.now(), ocpp_version="ocpp1.6")
        )
        lines: list[bytes] = []
        async with asyncio.timeout(5):
            while True:
                line = await resp.content.readline()
                if line.startswith(b": keep-alive"):
                    await resp.content.readline()
                    continue
                lines.append(line)
                if line == b"\n":
                    break
        assert lines[0].startswith(b"id: ")
        assert lines[1] == b"event: station_connected\n"
        data = orjson.loads(lines[2].removeprefix(b"data: "))
        assert data["station_id"] == "CS1"
        assert data["kind"] == "station_connected"


async def test_event_stream_ends_when_the_server_stops() -> None:
    async with running_api() as api:
        resp = await api.http.get(f"{V0}/events")
        assert await resp.content.readline() == b": connected\n"
        await api.server.stop()
        async with asyncio.timeout(5):
            while await resp.content.readline():
                pass
        resp.release()


async def test_metrics_count_bus_events(api: Api) -> None:
    api.env.registry.ids.add("CS1")
    api.env.events.publish(
        StationConnected(station_id="CS1", at=api.env.clock.now(), ocpp_version="ocpp1.6")
    )
    async with asyncio.timeout(5):
        while api.server.metrics.connects == 0:
            await asyncio.sleep(0.01)
    status, body, headers = await api.call("GET", "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    text = body.decode()
    assert sample(text, "csms_connected_stations") == 1
    assert sample(text, "csms_station_connects_total") == 1


# -- security --------------------------------------------------------------------------------


async def test_bearer_auth_and_rate_limit() -> None:
    config = ApiConfig(addr="127.0.0.1:0", auth_required=True, auth_failures_per_minute=3)
    async with running_api(config) as api:
        token = await create_api_token(api.env.store, "ci", api.env.clock.now())
        stored = await api.env.store.list_api_tokens()
        assert [t.name for t in stored] == ["ci"]
        assert token not in stored[0].token_hash
        status, _, headers = await api.call("GET", f"{V0}/cs")
        assert status == 401
        assert headers["WWW-Authenticate"].startswith("Bearer")
        assert (await api.call("GET", "/health"))[0] == 200  # public
        assert (await api.call("GET", f"{V0}/openapi.json"))[0] == 200  # public
        ok = {"Authorization": f"Bearer {token}"}
        assert (await api.call("GET", f"{V0}/cs", headers=ok))[0] == 200
        bad = {"Authorization": "Bearer wrong"}
        for _ in range(3):
            assert (await api.call("GET", f"{V0}/cs", headers=bad))[0] == 401
        status, _, headers = await api.call("GET", f"{V0}/cs", headers=ok)
        assert status == 429
        assert int(headers["Retry-After"]) > 0
        api.env.clock.advance(61)
        assert (await api.call("GET", f"{V0}/cs", headers=ok))[0] == 200


async def test_a_wrong_token_fails_even_where_auth_is_optional(api: Api) -> None:
    status, _, _ = await api.call("GET", f"{V0}/cs", headers={"Authorization": "Bearer nope"})
    assert status == 401
    assert (await api.call("GET", f"{V0}/cs"))[0] == 200


async def test_beyond_loopback_without_auth_refuses_to_start() -> None:
    async with service_env() as env:
        config = ApiConfig.model_construct(**{**LOCAL.model_dump(), "addr": "0.0.0.0:0"})
        with pytest.raises(ConfigError, match="beyond loopback"):
            ApiServer(env.service, env.store, env.clock, config)


async def test_beyond_loopback_auth_is_always_required() -> None:
    async with service_env() as env:
        server = ApiServer(
            env.service, env.store, env.clock, ApiConfig(addr="0.0.0.0:0", auth_required=True)
        )
        assert server.auth.required


async def test_cors_when_configured() -> None:
    config = ApiConfig(addr="127.0.0.1:0", cors_origins=["https://ops.example"])
    async with running_api(config) as api:
        origin = {"Origin": "https://ops.example"}
        status, _, headers = await api.call("OPTIONS", f"{V0}/cs", headers=origin)
        assert status == 204
        assert headers["Access-Control-Allow-Origin"] == "https://ops.example"
        _, _, headers = await api.call("GET", f"{V0}/cs", headers=origin)
        assert headers["Access-Control-Allow-Origin"] == "https://ops.example"
        _, _, headers = await api.call("GET", f"{V0}/cs", headers={"Origin": "https://evil"})
        assert "Access-Control-Allow-Origin" not in headers
