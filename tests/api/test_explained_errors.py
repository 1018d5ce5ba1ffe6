"""Explained errors end to end: real `ocpp` package stations break the schema, the framing and
the answer rules; the CALLERROR's errorDetails and the admin API's message log, call records and
station detail say where, which rule and whose it is."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
import websockets
from ocpp.exceptions import (
    NotSupportedError,
    OccurenceConstraintViolationError,
    OccurrenceConstraintViolationError,
    OCPPError,
    PropertyConstraintViolationError,
    TypeConstraintViolationError,
)
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as call201
from websockets.typing import Subprotocol

from core.runtime import Csms
from tests.api.test_api_with_stations import call, register, until_connected

pytestmark = pytest.mark.e2e

V0 = "/api/v0"


class Station16(Cp16):
    @on("Reset", skip_schema_validation=True)
    async def on_reset(self, **_: Any) -> result16.Reset:
        return result16.Reset(status="Maybe")  # not in the schema's enum


class Station201(Cp201):
    @on("Reset")
    async def on_reset(self, **_: Any) -> Any:
        raise NotSupportedError("no resets here", details={"firmware": "1.0 has no Reset"})


@asynccontextmanager
async def station(
    csms: Csms, station_id: str, password: str, cls: type[Any], subprotocol: str
) -> AsyncIterator[tuple[Any, Any]]:
    """The station and its websocket, for the frames no well-behaved library would send."""
    auth = "Basic " + base64.b64encode(f"{station_id}:{password}".encode()).decode()
    async with websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/{station_id}",
        subprotocols=[Subprotocol(subprotocol)],
        additional_headers={"Authorization": auth},
    ) as ws:
        cp = cls(station_id, ws)
        task = asyncio.create_task(cp.start())
        try:
            yield cp, ws
        finally:
            task.cancel()


async def _refused(cp: Any, payload: Any, error: type[OCPPError]) -> dict[str, Any]:
    """Send ``payload`` unchecked; the CALLERROR's errorDetails."""
    with pytest.raises(error) as caught:
        await cp.call(payload, suppress=False, skip_schema_validation=True)
    return caught.value.details


async def _errors(http: aiohttp.ClientSession, station_id: str, count: int) -> list[Any]:
    """The station's CALLERRORs from the log (written in batches), oldest first."""
    async with asyncio.timeout(5):
        while True:
            status, rows = await call(
                http, "GET", f"{V0}/messages?station={station_id}&errors=true"
            )
            assert status == 200
            if len(rows) >= count:
                return list(reversed(rows))
            await asyncio.sleep(0.02)


async def test_ocpp16_errors_are_explained_on_the_wire_and_in_the_api(
    csms: Csms, http: aiohttp.ClientSession
) -> None:
    password = await register(http, "EX16")
    async with station(csms, "EX16", password, Station16, "ocpp1.6") as (cp, ws):
        await cp.call(call16.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        await until_connected(http, "EX16")

        too_long = await _refused(
            cp, call16.Authorize(id_tag="X" * 30), PropertyConstraintViolationError
        )
        assert too_long == {
            "pointer": "/idTag",
            "keyword": "maxLength",
            "expected": "at most 20 characters",
            "got": '30 characters: "' + "X" * 30 + '"',
        }
        missing = await _refused(
            cp, call16.Authorize(id_tag=None), OccurenceConstraintViolationError
        )
        assert missing == {
            "pointer": "/idTag",
            "keyword": "required",
            "expected": "present",
            "got": "absent",
        }
        wrong_type = await _refused(cp, call16.Authorize(id_tag=7), TypeConstraintViolationError)
        assert (wrong_type["pointer"], wrong_type["got"]) == ("/idTag", "7 (integer)")
        # What no library sends: an action the CSMS does not know, a CALL missing its payload.
        await ws.send('[2,"unknown-1","FooBar",{}]')
        await ws.send('[2,"short-1","Heartbeat"]')

        status, reset = await call(http, "POST", f"{V0}/cs/EX16/reset?wait=5", {"type": "Soft"})
        assert status == 200
        assert reset["state"] == "error"

    rows = await _errors(http, "EX16", 5)
    by_id = {row["messageId"]: row for row in rows}
    assert len(rows) == 5
    for row in rows:
        assert row["explanation"]["version"] == "1.6"
        assert row["explanation"]["reference"].startswith("OCPP-J 1.6 §4.2.3")
    authorize = [row for row in rows if row["action"] == "Authorize"]
    first = authorize[0]["explanation"]
    assert first["code"] == "PropertyConstraintViolation"
    assert (first["wrongSide"], first["fault"]) == ("station", "message")
    assert (first["pointer"], first["keyword"], first["expected"]) == (
        "/idTag",
        "maxLength",
        "at most 20 characters",
    )
    assert first["requirement"] == "ocpp16/Authorize.json: maxLength at /idTag"
    assert authorize[1]["explanation"]["code"] == "OccurenceConstraintViolation"
    assert authorize[1]["explanation"]["keyword"] == "required"
    assert authorize[2]["explanation"]["keyword"] == "type"

    unknown = by_id["unknown-1"]["explanation"]
    assert (unknown["code"], unknown["wrongSide"], unknown["fault"]) == (
        "NotImplemented",
        "csms",
        "receiver",
    )
    short = by_id["short-1"]["explanation"]
    assert short["code"] == "FormationViolation"  # the frozen 1.6 spelling
    assert "structure" in short["meaning"]
    assert short["wrongSide"] == "station"

    # The station's invalid answer to the CSMS's Reset: on its call record and beside its frame.
    status, record = await call(http, "GET", f"{V0}/calls/{reset['callId']}")
    assert status == 200
    assert record["explanation"]["pointer"] == "/status"
    assert record["explanation"]["keyword"] == "enum"
    assert record["explanation"]["got"] == '"Maybe"'
    assert record["explanation"]["wrongSide"] == "station"
    assert record["explanation"]["requirement"] == "ocpp16/ResetResponse.json: enum at /status"
    status, answers = await call(http, "GET", f"{V0}/messages?station=EX16&action=Reset")
    answer = next(m for m in answers if m["direction"] == "in")
    assert answer["explanation"]["pointer"] == "/status"

    # The station detail's recent messages carry them too.
    status, detail = await call(http, "GET", f"{V0}/cs/EX16")
    explained = [m for m in detail["recentMessages"] if m["explanation"]]
    assert {m["messageId"] for m in explained} >= {"unknown-1", "short-1"}


async def test_ocpp201_station_errors_and_claims(csms: Csms, http: aiohttp.ClientSession) -> None:
    password = await register(http, "EX201")
    async with station(csms, "EX201", password, Station201, "ocpp2.0.1") as (cp, ws):
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
            )
        )
        await until_connected(http, "EX201")
        missing = await _refused(
            cp,
            call201.Authorize(id_token={"id_token": "TOK"}),
            OccurrenceConstraintViolationError,
        )
        assert (missing["pointer"], missing["keyword"]) == ("/idToken/type", "required")
        await ws.send('[7,"seven-1","Heartbeat",{}]')
        status, reset = await call(
            http, "POST", f"{V0}/cs/EX201/reset?wait=5", {"type": "Immediate"}
        )
        assert status == 200

    # The station's CALLERROR: its own limit, not a wrong call of the CSMS.
    assert reset["explanation"]["code"] == "NotSupported"
    assert (reset["explanation"]["wrongSide"], reset["explanation"]["fault"]) == (
        "station",
        "receiver",
    )
    assert reset["explanation"]["reference"].startswith("OCPP-J 2.0.1 §4.3")

    rows = await _errors(http, "EX201", 3)
    by_id = {row["messageId"]: row["explanation"] for row in rows}
    assert by_id["seven-1"]["code"] == "MessageTypeNotSupported"
    assert by_id["seven-1"]["wrongSide"] == "station"
    inbound = next(row for row in rows if row["direction"] == "in")
    assert inbound["explanation"]["code"] == "NotSupported"
    # A CALLERROR's errorDetails are its logged payload, the station's own words included.
    assert inbound["payload"] == {"firmware": "1.0 has no Reset"}
    authorize_row = next(row for row in rows if row["action"] == "Authorize")
    assert authorize_row["payload"] == missing
    authorize = authorize_row["explanation"]
    assert authorize["code"] == "OccurrenceConstraintViolation"
    assert authorize["pointer"] == "/idToken/type"
    assert authorize["requirement"] == "ocpp201/AuthorizeRequest.json: required at /idToken/type"
