"""The gateway's per-connection pipe: a CSMS call waits behind a station CALL being handled, is
released when its answer goes out — or, when that answer was lost between processes, once the
call timeout has passed — and a duplicate id is refused only while its call is being handled."""

from __future__ import annotations

import asyncio

import orjson

from core.gateway.pipe import Pipe
from core.ocpp.types import Message, MessageType, OcppVersion


class Wire:
    """What the pipe writes to the station and hands to the managers."""

    def __init__(self) -> None:
        self.to_station: list[list[object]] = []
        self.to_managers: list[Message] = []

    async def send(self, text: str) -> None:
        self.to_station.append(orjson.loads(text))

    async def publish(self, message: Message) -> None:
        self.to_managers.append(message)

    def record(self, direction: str, message: Message) -> None:
        pass

    def sent_calls(self) -> list[str]:
        return [str(f[1]) for f in self.to_station if f[0] == 2]


def csms_call(call_id: str) -> Message:
    return Message(type=MessageType.CALL, id=call_id, action="Reset", request={"type": "Hard"})


def answer(call_id: str) -> Message:
    return Message(type=MessageType.CALL_RESULT, id=call_id, action="Heartbeat", response={})


async def test_a_csms_call_waits_for_the_station_calls_answer() -> None:
    wire = Wire()
    pipe = Pipe("CS1", OcppVersion.V16, wire, call_timeout=5.0)
    await pipe.from_station('[2,"s1","Heartbeat",{}]')
    await pipe.from_manager(csms_call("c1"))
    assert wire.sent_calls() == []  # held: the station is waiting for its answer
    await pipe.from_manager(answer("s1"))
    assert wire.to_station[0] == [3, "s1", {}]
    assert wire.sent_calls() == ["c1"]  # right after the answer


async def test_a_lost_answer_holds_csms_calls_only_until_the_call_timeout() -> None:
    wire = Wire()
    pipe = Pipe("CS1", OcppVersion.V16, wire, call_timeout=0.2)
    await pipe.from_station('[2,"s1","Heartbeat",{}]')
    await pipe.from_manager(csms_call("c1"))
    await asyncio.sleep(0.05)
    assert wire.sent_calls() == []
    async with asyncio.timeout(2):
        while not wire.sent_calls():
            await asyncio.sleep(0.01)
    assert wire.sent_calls() == ["c1"]  # released by the timer, with no frame arriving
    # The late answer is still written through.
    await pipe.from_manager(answer("s1"))
    assert [3, "s1", {}] in wire.to_station
    await pipe.fail_pending("test over")


async def test_a_duplicate_id_is_refused_while_handled_and_free_after_its_deadline() -> None:
    wire = Wire()
    pipe = Pipe("CS1", OcppVersion.V201, wire, call_timeout=0.1)
    await pipe.from_station('[2,"s1","Heartbeat",{}]')
    await pipe.from_station('[2,"s1","Heartbeat",{}]')
    assert wire.to_station == [
        [4, "s1", "RpcFrameworkError", "a call with this id is already being handled", {}]
    ]
    assert [m.id for m in wire.to_managers] == ["s1"]
    await asyncio.sleep(0.15)
    await pipe.from_station('[2,"s1","Heartbeat",{}]')  # forgotten: the id is free again
    assert [m.id for m in wire.to_managers] == ["s1", "s1"]
    assert len(wire.to_station) == 1


async def test_a_closed_pipe_cancels_its_wake_up() -> None:
    wire = Wire()
    pipe = Pipe("CS1", OcppVersion.V16, wire, call_timeout=0.1)
    await pipe.from_station('[2,"s1","Heartbeat",{}]')
    await pipe.from_manager(csms_call("c1"))
    await pipe.fail_pending("gone")
    await asyncio.sleep(0.2)
    assert wire.sent_calls() == []  # nothing is written to a connection that is gone
