"""Frames per second through the MQTT transport (gateway side → broker → manager side), at QoS 0
and at QoS 1 — the price of at-least-once delivery.

Run: `python bench/bench_mqtt.py [N] [MESSAGES]` with mosquitto installed (a throwaway broker is
started on a free port). N concurrent publishers, like N stations' pipes, each awaiting its own
publish; one subscriber counts what arrives. Prints figures; not a test.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import orjson

from core.config import MqttConfig
from core.ocpp.types import Message, MessageType, OcppVersion
from core.transport.mqtt import MqttTransport
from tests.fixtures.services import run_mosquitto


async def run(port: int, stations: int, messages: int, qos: int) -> float:
    config = MqttConfig(urls=[f"mqtt://127.0.0.1:{port}"], prefix=f"bench{qos}")
    gateway, manager = MqttTransport(config), MqttTransport(config)
    got = 0
    done = asyncio.Event()

    async def count(version: OcppVersion, station_id: str, message: Message) -> None:
        nonlocal got
        got += 1
        if got == messages:
            done.set()

    await manager.serve(count)
    await gateway.attach_gateway(count)
    payload = orjson.dumps(
        Message(type=MessageType.CALL, id="1", action="Heartbeat", request={}).to_envelope()
    )
    per_station = messages // stations

    async def station(i: int) -> None:
        topic = f"{config.prefix}/in/{OcppVersion.V16.value}/CS{i}"
        for _ in range(per_station):
            await gateway.publish(topic, payload, qos=qos)

    started = time.perf_counter()
    await asyncio.gather(*(station(i) for i in range(stations)))
    try:
        async with asyncio.timeout(20):
            await done.wait()
    except TimeoutError:
        print(f"QoS {qos}: only {got} of {messages} frames arrived")
        raise
    elapsed = time.perf_counter() - started
    await gateway.close()
    await manager.close()
    return messages / elapsed


async def main() -> None:
    stations = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    messages = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
    messages -= messages % stations
    with tempfile.TemporaryDirectory() as tmp, run_mosquitto(Path(tmp)) as port:
        for qos in (0, 1, 0, 1):  # twice each: the first run also warms the broker up
            rate = await run(port, stations, messages, qos)
            print(f"QoS {qos}: {rate:,.0f} frames/s ({stations} publishers, {messages} frames)")


if __name__ == "__main__":
    asyncio.run(main())
