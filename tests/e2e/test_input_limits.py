"""Values a schema allows but the CSMS cannot hold get the precise CALLERROR, never an
InternalError that a retrying station would hit for ever (raw frames: a real station library
would not send them)."""

from __future__ import annotations

import asyncio

import orjson
import pytest
import websockets
from websockets.typing import Subprotocol

from core.runtime import Csms
from tests.e2e.conftest import basic_header, register

pytestmark = pytest.mark.e2e


async def _answers(csms: Csms, proto: str, frames: list[str]) -> list[list[object]]:
    station = "LIM" + proto[-1]
    await register(csms, station)
    async with websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/{station}",
        subprotocols=[Subprotocol(proto)],
        additional_headers={"Authorization": basic_header(station)},
    ) as ws:
        replies = []
        for frame in frames:
            await ws.send(frame)
            replies.append(orjson.loads(await asyncio.wait_for(ws.recv(), 5)))
        return replies


def _status201(timestamp: str = "2025-01-01T00:00:00Z", evse: int = 1) -> str:
    payload = {
        "timestamp": timestamp,
        "connectorStatus": "Available",
        "evseId": evse,
        "connectorId": 1,
    }
    return orjson.dumps([2, f"s{evse}{timestamp[:4]}", "StatusNotification", payload]).decode()


async def test_ocpp201_bounds(csms: Csms) -> None:
    nested: object = "leaf"
    for _ in range(40):
        nested = [nested]
    deep = orjson.dumps([2, "deep", "DataTransfer", {"vendorId": "x", "data": nested}]).decode()
    replies = await _answers(
        csms,
        "ocpp2.0.1",
        [
            _status201(evse=2**63),
            _status201(evse=2**31),
            _status201(evse=2**31 - 1),
            _status201(timestamp="0001-01-01T00:00:00+14:00"),
            _status201(timestamp="2025-02-30T00:00:00Z"),
            deep,
            '[2,"hb","Heartbeat",{}]',
        ],
    )
    codes = [r[2] if r[0] == 4 else "ok" for r in replies]
    assert codes == [
        "PropertyConstraintViolation",  # beyond 64 bits
        "PropertyConstraintViolation",  # beyond the 32 bits of 2.0.1's integer
        "ok",
        "PropertyConstraintViolation",  # well-formed, but before year 1 in UTC
        "PropertyConstraintViolation",
        "FormatViolation",  # nested deeper than the gateway takes
        "ok",
    ]
    assert "greater than the maximum" in str(replies[0][3])


async def test_ocpp16_bounds(csms: Csms) -> None:
    def start(meter: int) -> str:
        payload = {
            "connectorId": 1,
            "idTag": "TAG",
            "meterStart": meter,
            "timestamp": "2025-01-01T00:00:00Z",
        }
        return orjson.dumps([2, f"st{meter}", "StartTransaction", payload]).decode()

    status = orjson.dumps(
        [
            2,
            "late",
            "StatusNotification",
            {
                "connectorId": 1,
                "errorCode": "NoError",
                "status": "Available",
                "timestamp": "9999-12-31T23:59:59-14:00",
            },
        ]
    ).decode()
    replies = await _answers(csms, "ocpp1.6", [start(2**63), start(3_000_000_000), status])
    assert replies[0][0] == 4
    assert replies[0][2] == "PropertyConstraintViolation"
    assert replies[1][0] == 3  # a lifetime register beyond 2**31 Wh is a real meter
    assert replies[2][0] == 4
    assert replies[2][2] == "PropertyConstraintViolation"
