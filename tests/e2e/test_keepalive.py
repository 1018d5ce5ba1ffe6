"""The gateway's keepalive against real websocket clients: a station that stops answering is
disconnected with the reason, one that answers its pings (or keeps talking) stays, and a
station's own pings are answered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from core.config import config_from_dict
from core.events import StationDisconnected
from core.runtime import Csms
from tests.e2e.conftest import basic_header, register

pytestmark = pytest.mark.e2e

INTERVAL = 0.4  # gateway.ping_interval; the answer is due within half of it


@pytest.fixture
async def csms(tmp_path: Path) -> AsyncIterator[Csms]:
    config = config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {"ws_addr": "127.0.0.1:0", "ping_interval": INTERVAL},
            "api": {"enabled": False},
            "observability": {"log_file": ""},
        }
    )
    async with Csms(config) as running:
        for station_id in ("QUIET", "DEAD", "TALKS"):
            await register(running, station_id)
        yield running


def _connect(http: aiohttp.ClientSession, csms: Csms, station_id: str) -> Any:
    return http.ws_connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/{station_id}",
        protocols=("ocpp1.6",),
        headers={"Authorization": basic_header(station_id)},
        autoping=False,  # the test answers (or ignores) the gateway's pings itself
    )


async def test_a_silent_station_that_answers_its_pings_stays_connected(csms: Csms) -> None:
    async with aiohttp.ClientSession() as http, _connect(http, csms, "QUIET") as ws:
        pings = 0
        loop = asyncio.get_running_loop()
        until = loop.time() + 5 * INTERVAL
        while (left := until - loop.time()) > 0:
            try:
                msg = await ws.receive(timeout=left)
            except TimeoutError:
                break
            assert msg.type is aiohttp.WSMsgType.PING, msg
            pings += 1
            await ws.pong(msg.data)
        assert pings >= 2  # pinged again and again while it said nothing else
        assert not ws.closed
        assert csms.gateway is not None
        assert csms.gateway.is_connected("QUIET")


async def test_a_station_that_leaves_a_ping_unanswered_is_disconnected(csms: Csms) -> None:
    events = csms.events.subscribe(kinds=[StationDisconnected])
    async with aiohttp.ClientSession() as http, _connect(http, csms, "DEAD") as ws:
        msg = await ws.receive(timeout=5)
        assert msg.type is aiohttp.WSMsgType.PING  # and no pong: a station whose network went
        msg = await ws.receive(timeout=5)
        assert msg.type is aiohttp.WSMsgType.CLOSE
        assert msg.data == aiohttp.WSCloseCode.GOING_AWAY
        assert "no answer to a ping" in msg.extra
        await ws.close()
    gone = await asyncio.wait_for(events.get(), timeout=5)
    assert isinstance(gone, StationDisconnected)
    assert gone.station_id == "DEAD"
    assert gone.reason == f"no answer to a ping within {INTERVAL / 2:g} s"
    assert csms.gateway is not None
    assert not csms.gateway.is_connected("DEAD")


async def test_frames_count_as_answers_and_the_stations_own_pings_are_answered(
    csms: Csms,
) -> None:
    async with aiohttp.ClientSession() as http, _connect(http, csms, "TALKS") as ws:
        loop = asyncio.get_running_loop()
        until = loop.time() + 5 * INTERVAL
        pongs = 0
        while loop.time() < until:
            # Never answers a ping with a pong, but sends a frame of its own more often than
            # the interval: that is answer enough (a ping of the gateway's, should a slow
            # machine delay this loop past the interval, is left unanswered on purpose).
            await ws.ping(b"station")
            msg = await ws.receive(timeout=5)
            while msg.type is aiohttp.WSMsgType.PING:
                msg = await ws.receive(timeout=5)
            assert msg.type is aiohttp.WSMsgType.PONG, msg
            assert msg.data == b"station"
            pongs += 1
            await asyncio.sleep(INTERVAL / 4)
        assert pongs >= 5
        assert not ws.closed
        assert csms.gateway is not None
        assert csms.gateway.is_connected("TALKS")
