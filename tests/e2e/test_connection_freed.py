"""A station's connection, once it has gone, is freed by reference counting alone: no reference
cycle keeps it for the garbage collector. The daemon's collector policy (core/collector.py)
freezes whatever survives a full collection, and a frozen cycle is only freed at the next rescan;
that is cheap because connections that go away leave no cycles behind, which this holds."""

from __future__ import annotations

import gc
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import WSCloseCode

from core.config import config_from_dict
from core.gateway.pipe import Pipe
from core.gateway.server import _MAX_BAD_FRAMES, Connection
from core.runtime import Csms
from tests.e2e.conftest import basic_header, eventually, register

pytestmark = pytest.mark.e2e

BOOT = '[2,"b1","BootNotification",{"chargePointVendor":"Acme","chargePointModel":"A"}]'
HEARTBEAT = '[2,"h1","Heartbeat",{}]'


@pytest.fixture
async def csms(tmp_path: Path) -> AsyncIterator[Csms]:
    config = config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {"ws_addr": "127.0.0.1:0"},
            "api": {"enabled": False},
            "observability": {"log_file": ""},
        }
    )
    async with Csms(config) as running:
        await register(running, "GONE")
        yield running


@pytest.mark.parametrize(
    "goodbye", ["station closes", "station vanishes", "gateway closes on malformed frames"]
)
async def test_a_connection_that_has_gone_leaves_no_cycle(csms: Csms, goodbye: str) -> None:
    gc.collect()
    gc.disable()  # whatever is freed now is freed by reference counting
    try:
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(
                f"ws://127.0.0.1:{csms.ports['ws']}/ws/GONE",
                protocols=("ocpp1.6",),
                headers={"Authorization": basic_header("GONE")},
            )
            for frame in (BOOT, HEARTBEAT):
                await ws.send_str(frame)
                answer = await ws.receive(timeout=5)
                assert answer.type is aiohttp.WSMsgType.TEXT, answer
            gateway = csms.gateway
            assert gateway is not None
            websocket = weakref.ref(gateway.connections["GONE"].ws)
            if goodbye == "station closes":
                await ws.close()
            elif goodbye == "station vanishes":  # the TCP connection drops without a close frame
                assert ws._response is not None
                ws._response.connection.transport.abort()  # type: ignore[union-attr]
            else:
                for _ in range(_MAX_BAD_FRAMES):
                    await ws.send_str("not json")
                while not ws.closed:
                    await ws.receive(timeout=5)
                assert ws.close_code == WSCloseCode.PROTOCOL_ERROR

            async def released() -> bool:
                return websocket() is None

            # The station's handler returns and its request ends at once; with the collector
            # off, only a reference cycle could hold them longer.
            try:
                await eventually(released, timeout=5)
            except TimeoutError:
                pytest.fail(f"the station's websocket is still held after {goodbye}")
        alive = [
            type(o).__name__
            for o in gc.get_objects()
            if isinstance(o, Connection | Pipe) and o.station_id == "GONE"
        ]
        assert alive == [], f"held by a reference cycle after {goodbye}: {alive}"
        assert "GONE" not in gateway.connections
    finally:
        gc.enable()
