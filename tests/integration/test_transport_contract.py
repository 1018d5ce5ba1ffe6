"""One contract, two transports: in-process and MQTT 5 through a real mosquitto."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiomqtt
import orjson
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from core.config import MqttConfig
from core.events import EventBus, StationConnected
from core.ocpp.types import Message, MessageType, OcppVersion
from core.transport.base import Transport
from core.transport.local import LocalTransport
from core.transport.mqtt import MqttTransport


class Inbox:
    def __init__(self) -> None:
        self.items: asyncio.Queue[tuple[OcppVersion, str, Message]] = asyncio.Queue()

    async def __call__(self, version: OcppVersion, station_id: str, message: Message) -> None:
        await self.items.put((version, station_id, message))

    async def get(self) -> tuple[OcppVersion, str, Message]:
        async with asyncio.timeout(5):
            return await self.items.get()


@pytest.fixture(params=["local", pytest.param("mqtt", marks=pytest.mark.mqtt)])
async def pair(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Transport, Transport]]:
    """(gateway side, manager side) — the same object in-process, two clients over MQTT."""
    if request.param == "local":
        t = LocalTransport()
        yield t, t
        await t.close()
        return
    port = request.getfixturevalue("mosquitto")
    config = MqttConfig(urls=[f"mqtt://127.0.0.1:{port}"])
    gateway, manager = MqttTransport(config), MqttTransport(config)
    yield gateway, manager
    await gateway.close()
    await manager.close()


async def test_calls_in_and_results_out(pair: tuple[Transport, Transport]) -> None:
    gateway, manager = pair
    to_manager, to_gateway = Inbox(), Inbox()
    await manager.serve(to_manager)
    await gateway.attach_gateway(to_gateway)
    call = Message(type=MessageType.CALL, id="m1", action="Heartbeat", request={})
    await gateway.publish_in(OcppVersion.V16, "CS1", call)
    version, station, got = await to_manager.get()
    assert (version, station, got.type, got.id, got.action, got.request) == (
        OcppVersion.V16,
        "CS1",
        MessageType.CALL,
        "m1",
        "Heartbeat",
        {},
    )
    reply = Message(
        type=MessageType.CALL_RESULT, id="m1", action="Heartbeat", response={"currentTime": "x"}
    )
    await manager.emit(OcppVersion.V201, "CS2", reply)
    version, station, got = await to_gateway.get()
    assert (version, station, got.type, got.response) == (
        OcppVersion.V201,
        "CS2",
        MessageType.CALL_RESULT,
        {"currentTime": "x"},
    )


async def test_error_envelope_round_trips(pair: tuple[Transport, Transport]) -> None:
    gateway, manager = pair
    to_manager = Inbox()
    await manager.serve(to_manager)
    await gateway.attach_gateway(Inbox())
    error = Message(
        type=MessageType.CALL_ERROR,
        id="c9",
        action="Reset",
        request={"type": "Hard"},
        error_code="NotSupported",
        error_description="no",
        state={"k": 1},
    )
    await gateway.publish_in(OcppVersion.V201, "CS1", error)
    _, _, got = await to_manager.get()
    assert (got.error_code, got.error_description, got.action, got.request, got.state) == (
        "NotSupported",
        "no",
        "Reset",
        {"type": "Hard"},
        {"k": 1},
    )


@pytest.mark.mqtt
async def test_wire_compatible_with_the_seed_gateway(mosquitto: int) -> None:
    """Publish exactly what MaEVe's gateway publishes; read the reply exactly as it expects."""
    manager = MqttTransport(MqttConfig(urls=[f"mqtt://127.0.0.1:{mosquitto}"]))
    received = Inbox()

    async def answer(version: OcppVersion, station_id: str, message: Message) -> None:
        await received(version, station_id, message)
        await manager.emit(
            version,
            station_id,
            Message(
                type=MessageType.CALL_RESULT,
                id=message.id,
                action=message.action,
                response={"currentTime": "2026-01-01T00:00:00Z"},
            ),
        )

    await manager.serve(answer)
    try:
        async with aiomqtt.Client(
            "127.0.0.1", mosquitto, protocol=aiomqtt.ProtocolVersion.V5, identifier="cs001"
        ) as seed:
            await seed.subscribe("cs/out/ocpp1.6/cs001")
            props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            props.ContentType = "application/json"
            props.ResponseTopic = "cs/out/ocpp1.6/cs001"
            props.CorrelationData = (
                b'{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}'
            )
            await seed.publish(
                "cs/in/ocpp1.6/cs001",
                b'{"type":2,"action":"Heartbeat","id":"abc","request":{}}',
                properties=props,
            )
            async with asyncio.timeout(5):
                async for msg in seed.messages:
                    envelope = orjson.loads(msg.payload)
                    break
        assert envelope == {
            "type": 3,
            "id": "abc",
            "action": "Heartbeat",
            "response": {"currentTime": "2026-01-01T00:00:00Z"},
        }
        _, station, message = await received.get()
        assert station == "cs001"
        assert message.action == "Heartbeat"
    finally:
        await manager.close()


@pytest.mark.mqtt
async def test_shared_subscription_delivers_each_message_once(mosquitto: int) -> None:
    config = MqttConfig(urls=[f"mqtt://127.0.0.1:{mosquitto}"])
    gateway, m1, m2 = MqttTransport(config), MqttTransport(config), MqttTransport(config)
    seen: list[str] = []

    async def handle(version: OcppVersion, station_id: str, message: Message) -> None:
        seen.append(message.id)

    await m1.serve(handle)
    await m2.serve(handle)
    await gateway.attach_gateway(Inbox())
    try:
        for i in range(50):
            await gateway.publish_in(
                OcppVersion.V201,
                f"CS{i}",
                Message(type=MessageType.CALL, id=f"id{i}", action="Heartbeat", request={}),
            )
        async with asyncio.timeout(5):
            while len(seen) < 50:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # a duplicate delivery would arrive within this window
        assert sorted(seen) == sorted(f"id{i}" for i in range(50))
    finally:
        for t in (gateway, m1, m2):
            await t.close()


@pytest.mark.mqtt
async def test_mqtt_reconnects_when_the_broker_comes_back(tmp_path: Path) -> None:
    """What is published while the broker is away waits in a bounded buffer (the oldest
    dropped and counted beyond it) and goes out, in order, once the broker is back."""
    from tests.fixtures.services import free_port, run_mosquitto

    port = free_port()
    config = MqttConfig(
        urls=[f"mqtt://127.0.0.1:{port}"],
        connect_retry_delay=0.1,
        connect_timeout=2,
        buffer_size=2,
    )
    gateway, manager = MqttTransport(config), MqttTransport(config)
    inbox = Inbox()

    async def manager_back() -> None:
        # The broker keeps no session for the manager: what the gateway flushes before the
        # manager has subscribed again reaches nobody. Here the test makes the order explicit.
        async with asyncio.timeout(10):
            while not manager.connected:
                await asyncio.sleep(0.02)

    def heartbeat(message_id: str) -> Message:
        return Message(type=MessageType.CALL, id=message_id, action="Heartbeat", request={})

    try:
        with run_mosquitto(tmp_path, port):
            await manager.serve(inbox)
            await gateway.attach_gateway(Inbox())
            await gateway.publish_in(OcppVersion.V16, "CS1", heartbeat("before"))
            assert (await inbox.get())[2].id == "before"
        gateway.on_connect.append(manager_back)
        async with asyncio.timeout(10):
            while gateway.connected:
                await asyncio.sleep(0.02)
        # the broker is gone: publishing never raises; three held in a buffer of two
        for message_id in ("lost", "held-1", "held-2"):
            await gateway.publish_in(OcppVersion.V16, "CS1", heartbeat(message_id))
        assert gateway.dropped == 1
        with run_mosquitto(tmp_path, port):
            async with asyncio.timeout(10):
                while not (manager.connected and gateway.connected):
                    await asyncio.sleep(0.05)
            await gateway.publish_in(OcppVersion.V16, "CS1", heartbeat("after"))
            got = [(await inbox.get())[2].id for _ in range(3)]
            assert got == ["held-1", "held-2", "after"]  # the subscription came back too
    finally:
        await gateway.close()
        await manager.close()


@pytest.mark.mqtt
async def test_gateway_publishes_what_the_seed_manager_expects(mosquitto: int) -> None:
    """The other way round: our gateway's envelopes, topics and properties are the seed's."""
    gateway = MqttTransport(MqttConfig(urls=[f"mqtt://127.0.0.1:{mosquitto}"]))
    try:
        async with aiomqtt.Client(
            "127.0.0.1", mosquitto, protocol=aiomqtt.ProtocolVersion.V5
        ) as seed_manager:
            await seed_manager.subscribe("$share/manager/cs/in/ocpp2.0.1/#")
            await gateway.attach_gateway(Inbox())
            await gateway.publish_in(
                OcppVersion.V201,
                "cs002",
                Message(type=MessageType.CALL, id="q1", action="Heartbeat", request={}),
            )
            async with asyncio.timeout(5):
                msg = await anext(aiter(seed_manager.messages))
        assert str(msg.topic) == "cs/in/ocpp2.0.1/cs002"
        assert orjson.loads(msg.payload) == {
            "type": 2,
            "id": "q1",
            "action": "Heartbeat",
            "request": {},
        }
        props = msg.properties
        assert props is not None
        # paho sets the MQTT 5 properties as attributes when a packet is read and declares none
        # of them, so reading one is unknown to mypy.
        assert props.ContentType == "application/json"  # type: ignore[attr-defined]
        assert props.ResponseTopic == "cs/out/ocpp2.0.1/cs002"  # type: ignore[attr-defined]
        assert orjson.loads(props.CorrelationData) == {}  # type: ignore[attr-defined]
    finally:
        await gateway.close()


@pytest.mark.mqtt
async def test_the_next_broker_url_is_tried_and_websockets_urls_work(tmp_path: Path) -> None:
    """Every URL in transport.mqtt.urls is used: the first is down, the second is the broker
    over MQTT-over-websockets."""
    from tests.fixtures.services import free_port, run_mosquitto

    ws_port, dead = free_port(), free_port()
    with run_mosquitto(tmp_path, websockets_port=ws_port) as port:
        manager = MqttTransport(
            MqttConfig(
                urls=[f"mqtt://127.0.0.1:{dead}", f"ws://127.0.0.1:{ws_port}/mqtt"],
                connect_retry_delay=0.1,
            )
        )
        gateway = MqttTransport(MqttConfig(urls=[f"mqtt://127.0.0.1:{port}"]))
        inbox = Inbox()
        try:
            await manager.serve(inbox)
            await gateway.attach_gateway(Inbox())
            assert manager.broker.transport == "websockets"
            assert manager.broker.port == ws_port
            await gateway.publish_in(
                OcppVersion.V16,
                "CS1",
                Message(type=MessageType.CALL, id="via-ws", action="Heartbeat", request={}),
            )
            assert (await inbox.get())[2].id == "via-ws"
        finally:
            await gateway.close()
            await manager.close()


async def test_domain_events_reach_the_managers_side_once(
    pair: tuple[Transport, Transport],
) -> None:
    """``bridge_events``: what one process's bus carries, the other's gets — in process the
    two sides share one bus, so bridging adds nothing (no echo, no copy)."""
    gateway, manager = pair
    same_process = gateway is manager
    gateway_bus = EventBus()
    manager_bus = gateway_bus if same_process else EventBus()
    await gateway.bridge_events(gateway_bus)
    if not same_process:
        await manager.bridge_events(manager_bus)
    sub = manager_bus.subscribe(maxsize=100)
    event = StationConnected(
        station_id="CS1", at=datetime(2026, 1, 1, tzinfo=UTC), ocpp_version="ocpp1.6"
    )
    gateway_bus.publish(event)
    async with asyncio.timeout(5):
        got = await sub.get()
    assert isinstance(got, StationConnected)
    assert (got.station_id, got.at) == ("CS1", event.at)
    if same_process:
        assert got is event
        assert sub.get_nowait() is None
    sub.close()
