"""The simulator's stations as a load generator (csms_tui.simulate.load, the benchmarks' stations)
and the link's call chains and timeouts under them, against small websocket servers in-process:
an echo server, and a CSMS stand-in that answers, refuses, stays silent or calls the station."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal

import aiohttp
import orjson
import pytest
from aiohttp import WSMsgType, web

from core.ocpp.types import Message, MessageType, OcppVersion
from csms_tui.simulate.link import Call, CallHandler, CallTimeout, Credentials, Link, Offline
from csms_tui.simulate.load import (
    Counters,
    LoadStation,
    call_as_answered,
    close_all,
    connect_fleet,
    repeat,
)
from csms_tui.simulate.model import Profile

# What the stand-in does with each frame a station sends.
Behaviour = Callable[[web.WebSocketResponse, list[Any]], Awaitable[None]]


@asynccontextmanager
async def server(behaviour: Behaviour, seen: list[list[Any]]) -> AsyncIterator[str]:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("ocpp1.6", "ocpp2.0.1"))
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                frame = orjson.loads(msg.data)
                seen.append(frame)
                await behaviour(ws, frame)
        return ws

    app = web.Application()
    app.router.add_get("/ws/{id}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"ws://127.0.0.1:{runner.addresses[0][1]}/ws/"
    finally:
        await runner.cleanup()


async def echo(ws: web.WebSocketResponse, frame: list[Any]) -> None:
    await ws.send_str(orjson.dumps(frame).decode())


async def csms(ws: web.WebSocketResponse, frame: list[Any]) -> None:
    """Accepts a boot, refuses an Authorize with a CALLERROR, never answers DataTransfer, calls
    the station (CostUpdated, then an action no station implements) before answering a
    TransactionEvent, and answers anything else with {}."""
    if frame[0] != 2:
        return
    action = frame[2]
    if action == "BootNotification":
        reply = {"status": "Accepted", "currentTime": "2024-01-01T00:00:00Z", "interval": 300}
        await ws.send_str(orjson.dumps([3, frame[1], reply]).decode())
    elif action == "Authorize":
        await ws.send_str(orjson.dumps([4, frame[1], "SecurityError", "no", {}]).decode())
    elif action == "DataTransfer":
        return
    elif action == "TransactionEvent":
        await ws.send_str(orjson.dumps([2, "c1", "CostUpdated", {"totalCost": 1.5}]).decode())
        await ws.send_str(orjson.dumps([2, "c2", "NoSuchAction", {}]).decode())
        await ws.send_str(orjson.dumps([3, frame[1], {}]).decode())
    else:
        await ws.send_str(orjson.dumps([3, frame[1], {}]).decode())


def profile(ocpp: Literal["1.6", "2.0.1"] = "1.6") -> Profile:
    return Profile(ocpp=ocpp, security_profile=-1)


async def test_a_chain_sends_each_call_as_the_previous_is_answered_and_stops_when_told() -> None:
    seen: list[list[Any]] = []
    async with server(csms, seen) as url, aiohttp.ClientSession() as http:
        link = _link(http, url)
        await link.open()
        answers: list[dict[str, Any]] = []

        def then(answer: dict[str, Any]) -> Call | None:
            answers.append(answer)
            return ("Heartbeat", {"n": len(answers)}) if len(answers) < 3 else None

        last = await link.call_chain(("Heartbeat", {"n": 0}), then)
        await link.close()
    assert [f[3] for f in seen] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert [f[1] for f in seen] == ["1", "2", "3"]  # one id per call
    assert answers == [{}, {}, {}]  # each CALLRESULT's payload
    assert (last.type, last.id, last.response) == (MessageType.CALL_RESULT, "3", {})


async def test_a_callerror_ends_a_chain_and_a_silent_csms_times_the_call_out() -> None:
    seen: list[list[Any]] = []
    async with server(csms, seen) as url, aiohttp.ClientSession() as http:
        link = _link(http, url, call_timeout=0.3)
        await link.open()
        last = await link.call_chain(("Heartbeat", {}), lambda _a: ("Authorize", {}))
        assert (last.type, last.error_code) == (MessageType.CALL_ERROR, "SecurityError")
        # The link's one timer was armed by the first call, long answered: a later call still
        # gets its own full timeout, then fails.
        await asyncio.sleep(0.2)
        loop = asyncio.get_running_loop()
        began = loop.time()
        with pytest.raises(CallTimeout, match="DataTransfer unanswered"):
            await link.call("DataTransfer", {"vendorId": "x"})
        assert loop.time() - began >= 0.29
        # The link still works after a timeout.
        assert (await link.call("Heartbeat", {})).type is MessageType.CALL_RESULT
        await link.close()
    with pytest.raises(Offline):
        await link.call("Heartbeat", {})


async def test_what_a_chain_raises_reaches_its_caller_and_the_link_goes_on() -> None:
    async with server(csms, []) as url, aiohttp.ClientSession() as http:
        link = _link(http, url)
        await link.open()

        def then(_answer: dict[str, Any]) -> Call | None:
            raise ValueError("the chain's own fault")

        with pytest.raises(ValueError, match="the chain's own fault"):
            await link.call_chain(("Heartbeat", {}), then)
        assert (await link.call("Heartbeat", {})).type is MessageType.CALL_RESULT
        await link.close()


async def test_an_echoed_call_is_an_answer_only_on_a_loopback_link() -> None:
    seen: list[list[Any]] = []
    async with server(echo, seen) as url, aiohttp.ClientSession() as http:
        looped = _link(http, url, loopback=True)
        await looped.open()
        answer = await looped.call("Heartbeat", {"x": 1})
        assert (answer.type, answer.id, answer.request) == (MessageType.CALL, "1", {"x": 1})
        await looped.close()
        # To a CSMS link the same frame is the CSMS's own call (ids are per direction).
        calls: list[Message] = []

        async def on_call(_link: Link, call: Message) -> None:
            calls.append(call)

        plain = _link(http, url, call_timeout=0.3, on_call=on_call)
        await plain.open()
        with pytest.raises(CallTimeout):
            await plain.call("Heartbeat", {})
        await plain.close()
    assert [(c.action, c.id) for c in calls] == [("Heartbeat", "1")]


async def test_a_fleet_boots_calls_as_answered_and_answers_the_csms_calls() -> None:
    seen: list[list[Any]] = []
    async with server(csms, seen) as url, aiohttp.ClientSession() as http:
        counters = Counters()
        fleet = await connect_fleet(http, url, ["L1", "L2", "L3"], profile("2.0.1"), counters)
        assert [s.station_id for s in fleet] == ["L1", "L2", "L3"]
        boots = [f for f in seen if f[0] == 2 and f[2] == "BootNotification"]
        assert len(boots) == 3
        assert boots[0][3]["reason"] == "PowerUp"
        now = time.monotonic()
        load = await call_as_answered(fleet, repeat("TransactionEvent", {"x": 1}), now, now + 0.5)
        assert time.monotonic() - now < 5
        await close_all(fleet)
    events = [f for f in seen if f[0] == 2 and f[2] == "TransactionEvent"]
    assert 0 < load.answered <= len(events)
    assert 0 < load.counted <= load.answered
    assert len(load.rtts) == load.counted
    assert load.errors == []
    # Every CostUpdated answered with the 2.0.1 station's empty answer, the unknown action with
    # NotImplemented; both counted.
    results = {f[1]: f for f in seen if f[0] in (3, 4)}
    assert results["c1"] == [3, "c1", {}]
    assert results["c2"][:3] == [4, "c2", "NotImplemented"]
    assert counters.csms_calls >= 2 * load.answered


async def test_a_refusing_station_stops_and_says_why() -> None:
    seen: list[list[Any]] = []
    async with server(csms, seen) as url, aiohttp.ClientSession() as http:
        fleet = await connect_fleet(http, url, ["R1"], profile())
        now = time.monotonic()
        load = await call_as_answered(fleet, repeat("Authorize", {"idTag": "X"}), now, now + 5)
        await close_all(fleet)
    assert (load.answered, load.counted) == (0, 0)
    assert load.errors == ["R1: CallRefused: SecurityError no"]


async def test_connection_failures_are_counted_refused_or_failed() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    counters = Counters()
    async with aiohttp.ClientSession() as http:
        station = LoadStation(http, "X1", f"ws://127.0.0.1:{port}/ws/X1", profile(), counters)
        assert not await station.connect(attempts=2, retry_delay=0.01)
    assert (counters.refused, counters.failed) == (2, 0)

    async def refuse_boot(ws: web.WebSocketResponse, frame: list[Any]) -> None:
        reply = {"status": "Rejected", "currentTime": "2024-01-01T00:00:00Z", "interval": 1}
        await ws.send_str(orjson.dumps([3, frame[1], reply]).decode())

    async with server(refuse_boot, []) as url, aiohttp.ClientSession() as http:
        counters = Counters()
        fleet = await connect_fleet(
            http, url, ["B1"], profile(), counters, attempts=2, retry_delay=0.01
        )
    assert fleet == []
    assert (counters.refused, counters.failed) == (0, 2)
    assert counters.errors[-1] == "B1: could not connect"
    assert "boot answered Rejected" in counters.errors[0]


def _link(
    http: aiohttp.ClientSession,
    url: str,
    call_timeout: float = 5.0,
    loopback: bool = False,
    on_call: CallHandler | None = None,
) -> Link:
    async def ignore(_link: Link, _call: Message) -> None:
        return None

    return Link(
        http,
        "T1",
        url + "T1",
        OcppVersion.V16,
        Credentials(),
        on_call or ignore,
        call_timeout,
        loopback=loopback,
    )
