"""Per-station leniency end to end: real websocket stations against the embedded core. Each
leniency, granted, lets the violation through and counts it (seen through the API); not
granted, the station is refused as the spec says."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from core.commands.authorization import ClearCache
from core.config import config_from_dict
from core.ocpp.errors import ErrorKind, error_code
from core.ocpp.types import OcppVersion
from core.runtime import Csms
from tests.e2e.conftest import basic_header, register

LENIENT, STRICT, SLOPPY_MODEL = "LEN-1", "STRICT-1", "MODEL-1"
FORMAT_16 = error_code(ErrorKind.FORMAT_VIOLATION, OcppVersion.V16)
PROPERTY_16 = error_code(ErrorKind.PROPERTY_CONSTRAINT_VIOLATION, OcppVersion.V16)
_ids = itertools.count(1)


@pytest.fixture
async def csms(tmp_path: Path) -> AsyncIterator[Csms]:
    config = config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {"ws_addr": "127.0.0.1:0", "status_addr": "", "call_timeout": "5s"},
            "api": {"addr": "127.0.0.1:0"},
            "observability": {"log_file": ""},
            "leniency": {
                "stations": {
                    LENIENT: {
                        "grant": ["enum-case", "extra-properties", "timestamp-without-offset"],
                        "no_subprotocol": "ocpp1.6",
                    }
                },
                "models": [{"vendor": "ACME", "model": "Sloppy", "grant": ["enum-case"]}],
            },
        }
    )
    async with Csms(config) as running:
        for station in (LENIENT, STRICT, SLOPPY_MODEL):
            await register(running, station)
        yield running


class Station:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def call(self, action: str, payload: dict[str, Any]) -> list[Any]:
        message_id = f"m{next(_ids)}"
        await self.ws.send_str(orjson.dumps([2, message_id, action, payload]).decode())
        async with asyncio.timeout(5):
            while True:
                frame = orjson.loads(await self.ws.receive_str())
                if frame[0] in (3, 4) and frame[1] == message_id:
                    return list(frame)

    async def answer_next(self, payload: dict[str, Any]) -> str:
        """Answer the next CALL from the CSMS with ``payload``; its action."""
        async with asyncio.timeout(5):
            while True:
                frame = orjson.loads(await self.ws.receive_str())
                if frame[0] == 2:
                    await self.ws.send_str(orjson.dumps([3, frame[1], payload]).decode())
                    return str(frame[2])


@contextlib.asynccontextmanager
async def station(
    csms: Csms, station_id: str, protocols: tuple[str, ...] = ("ocpp1.6",)
) -> AsyncIterator[Station]:
    url = f"ws://127.0.0.1:{csms.ports['ws']}/ws/{station_id}"
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(
            url, protocols=protocols, headers={"Authorization": basic_header(station_id)}
        ) as ws,
    ):
        yield Station(ws)


async def leniency(csms: Csms, station_id: str) -> dict[str, Any]:
    url = f"http://127.0.0.1:{csms.ports['api']}/api/v0/cs/{station_id}/leniency"
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 200
        body: dict[str, Any] = await resp.json()
        return body


async def put_leniency(csms: Csms, station_id: str, body: dict[str, Any]) -> tuple[int, Any]:
    url = f"http://127.0.0.1:{csms.ports['api']}/api/v0/cs/{station_id}/leniency"
    async with aiohttp.ClientSession() as http, http.put(url, json=body) as resp:
        return resp.status, await resp.json()


def counts(view: dict[str, Any]) -> dict[str, int]:
    return {c["name"]: c["count"] for c in view["counts"]}


BOOT = {"chargePointVendor": "Other", "chargePointModel": "Strict"}


def status(value: str, timestamp: str = "2025-05-01T10:00:00Z") -> dict[str, Any]:
    return {"connectorId": 1, "errorCode": "NoError", "status": value, "timestamp": timestamp}


async def test_enum_case_granted_is_read_in_the_schema_spelling_and_counted(csms: Csms) -> None:
    async with station(csms, LENIENT) as cs:
        assert (await cs.call("BootNotification", BOOT))[0] == 3
        assert (await cs.call("StatusNotification", status("charging")))[0] == 3
    connectors = await csms.store.list_connector_statuses(LENIENT)
    assert [c.status for c in connectors] == ["Charging"]
    view = await leniency(csms, LENIENT)
    assert counts(view) == {"enum-case": 1}
    assert "/status" in view["counts"][0]["lastDetail"]
    assert "'charging' read as 'Charging'" in view["counts"][0]["lastDetail"]


async def test_enum_case_not_granted_is_a_property_constraint_violation(csms: Csms) -> None:
    async with station(csms, STRICT) as cs:
        assert (await cs.call("BootNotification", BOOT))[0] == 3
        reply = await cs.call("StatusNotification", status("charging"))
    assert reply[0] == 4
    assert reply[2] == PROPERTY_16
    assert await csms.store.list_connector_statuses(STRICT) == []
    assert counts(await leniency(csms, STRICT)) == {}


async def test_extra_properties(csms: Csms) -> None:
    async with station(csms, LENIENT) as cs:
        assert (await cs.call("Heartbeat", {"vendorUptime": 7}))[0] == 3
    async with station(csms, STRICT) as cs:
        reply = await cs.call("Heartbeat", {"vendorUptime": 7})
    assert reply[0] == 4
    assert reply[2] == FORMAT_16
    assert counts(await leniency(csms, LENIENT)) == {"extra-properties": 1}
    assert counts(await leniency(csms, STRICT)) == {}


async def test_timestamp_without_offset(csms: Csms) -> None:
    async with station(csms, LENIENT) as cs:
        assert (await cs.call("BootNotification", BOOT))[0] == 3
        reply = await cs.call("StatusNotification", status("Available", "2025-05-01T10:00:00"))
        assert reply[0] == 3
    [connector] = await csms.store.list_connector_statuses(LENIENT)
    assert connector.updated_at is not None
    assert connector.updated_at.utcoffset() is not None
    assert connector.updated_at.isoformat().startswith("2025-05-01T10:00:00")
    async with station(csms, STRICT) as cs:
        assert (await cs.call("BootNotification", BOOT))[0] == 3
        reply = await cs.call("StatusNotification", status("Available", "2025-05-01T10:00:00"))
    assert reply[0] == 4
    assert reply[2] == PROPERTY_16
    assert counts(await leniency(csms, LENIENT)) == {"timestamp-without-offset": 1}


async def test_no_subprotocol(csms: Csms) -> None:
    async with station(csms, LENIENT, protocols=()) as cs:
        assert (await cs.call("Heartbeat", {}))[0] == 3  # spoken as 1.6
    view = await leniency(csms, LENIENT)
    assert counts(view) == {"no-subprotocol": 1}
    assert view["noSubprotocol"] == "ocpp1.6"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        async with station(csms, STRICT, protocols=()):
            pass
    assert refused.value.status == 400
    assert counts(await leniency(csms, STRICT)) == {}


async def test_a_model_grant_applies_once_the_station_has_named_its_model(csms: Csms) -> None:
    async with station(csms, SLOPPY_MODEL) as cs:
        reply = await cs.call("StatusNotification", status("available"))
        assert reply[0] == 4
        assert reply[2] == PROPERTY_16
        boot = {"chargePointVendor": "ACME", "chargePointModel": "Sloppy"}
        assert (await cs.call("BootNotification", boot))[0] == 3
        assert (await cs.call("StatusNotification", status("available")))[0] == 3
        # The model is granted enum-case only.
        reply = await cs.call("Heartbeat", {"vendorUptime": 7})
        assert reply[0] == 4
        assert reply[2] == FORMAT_16
    view = await leniency(csms, SLOPPY_MODEL)
    assert counts(view) == {"enum-case": 1}
    assert view["fromConfig"] == ["enum-case"]
    assert view["stored"] == []


async def test_a_station_answer_is_repaired_under_the_grant(csms: Csms) -> None:
    assert csms.service is not None
    async with station(csms, LENIENT) as cs:
        assert (await cs.call("BootNotification", BOOT))[0] == 3
        sent = asyncio.create_task(csms.service.execute(LENIENT, ClearCache(), wait=5))
        assert await cs.answer_next({"status": "accepted"}) == "ClearCache"
        call = await sent
    assert call.state == "answered"
    assert call.response == {"status": "Accepted"}
    async with station(csms, STRICT) as cs:
        assert (await cs.call("BootNotification", BOOT))[0] == 3
        sent = asyncio.create_task(csms.service.execute(STRICT, ClearCache(), wait=5))
        await cs.answer_next({"status": "accepted"})
        call = await sent
    assert call.state == "error"
    assert "status" in call.error_description
    assert counts(await leniency(csms, LENIENT)) == {"enum-case": 1}


async def test_grants_made_through_the_api_apply_at_once_and_are_revoked(csms: Csms) -> None:
    status_code, body = await put_leniency(csms, STRICT, {"grant": ["extra-properties"]})
    assert status_code == 200, body
    assert body["stored"] == ["extra-properties"]
    assert body["fromConfig"] == []
    async with station(csms, STRICT) as cs:
        assert (await cs.call("Heartbeat", {"vendorUptime": 7}))[0] == 3
        assert (await put_leniency(csms, STRICT, {"grant": []}))[0] == 200
        reply = await cs.call("Heartbeat", {"vendorUptime": 7})
        assert reply[0] == 4
        assert reply[2] == FORMAT_16
    assert counts(await leniency(csms, STRICT)) == {"extra-properties": 1}
    # No-subprotocol through the API, and names it does not know refused.
    assert (await put_leniency(csms, STRICT, {"grant": [], "noSubprotocol": "ocpp1.6"}))[0] == 200
    async with station(csms, STRICT, protocols=()) as cs:
        assert (await cs.call("Heartbeat", {}))[0] == 3
    bad, _ = await put_leniency(csms, STRICT, {"grant": ["case-insensitive-everything"]})
    assert bad == 400
    assert (await put_leniency(csms, "NOPE-1", {"grant": []}))[0] == 404


async def test_a_grant_made_through_one_process_reaches_another(csms: Csms) -> None:
    """A second core over the same database, as a second manager of a scale-out (or this one
    after a restart) has: the grant is the store's, not the memory of the process it was made
    in, and so are the counts."""
    async with Csms(csms.config) as other:
        assert (await put_leniency(csms, STRICT, {"grant": ["enum-case"]}))[0] == 200
        async with station(other, STRICT) as cs:
            assert (await cs.call("BootNotification", BOOT))[0] == 3
            assert (await cs.call("StatusNotification", status("charging")))[0] == 3
        assert counts(await leniency(csms, STRICT)) == {"enum-case": 1}
