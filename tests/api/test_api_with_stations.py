"""The admin API on the real runtime (``core.runtime.Csms``) with real stations: the `ocpp`
package's ChargePoints for 1.6 and 2.0.1 connect over websockets, and every station command goes
through the REST API, the call maker, the transport and the gateway to them and back."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import orjson
import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from websockets.typing import Subprotocol

from core.credentials import hash_password
from core.runtime import Csms
from tests.api.test_metrics import sample
from tests.e2e.conftest import add_token

pytestmark = pytest.mark.e2e

V0 = "/api/v0"


class Station16(Cp16):
    """Records what it was asked and answers like a cooperative 1.6 station."""

    received: list[tuple[str, dict[str, Any]]]
    accept_key = True

    def _got(self, action: str, **kw: Any) -> None:
        self.received.append((action, kw))

    @on("Reset")
    async def on_reset(self, **kw: Any) -> result16.Reset:
        self._got("Reset", **kw)
        return result16.Reset(status="Accepted")

    @on("RemoteStartTransaction")
    async def on_remote_start(self, **kw: Any) -> result16.RemoteStartTransaction:
        self._got("RemoteStartTransaction", **kw)
        return result16.RemoteStartTransaction(status="Accepted")

    @on("ChangeAvailability")
    async def on_availability(self, **kw: Any) -> result16.ChangeAvailability:
        self._got("ChangeAvailability", **kw)
        return result16.ChangeAvailability(status="Scheduled")

    @on("GetConfiguration")
    async def on_get_configuration(self, **kw: Any) -> result16.GetConfiguration:
        self._got("GetConfiguration", **kw)
        return result16.GetConfiguration(
            configuration_key=[{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
        )

    @on("ChangeConfiguration")
    async def on_change_configuration(self, **kw: Any) -> result16.ChangeConfiguration:
        self._got("ChangeConfiguration", **kw)
        return result16.ChangeConfiguration(status="Accepted" if self.accept_key else "Rejected")

    @on("TriggerMessage")
    async def on_trigger(self, **kw: Any) -> result16.TriggerMessage:
        self._got("TriggerMessage", **kw)
        return result16.TriggerMessage(status="Accepted")


class Station201(Cp201):
    received: list[tuple[str, dict[str, Any]]]

    def _got(self, action: str, **kw: Any) -> None:
        self.received.append((action, kw))

    @on("Reset")
    async def on_reset(self, **kw: Any) -> result201.Reset:
        self._got("Reset", **kw)
        return result201.Reset(status="Accepted")

    @on("RequestStartTransaction")
    async def on_start(self, **kw: Any) -> result201.RequestStartTransaction:
        self._got("RequestStartTransaction", **kw)
        return result201.RequestStartTransaction(status="Accepted")

    @on("SetVariables")
    async def on_set_variables(self, set_variable_data: list[dict[str, Any]]) -> Any:
        self._got("SetVariables", set_variable_data=set_variable_data)
        return result201.SetVariables(
            set_variable_result=[
                {
                    "attribute_status": "Accepted",
                    "component": item["component"],
                    "variable": item["variable"],
                }
                for item in set_variable_data
            ]
        )

    @on("GetBaseReport")
    async def on_base_report(self, **kw: Any) -> result201.GetBaseReport:
        self._got("GetBaseReport", **kw)
        return result201.GetBaseReport(status="Accepted")

    @on("DataTransfer")
    async def on_data_transfer(self, **kw: Any) -> result201.DataTransfer:
        self._got("DataTransfer", **kw)
        return result201.DataTransfer(status="Accepted", data={"echo": kw.get("data")})


async def call(
    http: aiohttp.ClientSession, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    kw: dict[str, Any] = {} if body is None else {"data": orjson.dumps(body)}
    async with http.request(method, path, **kw) as resp:
        raw = await resp.read()
        return resp.status, orjson.loads(raw) if raw else None


@asynccontextmanager
async def station(
    csms: Csms, station_id: str, password: str, cls: type[Any], subprotocol: str
) -> AsyncIterator[Any]:
    url = f"ws://127.0.0.1:{csms.ports['ws']}/ws/{station_id}"
    auth = "Basic " + base64.b64encode(f"{station_id}:{password}".encode()).decode()
    async with websockets.connect(
        url, subprotocols=[Subprotocol(subprotocol)], additional_headers={"Authorization": auth}
    ) as ws:
        cp = cls(station_id, ws)
        cp.received = []
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()


async def register(http: aiohttp.ClientSession, station_id: str) -> str:
    """The operator's flow: register through the API, read URL and password once."""
    status, body = await call(
        http, "POST", f"{V0}/cs/{station_id}/registration", {"securityProfile": 0}
    )
    assert status == 201
    assert body["url"].endswith(f"/ws/{station_id}")
    return str(body["password"])


async def until_connected(http: aiohttp.ClientSession, station_id: str) -> dict[str, Any]:
    async with asyncio.timeout(5):
        while True:
            _, body = await call(http, "GET", f"{V0}/cs/{station_id}")
            if body["connected"] and body["ocppVersion"]:
                return dict(body)
            await asyncio.sleep(0.02)


async def test_ocpp16_station_commands_through_the_api(
    csms: Csms, http: aiohttp.ClientSession
) -> None:
    password = await register(http, "CS16")
    async with station(csms, "CS16", password, Station16, "ocpp1.6") as cp:
        await cp.call(call16.BootNotification(charge_point_vendor="Acme", charge_point_model="X"))
        detail = await until_connected(http, "CS16")
        assert (detail["ocppVersion"], detail["vendor"], detail["model"]) == ("1.6", "Acme", "X")

        status, body = await call(http, "POST", f"{V0}/cs/CS16/reset?wait=5", {"type": "Hard"})
        assert (status, body["state"], body["response"]) == (
            200,
            "answered",
            {"status": "Accepted"},
        )
        status, body = await call(
            http, "POST", f"{V0}/cs/CS16/remote-start?wait=5", {"idToken": "TAG1", "evseId": 1}
        )
        assert status == 200
        assert body["response"] == {"status": "Accepted"}
        status, body = await call(
            http, "POST", f"{V0}/cs/CS16/availability?wait=5", {"operative": False, "evseId": 1}
        )
        assert status == 200
        assert body["response"] == {"status": "Scheduled"}
        status, body = await call(
            http, "POST", f"{V0}/cs/CS16/get-configuration?wait=5", {"keys": ["HeartbeatInterval"]}
        )
        assert body["response"]["configurationKey"][0]["value"] == "300"
        status, body = await call(
            http,
            "POST",
            f"{V0}/cs/CS16/trigger-message?wait=5",
            {"requestedMessage": "StatusNotification", "evseId": 1},
        )
        assert status == 200
        assert body["state"] == "answered"
        assert [action for action, _ in cp.received] == [
            "Reset",
            "RemoteStartTransaction",
            "ChangeAvailability",
            "GetConfiguration",
            "TriggerMessage",
        ]
        assert cp.received[0][1] == {"type": "Hard"}
        assert cp.received[1][1] == {"id_tag": "TAG1", "connector_id": 1}

        # 202 without wait; the record is final once the station has answered.
        status, body = await call(http, "POST", f"{V0}/cs/CS16/reset", {})
        assert status == 202
        status, final = await call(http, "GET", f"{V0}/calls/{body['callId']}?wait=5")
        assert final["state"] == "answered"

        # Password rotation: a refusal keeps the old hash, acceptance switches it.
        cp.accept_key = False
        status, body = await call(http, "POST", f"{V0}/cs/CS16/password?wait=5")
        assert status == 200
        assert body["accepted"] is False
        assert body["password"] is None
        _, auth = await call(http, "GET", f"{V0}/cs/CS16/auth")
        assert auth["base64SHA256Password"] == hash_password(password)
        cp.accept_key = True
        status, body = await call(http, "POST", f"{V0}/cs/CS16/password?wait=5")
        assert body["accepted"] is True
        new_password = body["password"]
        assert cp.received[-1] == (
            "ChangeConfiguration",
            {"key": "AuthorizationKey", "value": new_password},
        )
    # The station reconnects with its new password.
    async with station(csms, "CS16", new_password, Station16, "ocpp1.6") as cp:
        await cp.call(call16.Heartbeat())

    # The message log is written in batches: wait for both directions of the Reset.
    async with asyncio.timeout(5):
        while True:
            status, messages = await call(http, "GET", f"{V0}/messages?station=CS16&action=Reset")
            assert status == 200
            if {m["direction"] for m in messages} == {"in", "out"}:
                break
            await asyncio.sleep(0.02)


async def test_ocpp201_station_commands_through_the_api(
    csms: Csms, http: aiohttp.ClientSession
) -> None:
    password = await register(http, "CS201")
    async with station(csms, "CS201", password, Station201, "ocpp2.0.1") as cp:
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "Y", "vendor_name": "Acme"}, reason="PowerUp"
            )
        )
        await until_connected(http, "CS201")
        status, body = await call(http, "POST", f"{V0}/cs/CS201/reset?wait=5", {"type": "Hard"})
        assert status == 200
        assert body["request"] == {"type": "Immediate"}
        status, body = await call(
            http, "POST", f"{V0}/cs/CS201/remote-start?wait=5", {"idToken": "TOK", "evseId": 1}
        )
        assert status == 200
        assert body["response"] == {"status": "Accepted"}
        status, body = await call(
            http,
            "POST",
            f"{V0}/cs/CS201/set-configuration?wait=5",
            {"values": {"OCPPCommCtrlr/HeartbeatInterval": "60"}},
        )
        assert body["response"]["setVariableResult"][0]["attributeStatus"] == "Accepted"
        status, body = await call(http, "POST", f"{V0}/cs/CS201/get-report?wait=5", {})
        assert status == 200
        assert body["action"] == "GetBaseReport"
        status, body = await call(
            http,
            "POST",
            f"{V0}/cs/CS201/call/DataTransfer?wait=5",
            {"vendorId": "acme", "data": [1]},
        )
        assert status == 200
        assert body["response"] == {"status": "Accepted", "data": {"echo": [1]}}
        status, body = await call(http, "POST", f"{V0}/cs/CS201/password?wait=5")
        assert body["accepted"] is True
        (item,) = cp.received[-1][1]["set_variable_data"]
        assert item["variable"] == {"name": "BasicAuthPassword"}
        assert item["attribute_value"] == body["password"]
        assert [action for action, _ in cp.received] == [
            "Reset",
            "RequestStartTransaction",
            "SetVariables",
            "GetBaseReport",
            "DataTransfer",
            "SetVariables",
        ]
    status, metrics = 0, ""
    async with http.get("/metrics") as resp:
        status, metrics = resp.status, await resp.text()
    assert status == 200
    assert sample(metrics, "csms_messages_total", direction="out", action="Reset", type="call") == 1
    assert sample(metrics, "csms_call_latency_seconds_count", action="Reset") == 1


async def test_events_stream_shows_a_station_connecting(
    csms: Csms, http: aiohttp.ClientSession
) -> None:
    password = await register(http, "CSE")
    async with http.get(f"{V0}/events?station=CSE&kind=station_connected") as resp:
        assert await resp.content.readline() == b": connected\n"
        await resp.content.readline()
        async with station(csms, "CSE", password, Station16, "ocpp1.6"):
            async with asyncio.timeout(5):
                while True:
                    line = await resp.content.readline()
                    if line.startswith(b"data: "):
                        break
            event = orjson.loads(line.removeprefix(b"data: "))
            assert event["kind"] == "station_connected"
            assert event["station_id"] == "CSE"


async def test_offline_station_is_409(csms: Csms, http: aiohttp.ClientSession) -> None:
    await register(http, "GONE")
    status, body = await call(http, "POST", f"{V0}/cs/GONE/clear-cache")
    assert status == 409
    assert body["error"].startswith("csId: ")


class Station201Network(Station201):
    """A 2.0.1 station with network slots 0 (in use) and 2 (a fallback)."""

    @on("SetNetworkProfile")
    async def on_set_network_profile(self, **kw: Any) -> result201.SetNetworkProfile:
        self._got("SetNetworkProfile", **kw)
        return result201.SetNetworkProfile(status="Accepted")

    @on("GetVariables")
    async def on_get_variables(self, get_variable_data: list[dict[str, Any]]) -> Any:
        self._got("GetVariables", get_variable_data=get_variable_data)
        return result201.GetVariables(
            get_variable_result=[
                {
                    "attribute_status": "Accepted",
                    "attribute_value": "0,2",
                    "component": item["component"],
                    "variable": item["variable"],
                }
                for item in get_variable_data
            ]
        )


async def test_security_profile_upgrade_1_6(csms: Csms, http: aiohttp.ClientSession) -> None:
    password = await register(http, "CSU16")
    async with station(csms, "CSU16", password, Station16, "ocpp1.6") as cp:
        await cp.call(call16.BootNotification(charge_point_vendor="A", charge_point_model="B"))
        await until_connected(http, "CSU16")
        path = f"{V0}/cs/CSU16/security-profile/upgrade?wait=5"
        status, body = await call(http, "POST", path, {"securityProfile": 0})
        assert status == 400
        assert "higher than the current profile (0)" in str(body)
        cp.accept_key = False  # the station refuses: nothing changes
        status, body = await call(http, "POST", path, {"securityProfile": 1})
        assert status == 200
        assert body["accepted"] is False
        assert body["securityProfile"] == 0
        cp.accept_key = True
        status, body = await call(http, "POST", path, {"securityProfile": 1})
        assert status == 200
        assert body["accepted"] is True
        assert body["securityProfile"] == 1
        # OCPP numbers the profiles from 1: our 1 (TLS + basic auth) is its 2.
        assert cp.received[-1] == ("ChangeConfiguration", {"key": "SecurityProfile", "value": "2"})
        assert [c["action"] for c in body["calls"]] == ["ChangeConfiguration"]
    _, detail = await call(http, "GET", f"{V0}/cs/CSU16")
    assert detail["securityProfile"] == 1
    # The gateway now wants TLS from this station: the plain websocket is refused.
    with pytest.raises(websockets.InvalidStatus):
        async with station(csms, "CSU16", password, Station16, "ocpp1.6"):
            pass


async def test_security_profile_upgrade_2_0_1(csms: Csms, http: aiohttp.ClientSession) -> None:
    password = await register(http, "CSU201")
    async with station(csms, "CSU201", password, Station201Network, "ocpp2.0.1") as cp:
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "Y", "vendor_name": "Acme"}, reason="PowerUp"
            )
        )
        await until_connected(http, "CSU201")
        status, body = await call(
            http,
            "POST",
            f"{V0}/cs/CSU201/security-profile/upgrade?wait=5",
            {"securityProfile": 1, "configurationSlot": 1},
        )
        assert status == 200
        assert body["accepted"] is True
        assert body["securityProfile"] == 1
        actions = [action for action, _ in cp.received]
        assert actions == ["SetNetworkProfile", "GetVariables", "SetVariables", "Reset"]
        network = cp.received[0][1]
        assert network["configuration_slot"] == 1
        data = network["connection_data"]
        assert (data["ocpp_csms_url"], data["security_profile"]) == ("wss://127.0.0.1:9311/ws", 2)
        (priority,) = cp.received[2][1]["set_variable_data"]
        assert priority["variable"] == {"name": "NetworkConfigurationPriority"}
        assert priority["attribute_value"] == "1,0,2"  # the new slot first, the others kept
        assert cp.received[3][1] == {"type": "OnIdle"}


class Station16Reserving(Station16):
    reserve_answer = "Accepted"

    @on("ReserveNow")
    async def on_reserve_now(self, **kw: Any) -> result16.ReserveNow:
        self._got("ReserveNow", **kw)
        return result16.ReserveNow(status=self.reserve_answer)

    @on("CancelReservation")
    async def on_cancel(self, **kw: Any) -> result16.CancelReservation:
        self._got("CancelReservation", **kw)
        return result16.CancelReservation(status="Accepted")


class Station201Reserving(Station201):
    @on("ReserveNow")
    async def on_reserve_now(self, **kw: Any) -> result201.ReserveNow:
        self._got("ReserveNow", **kw)
        return result201.ReserveNow(status="Accepted")


async def reservations(http: aiohttp.ClientSession, query: str) -> list[dict[str, Any]]:
    status, body = await call(http, "GET", f"{V0}/reservations?{query}")
    assert status == 200
    return list(body)


async def test_reservations_1_6(csms: Csms, http: aiohttp.ClientSession) -> None:
    password = await register(http, "CSR16")
    await add_token(csms, "RESV1")
    async with station(csms, "CSR16", password, Station16Reserving, "ocpp1.6") as cp:
        await cp.call(call16.BootNotification(charge_point_vendor="A", charge_point_model="B"))
        await until_connected(http, "CSR16")
        path = f"{V0}/cs/CSR16/reserve?wait=5"
        status, body = await call(http, "POST", path, {"idToken": "RESV1",
                                  "expiresAt": "2020-01-01T00:00:00Z"})  # fmt: skip
        assert status == 400
        assert "expiresAt" in str(body)  # in the past
        future = "2099-01-01T00:00:00Z"
        body_ = {"idToken": "RESV1", "expiresAt": future, "evseId": 1, "groupId": "FLEET"}
        status, body = await call(http, "POST", path, body_)
        assert status == 200, body
        first = body["reservation"]
        assert first["status"] == "Accepted"
        assert first["active"] is True
        assert cp.received[-1] == (
            "ReserveNow",
            {
                "connector_id": 1,
                "expiry_date": "2099-01-01T00:00:00Z",
                "id_tag": "RESV1",
                "reservation_id": first["reservationId"],
                "parent_id_tag": "FLEET",
            },
        )
        # The station starts charging on the reservation: it is used.
        await cp.call(call16.StartTransaction(connector_id=1, id_tag="RESV1", meter_start=0,
                      timestamp="2025-01-01T10:00:00Z",
                      reservation_id=first["reservationId"]))  # fmt: skip
        (used,) = await reservations(http, "station=CSR16")
        assert used["status"] == "Used"
        assert used["active"] is False

        # A second one, cancelled.
        status, body = await call(http, "POST", path, {"idToken": "RESV1", "expiresAt": future})
        second = body["reservation"]["reservationId"]
        assert body["call"]["request"]["connectorId"] == 0  # the whole charge point
        status, body = await call(
            http, "POST", f"{V0}/cs/CSR16/cancel-reservation?wait=5", {"reservationId": second}
        )
        assert status == 200
        assert body["response"] == {"status": "Accepted"}
        assert [r["status"] for r in await reservations(http, "station=CSR16")] == [
            "Cancelled",
            "Used",
        ]
        assert await reservations(http, "active=true") == []
        status, body = await call(
            http, "POST", f"{V0}/cs/CSR16/cancel-reservation?wait=5", {"reservationId": second}
        )
        assert status == 409  # no longer active

        # The station refuses: the reservation ends there.
        cp.reserve_answer = "Occupied"
        status, body = await call(http, "POST", path, {"idToken": "RESV1", "expiresAt": future})
        assert body["reservation"]["status"] == "Occupied"
        assert body["reservation"]["active"] is False


async def test_reservations_2_0_1(csms: Csms, http: aiohttp.ClientSession) -> None:
    password = await register(http, "CSR201")
    other = await register(http, "CSX201")
    async with station(csms, "CSR201", password, Station201Reserving, "ocpp2.0.1") as cp:
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "Y", "vendor_name": "Acme"}, reason="PowerUp"
            )
        )
        await until_connected(http, "CSR201")
        status, body = await call(
            http,
            "POST",
            f"{V0}/cs/CSR201/reserve?wait=5",
            {"idToken": "T201", "expiresAt": "2099-01-01T00:00:00Z", "tokenType": "eMAID"},
        )
        assert status == 200
        assert body["reservation"]["status"] == "Accepted"
        rid = body["reservation"]["reservationId"]
        assert cp.received[-1] == (
            "ReserveNow",
            {
                "id": rid,
                "expiry_date_time": "2099-01-01T00:00:00Z",
                "id_token": {"id_token": "T201", "type": "eMAID"},
            },
        )
        # Another station naming this reservation changes nothing (a station may only touch
        # its own reservations).
        async with station(csms, "CSX201", other, Station201, "ocpp2.0.1") as intruder:
            await intruder.call(
                call201.ReservationStatusUpdate(
                    reservation_id=rid, reservation_update_status="Removed"
                )
            )
        assert (await reservations(http, "station=CSR201"))[0]["status"] == "Accepted"
        await cp.call(
            call201.ReservationStatusUpdate(reservation_id=rid, reservation_update_status="Expired")
        )
        (ended,) = await reservations(http, "station=CSR201")
        assert ended["status"] == "Expired"
        assert ended["active"] is False


class Station16Maintenance(Station16):
    @on("UpdateFirmware")
    async def on_update_firmware(self, **kw: Any) -> result16.UpdateFirmware:
        self._got("UpdateFirmware", **kw)
        return result16.UpdateFirmware()

    @on("SignedUpdateFirmware")
    async def on_signed_update(self, **kw: Any) -> result16.SignedUpdateFirmware:
        self._got("SignedUpdateFirmware", **kw)
        return result16.SignedUpdateFirmware(status="Accepted")

    @on("GetDiagnostics")
    async def on_get_diagnostics(self, **kw: Any) -> result16.GetDiagnostics:
        self._got("GetDiagnostics", **kw)
        return result16.GetDiagnostics(file_name="diag.zip")

    @on("GetLog")
    async def on_get_log(self, **kw: Any) -> result16.GetLog:
        self._got("GetLog", **kw)
        return result16.GetLog(status="Accepted", filename="security.log")


class Station201Maintenance(Station201):
    @on("UpdateFirmware")
    async def on_update_firmware(self, **kw: Any) -> result201.UpdateFirmware:
        self._got("UpdateFirmware", **kw)
        return result201.UpdateFirmware(status="Accepted")

    @on("GetLog")
    async def on_get_log(self, **kw: Any) -> result201.GetLog:
        self._got("GetLog", **kw)
        return result201.GetLog(status="Accepted", filename="diag.tar")


async def test_firmware_and_logs_1_6(csms: Csms, http: aiohttp.ClientSession) -> None:
    password = await register(http, "CSM16")
    async with station(csms, "CSM16", password, Station16Maintenance, "ocpp1.6") as cp:
        await cp.call(call16.BootNotification(charge_point_vendor="A", charge_point_model="B"))
        await until_connected(http, "CSM16")
        base = f"{V0}/cs/CSM16"
        status, body = await call(http, "POST", f"{base}/update-firmware?wait=5",
                                  {"location": "file:///etc/passwd"})  # fmt: skip
        assert status == 400
        assert "location" in str(body)
        status, body = await call(
            http,
            "POST",
            f"{base}/update-firmware?wait=5",
            {"location": "https://fw.example/v2.bin", "retrieveAt": "2030-01-01T02:00:00Z"},
        )
        assert status == 200
        assert body["state"] == "answered"
        assert cp.received[-1] == (
            "UpdateFirmware",
            {"location": "https://fw.example/v2.bin", "retrieve_date": "2030-01-01T02:00:00Z"},
        )
        status, body = await call(
            http,
            "POST",
            f"{base}/update-firmware?wait=5",
            {"location": "https://fw.example/v3.bin", "signingCertificate": "CERT",
             "signature": "SIG"},
        )  # fmt: skip
        assert body["action"] == "SignedUpdateFirmware"
        assert body["response"] == {"status": "Accepted"}
        assert cp.received[-1][1]["firmware"]["signature"] == "SIG"
        status, body = await call(
            http, "POST", f"{base}/get-log?wait=5", {"location": "ftp://logs.example/up"}
        )
        assert body["action"] == "GetDiagnostics"
        assert body["response"] == {"fileName": "diag.zip"}
        status, body = await call(
            http,
            "POST",
            f"{base}/get-log?wait=5",
            {"location": "https://logs.example/up", "logType": "SecurityLog"},
        )
        assert body["action"] == "GetLog"
        assert body["response"]["filename"] == "security.log"
        # The station reports progress: kept as station events.
        await cp.call(call16.FirmwareStatusNotification(status="Downloading"))
        _, detail = await call(http, "GET", f"{base}")
        assert any(e["eventType"] == "FirmwareStatus" for e in detail["recentEvents"])


async def test_firmware_and_logs_2_0_1(csms: Csms, http: aiohttp.ClientSession) -> None:
    password = await register(http, "CSM201")
    async with station(csms, "CSM201", password, Station201Maintenance, "ocpp2.0.1") as cp:
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "Y", "vendor_name": "Acme"}, reason="PowerUp"
            )
        )
        await until_connected(http, "CSM201")
        base = f"{V0}/cs/CSM201"
        status, body = await call(
            http,
            "POST",
            f"{base}/update-firmware?wait=5",
            {"location": "https://fw.example/v2.bin", "retrieveAt": "2030-01-01T02:00:00Z",
             "signingCertificate": "CERT", "signature": "SIG", "retries": 2},
        )  # fmt: skip
        assert status == 200
        assert body["response"] == {"status": "Accepted"}
        request = cp.received[-1][1]
        assert request["firmware"] == {
            "location": "https://fw.example/v2.bin",
            "retrieve_date_time": "2030-01-01T02:00:00Z",
            "signing_certificate": "CERT",
            "signature": "SIG",
        }
        assert request["retries"] == 2
        assert request["request_id"] > 0
        status, body = await call(
            http,
            "POST",
            f"{base}/update-firmware?wait=5",
            {"location": "https://fw.example/v2.bin", "signature": "SIG"},
        )
        assert status == 400  # a signature without its certificate
        status, body = await call(
            http,
            "POST",
            f"{base}/get-log?wait=5",
            {"location": "https://logs.example/up", "oldest": "2025-01-01T00:00:00Z"},
        )
        assert body["action"] == "GetLog"
        assert cp.received[-1][1]["log"] == {
            "remote_location": "https://logs.example/up",
            "oldest_timestamp": "2025-01-01T00:00:00Z",
        }


class Station16List(Station16):
    list_version = 0

    @on("GetLocalListVersion")
    async def on_get_version(self, **kw: Any) -> result16.GetLocalListVersion:
        self._got("GetLocalListVersion", **kw)
        return result16.GetLocalListVersion(list_version=self.list_version)

    @on("SendLocalList")
    async def on_send_local_list(self, **kw: Any) -> result16.SendLocalList:
        self._got("SendLocalList", **kw)
        self.list_version = kw["list_version"]
        return result16.SendLocalList(status="Accepted")


class Station201List(Station201):
    @on("GetLocalListVersion")
    async def on_get_version(self, **kw: Any) -> result201.GetLocalListVersion:
        self._got("GetLocalListVersion", **kw)
        return result201.GetLocalListVersion(version_number=7)

    @on("SendLocalList")
    async def on_send_local_list(self, **kw: Any) -> result201.SendLocalList:
        self._got("SendLocalList", **kw)
        return result201.SendLocalList(status="Accepted")


async def test_local_list_1_6(csms: Csms, http: aiohttp.ClientSession) -> None:
    from datetime import UTC, datetime

    await add_token(csms, "LL-OK", group_id="FLEET", expiry_date=datetime(2099, 1, 1, tzinfo=UTC))
    await add_token(csms, "LL-BLOCKED", status="Blocked")
    password = await register(http, "CSL16")
    async with station(csms, "CSL16", password, Station16List, "ocpp1.6") as cp:
        await cp.call(call16.BootNotification(charge_point_vendor="A", charge_point_model="B"))
        await until_connected(http, "CSL16")
        path = f"{V0}/cs/CSL16/local-list?wait=5"
        status, body = await call(http, "POST", path, {})  # Full: every cacheable token
        assert status == 200
        assert body["response"] == {"status": "Accepted"}
        assert [a for a, _ in cp.received] == ["GetLocalListVersion", "SendLocalList"]
        sent = cp.received[-1][1]
        assert sent["list_version"] == 1
        assert sent["update_type"] == "Full"
        entries = {e["id_tag"]: e["id_tag_info"] for e in sent["local_authorization_list"]}
        assert entries["LL-OK"] == {
            "status": "Accepted",
            "expiry_date": "2099-01-01T00:00:00.000Z",
            "parent_id_tag": "FLEET",
        }
        assert entries["LL-BLOCKED"] == {"status": "Blocked"}
        # Differential: one removed; the version follows the station's.
        status, body = await call(
            http, "POST", path, {"updateType": "Differential", "remove": ["LL-BLOCKED"]}
        )
        assert status == 200, body
        sent = cp.received[-1][1]
        assert sent["list_version"] == 2
        assert sent["local_authorization_list"] == [{"id_tag": "LL-BLOCKED"}]
        # Full with an empty list clears the station's list.
        status, body = await call(http, "POST", path, {"updateType": "Differential"})
        assert status == 400
        assert "name the tokens" in str(body)
        status, body = await call(http, "POST", path, {"tokens": [], "version": 10})
        assert cp.received[-1][1] == {"list_version": 10, "update_type": "Full"}
        status, body = await call(http, "POST", path, {"tokens": ["NOPE"]})
        assert status == 400
        assert "unknown token NOPE" in str(body)
        status, body = await call(http, "POST", f"{V0}/cs/CSL16/get-local-list-version?wait=5", {})
        assert body["response"] == {"listVersion": 10}


async def test_local_list_2_0_1(csms: Csms, http: aiohttp.ClientSession) -> None:
    await add_token(csms, "LL201", group_id="G1")
    password = await register(http, "CSL201")
    async with station(csms, "CSL201", password, Station201List, "ocpp2.0.1") as cp:
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "Y", "vendor_name": "Acme"}, reason="PowerUp"
            )
        )
        await until_connected(http, "CSL201")
        status, body = await call(
            http,
            "POST",
            f"{V0}/cs/CSL201/local-list?wait=5",
            {"updateType": "Differential", "tokens": ["LL201"]},
        )
        assert status == 200
        assert body["response"] == {"status": "Accepted"}
        sent = cp.received[-1][1]
        assert sent["version_number"] == 8
        assert sent["update_type"] == "Differential"
        assert sent["local_authorization_list"] == [
            {
                "id_token": {"id_token": "LL201", "type": "ISO14443"},
                "id_token_info": {
                    "status": "Accepted",
                    "group_id_token": {"id_token": "G1", "type": "Central"},
                },
            }
        ]


class Station16Smart(Station16):
    @on("SetChargingProfile")
    async def on_set_profile(self, **kw: Any) -> result16.SetChargingProfile:
        self._got("SetChargingProfile", **kw)
        return result16.SetChargingProfile(status="Accepted")

    @on("ClearChargingProfile")
    async def on_clear_profile(self, **kw: Any) -> result16.ClearChargingProfile:
        self._got("ClearChargingProfile", **kw)
        return result16.ClearChargingProfile(status="Accepted")

    @on("GetCompositeSchedule")
    async def on_composite(self, **kw: Any) -> result16.GetCompositeSchedule:
        self._got("GetCompositeSchedule", **kw)
        return result16.GetCompositeSchedule(status="Accepted", connector_id=kw["connector_id"])


class Station201Smart(Station201):
    @on("SetChargingProfile")
    async def on_set_profile(self, **kw: Any) -> result201.SetChargingProfile:
        self._got("SetChargingProfile", **kw)
        return result201.SetChargingProfile(status="Accepted")

    @on("ClearChargingProfile")
    async def on_clear_profile(self, **kw: Any) -> result201.ClearChargingProfile:
        self._got("ClearChargingProfile", **kw)
        return result201.ClearChargingProfile(status="Unknown")


async def test_smart_charging_1_6(csms: Csms, http: aiohttp.ClientSession) -> None:
    password = await register(http, "CSS16")
    async with station(csms, "CSS16", password, Station16Smart, "ocpp1.6") as cp:
        await cp.call(call16.BootNotification(charge_point_vendor="A", charge_point_model="B"))
        await until_connected(http, "CSS16")
        base = f"{V0}/cs/CSS16"
        status, body = await call(
            http,
            "POST",
            f"{base}/charging-limit?wait=5",
            {"evseId": 1, "limit": 7400, "duration": 3600},
        )
        assert status == 200
        assert body["response"] == {"status": "Accepted"}
        sent = cp.received[-1][1]
        assert sent["connector_id"] == 1
        profile = sent["cs_charging_profiles"]
        assert profile["charging_profile_purpose"] == "TxDefaultProfile"
        assert profile["charging_profile_kind"] == "Absolute"
        schedule = profile["charging_schedule"]
        assert schedule["charging_rate_unit"] == "W"
        assert schedule["duration"] == 3600
        assert schedule["charging_schedule_period"] == [{"start_period": 0, "limit": 7400}]
        status, body = await call(
            http, "POST", f"{base}/charging-limit?wait=5", {"evseId": 0, "limit": 32, "unit": "A"}
        )
        purpose = cp.received[-1][1]["cs_charging_profiles"]["charging_profile_purpose"]
        assert purpose == "ChargePointMaxProfile"
        # A raw profile that breaks the 1.6 schema is refused before it is sent.
        status, body = await call(
            http, "POST", f"{base}/charging-profile?wait=5", {"evseId": 1, "profile": {"x": 1}}
        )
        assert status == 400
        status, body = await call(
            http, "POST", f"{base}/clear-charging-profile?wait=5", {"purpose": "TxDefaultProfile"}
        )
        assert cp.received[-1] == (
            "ClearChargingProfile",
            {"charging_profile_purpose": "TxDefaultProfile"},
        )
        status, body = await call(
            http, "POST", f"{base}/composite-schedule?wait=5", {"evseId": 1, "duration": 600}
        )
        assert body["response"] == {"status": "Accepted", "connectorId": 1}
        assert cp.received[-1] == ("GetCompositeSchedule", {"connector_id": 1, "duration": 600})


async def test_smart_charging_2_0_1(csms: Csms, http: aiohttp.ClientSession) -> None:
    password = await register(http, "CSS201")
    async with station(csms, "CSS201", password, Station201Smart, "ocpp2.0.1") as cp:
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "Y", "vendor_name": "Acme"}, reason="PowerUp"
            )
        )
        await until_connected(http, "CSS201")
        base = f"{V0}/cs/CSS201"
        status, body = await call(
            http, "POST", f"{base}/charging-limit?wait=5", {"evseId": 2, "limit": 11000}
        )
        assert status == 200
        assert body["response"] == {"status": "Accepted"}
        sent = cp.received[-1][1]
        assert sent["evse_id"] == 2
        (schedule,) = sent["charging_profile"]["charging_schedule"]
        assert schedule["charging_schedule_period"] == [{"start_period": 0, "limit": 11000}]
        status, body = await call(
            http, "POST", f"{base}/clear-charging-profile?wait=5", {"evseId": 2, "stackLevel": 0}
        )
        assert body["response"] == {"status": "Unknown"}
        assert cp.received[-1] == (
            "ClearChargingProfile",
            {"charging_profile_criteria": {"evse_id": 2, "stack_level": 0}},
        )


class Station201Display(Station201):
    @on("SetDisplayMessage")
    async def on_set_display(self, **kw: Any) -> result201.SetDisplayMessage:
        self._got("SetDisplayMessage", **kw)
        return result201.SetDisplayMessage(status="Accepted")

    @on("ClearDisplayMessage")
    async def on_clear_display(self, **kw: Any) -> result201.ClearDisplayMessage:
        self._got("ClearDisplayMessage", **kw)
        return result201.ClearDisplayMessage(status="Unknown")

    @on("GetDisplayMessages")
    async def on_get_displays(self, **kw: Any) -> result201.GetDisplayMessages:
        self._got("GetDisplayMessages", **kw)
        return result201.GetDisplayMessages(status="Accepted")


async def test_display_messages(csms: Csms, http: aiohttp.ClientSession) -> None:
    password = await register(http, "CSD201")
    async with station(csms, "CSD201", password, Station201Display, "ocpp2.0.1") as cp:
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "Y", "vendor_name": "Acme"}, reason="PowerUp"
            )
        )
        await until_connected(http, "CSD201")
        base = f"{V0}/cs/CSD201"
        status, body = await call(
            http,
            "POST",
            f"{base}/display-message?wait=5",
            {"text": "Out of order until 14:00", "priority": "InFront", "minutes": 90, "id": 5},
        )
        assert status == 200
        assert body["response"] == {"status": "Accepted"}
        message = cp.received[-1][1]["message"]
        assert (message["id"], message["priority"]) == (5, "InFront")
        assert message["message"] == {"format": "UTF8", "content": "Out of order until 14:00"}
        assert message["start_date_time"] < message["end_date_time"]
        status, body = await call(http, "POST", f"{base}/clear-display-message?wait=5", {"id": 5})
        assert body["response"] == {"status": "Unknown"}
        status, body = await call(http, "POST", f"{base}/get-display-messages?wait=5", {})
        assert body["response"] == {"status": "Accepted"}
        assert cp.received[-1][0] == "GetDisplayMessages"
    # 1.6 has none: a clear refusal, nothing sent.
    password16 = await register(http, "CSD16")
    async with station(csms, "CSD16", password16, Station16, "ocpp1.6") as cp16:
        await cp16.call(call16.BootNotification(charge_point_vendor="A", charge_point_model="B"))
        await until_connected(http, "CSD16")
        status, body = await call(
            http, "POST", f"{V0}/cs/CSD16/display-message?wait=5", {"text": "hello"}
        )
        assert status == 409
        assert "1.6 has no display messages" in str(body)
        assert cp16.received == []


class Station201Monitoring(Station201):
    @on("SetVariableMonitoring")
    async def on_set_monitoring(self, set_monitoring_data: list[dict[str, Any]]) -> Any:
        self._got("SetVariableMonitoring", set_monitoring_data=set_monitoring_data)
        return result201.SetVariableMonitoring(
            set_monitoring_result=[
                {
                    "id": 41,
                    "status": "Accepted",
                    "type": item["type"],
                    "severity": item["severity"],
                    "component": item["component"],
                    "variable": item["variable"],
                }
                for item in set_monitoring_data
            ]
        )

    @on("ClearVariableMonitoring")
    async def on_clear_monitoring(self, id: list[int]) -> Any:
        self._got("ClearVariableMonitoring", id=id)
        return result201.ClearVariableMonitoring(
            clear_monitoring_result=[{"id": i, "status": "Accepted"} for i in id]
        )

    @on("SetMonitoringLevel")
    async def on_level(self, **kw: Any) -> result201.SetMonitoringLevel:
        self._got("SetMonitoringLevel", **kw)
        return result201.SetMonitoringLevel(status="Accepted")

    @on("SetMonitoringBase")
    async def on_base(self, **kw: Any) -> result201.SetMonitoringBase:
        self._got("SetMonitoringBase", **kw)
        return result201.SetMonitoringBase(status="Accepted")

    @on("GetMonitoringReport")
    async def on_report(self, **kw: Any) -> result201.GetMonitoringReport:
        self._got("GetMonitoringReport", **kw)
        return result201.GetMonitoringReport(status="EmptyResultSet")


async def test_variable_monitoring(csms: Csms, http: aiohttp.ClientSession) -> None:
    password = await register(http, "CSV201")
    async with station(csms, "CSV201", password, Station201Monitoring, "ocpp2.0.1") as cp:
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "Y", "vendor_name": "Acme"}, reason="PowerUp"
            )
        )
        await until_connected(http, "CSV201")
        base = f"{V0}/cs/CSV201"
        status, body = await call(
            http,
            "POST",
            f"{base}/monitor?wait=5",
            {"component": "EVSE", "variable": "Power", "type": "UpperThreshold",
             "value": 22000, "severity": 4, "evseId": 1},
        )  # fmt: skip
        assert status == 200
        assert body["response"]["setMonitoringResult"][0]["status"] == "Accepted"
        (monitor,) = cp.received[-1][1]["set_monitoring_data"]
        assert monitor["component"] == {"name": "EVSE", "evse": {"id": 1}}
        assert (monitor["type"], monitor["value"], monitor["severity"]) == (
            "UpperThreshold",
            22000,
            4,
        )
        status, body = await call(http, "POST", f"{base}/clear-monitors?wait=5", {"ids": [41]})
        assert cp.received[-1] == ("ClearVariableMonitoring", {"id": [41]})
        await call(http, "POST", f"{base}/monitoring-level?wait=5", {"severity": 3})
        await call(http, "POST", f"{base}/monitoring-base?wait=5", {"base": "FactoryDefault"})
        status, body = await call(http, "POST", f"{base}/monitoring-report?wait=5", {})
        assert body["response"] == {"status": "EmptyResultSet"}
        assert [a for a, _ in cp.received[-3:]] == [
            "SetMonitoringLevel",
            "SetMonitoringBase",
            "GetMonitoringReport",
        ]
        # The station reports a threshold crossed: kept as its event.
        await cp.call(
            call201.NotifyEvent(
                generated_at="2025-01-01T10:00:00Z",
                seq_no=0,
                event_data=[
                    {
                        "event_id": 1,
                        "timestamp": "2025-01-01T10:00:00Z",
                        "trigger": "Alerting",
                        "actual_value": "22500",
                        "event_notification_type": "CustomMonitor",
                        "component": {"name": "EVSE"},
                        "variable": {"name": "Power"},
                    }
                ],
            )
        )
        _, detail = await call(http, "GET", base)
        assert any(e["eventType"] == "NotifyEvent" for e in detail["recentEvents"])


class Station201Customer(Station201):
    @on("GetTransactionStatus")
    async def on_tx_status(self, **kw: Any) -> result201.GetTransactionStatus:
        self._got("GetTransactionStatus", **kw)
        return result201.GetTransactionStatus(messages_in_queue=False, ongoing_indicator=True)

    @on("CustomerInformation")
    async def on_customer(self, **kw: Any) -> result201.CustomerInformation:
        self._got("CustomerInformation", **kw)
        return result201.CustomerInformation(status="Accepted")


async def test_transaction_status_and_customer_information(
    csms: Csms, http: aiohttp.ClientSession
) -> None:
    password = await register(http, "CSC201")
    async with station(csms, "CSC201", password, Station201Customer, "ocpp2.0.1") as cp:
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "Y", "vendor_name": "Acme"}, reason="PowerUp"
            )
        )
        await until_connected(http, "CSC201")
        base = f"{V0}/cs/CSC201"
        status, body = await call(
            http, "POST", f"{base}/transaction-status?wait=5", {"transactionId": "tx-9"}
        )
        assert body["response"] == {"messagesInQueue": False, "ongoingIndicator": True}
        assert cp.received[-1] == ("GetTransactionStatus", {"transaction_id": "tx-9"})
        status, body = await call(http, "POST", f"{base}/transaction-status?wait=5", {})
        assert cp.received[-1] == ("GetTransactionStatus", {})
        status, body = await call(
            http, "POST", f"{base}/customer-information?wait=5", {"report": False, "clear": False}
        )
        assert status == 400
        status, body = await call(
            http,
            "POST",
            f"{base}/customer-information?wait=5",
            {"report": True, "clear": True, "idToken": "CARD1"},
        )
        assert body["response"] == {"status": "Accepted"}
        request = cp.received[-1][1]
        assert (request["report"], request["clear"]) == (True, True)
        assert request["id_token"] == {"id_token": "CARD1", "type": "ISO14443"}
