"""OCPI with a real OCPP 1.6 station (the `ocpp` package's ChargePoint over a websocket):
START_SESSION reaches it and the result is POSTed to response_url; its transaction becomes a
session and a CDR at the eMSP; its status becomes the EVSE's status; real-time authorisation."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from websockets.typing import Subprotocol

from core.config import config_from_dict
from core.runtime import Csms
from tests.fixtures.running import service_of
from tests.ocpi.conftest import Env, ocpi_config
from tests.ocpi.emsp import COUNTRY, PARTY, CpoClient, Emsp, emsp_token, free_port
from tests.ocpi.test_modules import admin_location

pytestmark = pytest.mark.e2e

START = "2025-01-01T10:00:00Z"
STOP = "2025-01-01T11:00:00Z"
REGISTER = "Energy.Active.Import.Register"


class Station(Cp16):
    received: list[tuple[str, dict[str, Any]]]
    unlock_status = "Unlocked"
    reserve_status = "Accepted"

    @on("RemoteStartTransaction")
    async def on_remote_start(self, **kw: Any) -> result16.RemoteStartTransaction:
        self.received.append(("RemoteStartTransaction", kw))
        return result16.RemoteStartTransaction(status="Accepted")

    @on("RemoteStopTransaction")
    async def on_remote_stop(self, **kw: Any) -> result16.RemoteStopTransaction:
        self.received.append(("RemoteStopTransaction", kw))
        return result16.RemoteStopTransaction(status="Accepted")

    @on("ReserveNow")
    async def on_reserve_now(self, **kw: Any) -> result16.ReserveNow:
        self.received.append(("ReserveNow", kw))
        return result16.ReserveNow(status=self.reserve_status)

    @on("CancelReservation")
    async def on_cancel_reservation(self, **kw: Any) -> result16.CancelReservation:
        self.received.append(("CancelReservation", kw))
        return result16.CancelReservation(status="Accepted")

    @on("UnlockConnector")
    async def on_unlock(self, **kw: Any) -> result16.UnlockConnector:
        self.received.append(("UnlockConnector", kw))
        return result16.UnlockConnector(status=self.unlock_status)


@asynccontextmanager
async def station(env: Env, station_id: str = "CS1") -> AsyncIterator[Station]:
    status, body = await env.admin("POST", f"/cs/{station_id}/registration", {"securityProfile": 0})
    assert status == 201
    url = f"ws://127.0.0.1:{env.csms.ports['ws']}/ws/{station_id}"
    basic = base64.b64encode(f"{station_id}:{body['password']}".encode()).decode()
    async with websockets.connect(
        url,
        subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers={"Authorization": f"Basic {basic}"},
    ) as ws:
        cp = Station(station_id, ws)
        cp.received = []
        task = asyncio.create_task(cp.start())
        try:
            await cp.call(
                call16.BootNotification(charge_point_vendor="Acme", charge_point_model="X")
            )
            yield cp
        finally:
            task.cancel()


async def setup(env: Env) -> CpoClient:
    client = await env.emsp_registers()
    status, _ = await env.admin("POST", "/location/LOC1", admin_location("CS1"))
    assert status == 201
    return client


def command_body(env: Env, name: str, **fields: Any) -> dict[str, Any]:
    return {"response_url": f"{env.emsp.url}/ocpi/emsp/2.2.1/commands/{name}/1", **fields}


async def test_start_session_reaches_the_station_and_the_result_the_emsp(env: Env) -> None:
    client = await setup(env)
    async with station(env) as cp:
        status, _, body = await client.request(
            "POST",
            f"{env.cpo}/commands/START_SESSION",
            command_body(
                env,
                "START_SESSION",
                token=emsp_token("AABBCCDD"),
                location_id="LOC1",
                evse_uid="CS1",
                connector_id="1",
            ),
        )
        assert status == 200, body
        assert body["data"]["result"] == "ACCEPTED", body
        result = await env.emsp.wait_for(lambda r: r.path.endswith("/commands/START_SESSION/1"))
        assert result.body == {"result": "ACCEPTED"}
        assert result.token == "EMSP-TOKEN-B"
        assert cp.received == [
            ("RemoteStartTransaction", {"id_tag": "AABBCCDD", "connector_id": 1})
        ]

        # The station starts charging: a session, then on stop a CDR, reach the eMSP.
        started = await cp.call(
            call16.StartTransaction(
                connector_id=1, id_tag="AABBCCDD", meter_start=1000, timestamp=START
            )
        )
        assert started.id_tag_info["status"] == "Accepted"
        tx = started.transaction_id
        session_id = f"CS1-{tx}"
        put = await env.emsp.wait_for(
            lambda r: r.method == "PUT" and r.path.endswith(f"/sessions/GB/TWK/{session_id}")
        )
        assert put.body["status"] == "ACTIVE"
        assert put.body["auth_method"] == "COMMAND"
        assert put.body["cdr_token"]["uid"] == "AABBCCDD"
        assert (put.body["location_id"], put.body["evse_uid"], put.body["connector_id"]) == (
            "LOC1",
            "CS1",
            "1",
        )

        # A reading while it charges: the session's energy and cost so far follow it.
        await cp.call(
            call16.MeterValues(
                connector_id=1,
                transaction_id=tx,
                meter_value=[
                    {
                        "timestamp": START.replace(":00Z", ":30Z"),
                        "sampledValue": [{"value": "3500", "measurand": REGISTER}],
                    }
                ],
            )
        )
        running = await env.emsp.wait_for(
            lambda r: r.method == "PUT" and (r.body or {}).get("kwh") == 2.5
        )
        assert running.body["status"] == "ACTIVE"
        assert running.body["total_cost"] == {"excl_vat": 1.375}

        # STOP_SESSION by the eMSP reaches the station as RemoteStopTransaction.
        status, _, body = await client.request(
            "POST",
            f"{env.cpo}/commands/STOP_SESSION",
            command_body(env, "STOP_SESSION", session_id=session_id),
        )
        assert body["data"]["result"] == "ACCEPTED"
        stop_result = await env.emsp.wait_for(lambda r: r.path.endswith("/STOP_SESSION/1"))
        assert stop_result.body["result"] == "ACCEPTED"
        assert cp.received[-1] == ("RemoteStopTransaction", {"transaction_id": tx})

        await cp.call(
            call16.StopTransaction(
                meter_stop=6000, timestamp=STOP, transaction_id=tx, id_tag="AABBCCDD"
            )
        )
        completed = await env.emsp.wait_for(
            lambda r: r.method == "PUT" and (r.body or {}).get("status") == "COMPLETED"
        )
        assert completed.body["kwh"] == 5.0
        assert completed.body["total_cost"] == {"excl_vat": 2.75}
        cdr = await env.emsp.wait_for(lambda r: r.path.endswith("/cdrs"))
        assert cdr.body["id"] == session_id
        assert cdr.body["total_energy"] == 5.0
        assert cdr.body["total_time"] == 1.0
        assert cdr.body["currency"] == "EUR"
        assert cdr.body["cdr_location"]["connector_standard"] == "IEC_62196_T2"
        assert cdr.body["cdr_token"]["party_id"] == PARTY

    # The same session and CDR can be pulled.
    status, headers, body = await client.request("GET", f"{env.cpo}/sessions")
    assert headers["X-Total-Count"] == "1"
    assert body["data"][0]["status"] == "COMPLETED"
    status, headers, body = await client.request("GET", f"{env.cpo}/cdrs?date_from={START}")
    assert body["data"][0]["total_cost"] == {"excl_vat": 2.75}


async def test_other_commands(env: Env) -> None:
    client = await setup(env)
    async with station(env) as cp:
        status, _, body = await client.request(
            "POST",
            f"{env.cpo}/commands/UNLOCK_CONNECTOR",
            command_body(
                env, "UNLOCK_CONNECTOR", location_id="LOC1", evse_uid="CS1", connector_id="1"
            ),
        )
        assert body["data"]["result"] == "ACCEPTED"
        result = await env.emsp.wait_for(lambda r: r.path.endswith("/UNLOCK_CONNECTOR/1"))
        assert result.body == {"result": "ACCEPTED"}
        assert cp.received == [("UnlockConnector", {"connector_id": 1})]

        cp.unlock_status = "UnlockFailed"
        body = command_body(
            env, "UNLOCK_CONNECTOR", location_id="LOC1", evse_uid="CS1", connector_id="1"
        )
        body["response_url"] += "2"
        await client.request("POST", f"{env.cpo}/commands/UNLOCK_CONNECTOR", body)
        result = await env.emsp.wait_for(lambda r: r.path.endswith("/UNLOCK_CONNECTOR/12"))
        assert result.body["result"] == "REJECTED"

        # Reservations: the eMSP's reservation id maps to ours; CANCEL_RESERVATION finds it.
        reserve = command_body(
            env,
            "RESERVE_NOW",
            token=emsp_token("RESV0001"),
            expiry_date="2099-01-01T00:00:00Z",
            reservation_id="R-17",
            location_id="LOC1",
            evse_uid="CS1",
        )
        status, _, body = await client.request("POST", f"{env.cpo}/commands/RESERVE_NOW", reserve)
        assert body["data"]["result"] == "ACCEPTED"
        result = await env.emsp.wait_for(lambda r: r.path.endswith("/RESERVE_NOW/1"))
        assert result.body == {"result": "ACCEPTED"}
        action, request = cp.received[-1]
        assert action == "ReserveNow"
        assert request["connector_id"] == 1
        assert request["id_tag"] == "RESV0001"
        (ours,) = await service_of(env.csms).list_reservations("CS1", active=True)
        assert ours.reservation_id == request["reservation_id"]
        cancel = command_body(env, "CANCEL_RESERVATION", reservation_id="R-17")
        status, _, body = await client.request(
            "POST", f"{env.cpo}/commands/CANCEL_RESERVATION", cancel
        )
        assert body["data"]["result"] == "ACCEPTED"
        result = await env.emsp.wait_for(lambda r: r.path.endswith("/CANCEL_RESERVATION/1"))
        assert result.body == {"result": "ACCEPTED"}
        assert cp.received[-1] == ("CancelReservation", {"reservation_id": ours.reservation_id})
        assert await service_of(env.csms).list_reservations("CS1", active=True) == []
        unknown = command_body(env, "CANCEL_RESERVATION", reservation_id="R-404")
        status, _, body = await client.request(
            "POST", f"{env.cpo}/commands/CANCEL_RESERVATION", unknown
        )
        assert body["data"]["result"] == "REJECTED"
        # The station's refusal keeps OCPI's name for it.
        cp.reserve_status = "Occupied"
        reserve["reservation_id"] = "R-18"
        reserve["response_url"] += "2"
        await client.request("POST", f"{env.cpo}/commands/RESERVE_NOW", reserve)
        result = await env.emsp.wait_for(lambda r: r.path.endswith("/RESERVE_NOW/12"))
        assert result.body["result"] == "EVSE_OCCUPIED"
    status, _, body = await client.request(
        "POST", f"{env.cpo}/commands/STOP_SESSION", command_body(env, "S", session_id="nope")
    )
    assert body["data"]["result"] == "UNKNOWN_SESSION"
    # The station is gone now: the command is refused at once, with the reason.
    status, _, body = await client.request(
        "POST",
        f"{env.cpo}/commands/START_SESSION",
        command_body(env, "S", token=emsp_token("AB"), location_id="LOC1", evse_uid="CS1"),
    )
    assert body["data"]["result"] == "REJECTED"
    assert "not connected" in body["data"]["message"][0]["text"]
    status, _, body = await client.request(
        "POST",
        f"{env.cpo}/commands/START_SESSION",
        command_body(env, "S", token=emsp_token("AB"), location_id="NOWHERE"),
    )
    assert (status, body["status_code"]) == (404, 2003)


async def test_station_status_is_pushed_as_evse_status(env: Env) -> None:
    client = await setup(env)
    async with station(env) as cp:
        await cp.call(
            call16.StatusNotification(connector_id=1, error_code="NoError", status="Charging")
        )
        patch = await env.emsp.wait_for(lambda r: r.method == "PATCH")
        assert patch.path == "/ocpi/emsp/2.2.1/locations/GB/TWK/LOC1/CS1"
        assert patch.body["status"] == "CHARGING"
    _, _, body = await client.request("GET", f"{env.cpo}/locations/LOC1/CS1")
    assert body["data"]["status"] == "CHARGING"


@pytest.fixture
async def realtime_env(tmp_path: Path, emsp: Emsp) -> AsyncIterator[Env]:
    config = config_from_dict(ocpi_config(tmp_path, free_port(), realtime_authorization=True))
    async with (
        Csms(config) as csms,
        aiohttp.ClientSession(base_url=f"http://127.0.0.1:{csms.ports['api']}") as api,
        aiohttp.ClientSession() as http,
    ):
        yield Env(csms, emsp, api, http)


async def test_realtime_authorisation_asks_the_emsp(realtime_env: Env) -> None:
    env = realtime_env
    await env.emsp_registers()
    answers = {
        "GOODCARD": (200, {"status_code": 1000, "timestamp": START, "data": {
            "allowed": "ALLOWED", "token": emsp_token("GOODCARD")}}),
        "BLOCKED1": (200, {"status_code": 1000, "timestamp": START, "data": {
            "allowed": "BLOCKED", "token": emsp_token("BLOCKED1")}}),
    }  # fmt: skip

    def authorize(uid: str) -> tuple[int, dict[str, Any]]:
        return answers.get(uid, (404, {"status_code": 2004, "timestamp": START}))

    env.emsp.authorize = authorize
    assert env.csms.ocpi is not None
    authoriser = env.csms.ocpi.authoriser(env.csms.services.token_auth)
    assert await authoriser.authorize_16("GOODCARD") == {"status": "Accepted"}
    asked = await env.emsp.wait_for(lambda r: "/GOODCARD/authorize" in r.path)
    assert asked.path.endswith("?type=RFID")
    assert asked.headers["OCPI-to-party-id"] == PARTY
    # The eMSP's token is kept, so the session can be pushed to its owner later.
    stored = await env.csms.store.lookup_token("GOODCARD")
    assert stored is not None
    assert (stored.country_code, stored.party_id) == (COUNTRY, PARTY)
    assert await authoriser.authorize_201({"idToken": "BLOCKED1", "type": "ISO14443"}) == {
        "status": "Blocked"
    }
    # Unknown to the eMSP too: the local answer stands.
    assert await authoriser.authorize_16("NOBODY") == {"status": "Invalid"}

    # Wired into the OCPP handlers: a real station's Authorize and StartTransaction are answered
    # with the eMSP's verdict.
    answers["EMSPONLY"] = (200, {"status_code": 1000, "timestamp": START, "data": {
        "allowed": "ALLOWED", "token": emsp_token("EMSPONLY")}})  # fmt: skip
    async with station(env, "CSRT") as cp:
        reply = await cp.call(call16.Authorize(id_tag="EMSPONLY"))
        assert reply.id_tag_info["status"] == "Accepted"
        reply = await cp.call(call16.Authorize(id_tag="BLOCKED1"))
        assert reply.id_tag_info["status"] == "Blocked"
        reply = await cp.call(call16.Authorize(id_tag="NOBODY"))
        assert reply.id_tag_info["status"] == "Invalid"


async def test_realtime_authorisation_is_off_by_default(env: Env) -> None:
    assert env.csms.ocpi is not None
    local = env.csms.services.token_auth
    assert env.csms.ocpi.authoriser(local) is local
