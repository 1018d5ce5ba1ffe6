"""MQTT 5 transport (aiomqtt), wire-compatible with MaEVe's gateway and manager.

Topics ``<prefix>/in/<ocpp1.6|ocpp2.0.1>/<stationId>`` (gateway → managers, who share
``$share/<group>/<prefix>/in/<version>/#``) and ``<prefix>/out/<version>/<stationId>`` (managers →
gateway). Payload: the JSON envelope of :meth:`core.ocpp.types.Message.to_envelope`. The gateway
publishes with content type ``application/json``, a response topic and correlation data, like the
seed's gateway. TCP_NODELAY is set on the client socket (Nagle × delayed ACK costs 40-88 ms per
round trip otherwise).

Delivery: frames (``in``/``out``), domain events and presence changes go at QoS 1 — a lost
CALLRESULT leaves a call record pending until its waiter gives up, and a lost event or presence
change leaves another process with a wrong picture that nothing repairs. While the broker is
unreachable those publishes wait in a bounded buffer (``transport.mqtt.buffer_size``), flushed in
order on reconnect; on overflow the oldest are dropped and counted (:attr:`MqttTransport.dropped`,
logged, and in the gateway's and the API's ``/metrics``). A publish whose acknowledgement never
came is sent again, so a receiver may see it twice: each QoS 1 publish carries a ``mid`` user
property, and a receiver ignores a ``mid`` it has seen recently. Only the presence lease goes at
QoS 0: the next one replaces a lost one. Each publish is awaited for its PUBACK, but publishers
are many concurrent tasks (one per station), so acknowledgements overlap rather than queue.

Domain events (calls completed, transactions…) are bridged on ``<prefix>/events/<kind>`` so that a
process serving the API or the console sees what every manager did (DESIGN.md "Events").
Presence (which gateway holds which station) travels on ``<prefix>/presence/...``
(core/transport/presence.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import uuid
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote, urlparse

import aiomqtt
import orjson
from paho.mqtt.properties import Properties

from core.config import MqttConfig
from core.events import Event, EventBus, MessageLogged, Resync, event_from_json
from core.ocpp.types import Message, OcppVersion
from core.transport.base import MessageHandler
from core.transport.mqtt_properties import publish_properties

log = logging.getLogger(__name__)

_VERSIONS = {v.value: v for v in OcppVersion}
# How many recent ``mid``s a receiver remembers: a resent publish follows its first copy
# within a reconnect, far fewer messages than this later.
_SEEN_MIDS = 100_000

RawHandler = Callable[[str, bytes], None]


@dataclass(frozen=True, slots=True)
class _Held:
    """A publish waiting for the broker."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    properties: Properties | None


def _nodelay() -> list[tuple[int, int, int]]:
    return [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


_SCHEMES: dict[str, tuple[Literal["tcp", "websockets"], bool, int]] = {
    # scheme: (aiomqtt transport, TLS, default port)
    "mqtt": ("tcp", False, 1883),
    "tcp": ("tcp", False, 1883),
    "mqtts": ("tcp", True, 8883),
    "ssl": ("tcp", True, 8883),
    "ws": ("websockets", False, 80),
    "wss": ("websockets", True, 443),
}


@dataclass(frozen=True, slots=True)
class Broker:
    """One of ``transport.mqtt.urls``: ``mqtt://user:pass@host:1883``, ``mqtts://…`` (TLS,
    verified against the system's CAs), ``ws://host/mqtt`` or ``wss://…`` (MQTT over
    websockets, the path being the websocket path)."""

    url: str
    host: str
    port: int
    transport: Literal["tcp", "websockets"]
    tls: bool
    username: str | None
    password: str | None
    path: str | None

    @classmethod
    def parse(cls, url: str) -> Broker:
        parts = urlparse(url)
        transport, tls, default_port = _SCHEMES[parts.scheme]
        return cls(
            url=f"{parts.scheme}://{parts.hostname}:{parts.port or default_port}{parts.path}",
            host=parts.hostname or "localhost",
            port=parts.port or default_port,
            transport=transport,
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            path=(parts.path or "/mqtt") if transport == "websockets" else None,
        )


class MqttTransport:
    """One MQTT connection per process, reconnecting with backoff while the broker is away."""

    single_gateway = False  # other gateways may hold a station we do not

    def __init__(self, config: MqttConfig, identifier: str | None = None) -> None:
        self.config = config
        # Tried in order; after a failure the next one (a cluster's nodes, a standby broker).
        self.brokers = [Broker.parse(url) for url in config.urls]
        self._next_broker = 0
        self.broker = self.brokers[0]
        self.prefix = config.prefix
        self.identifier = identifier or f"csms-{uuid.uuid4().hex[:10]}"
        self._subscriptions: list[str] = []
        self._manager: MessageHandler | None = None
        self._gateway: MessageHandler | None = None
        self._event_bus: EventBus | None = None
        self._client: aiomqtt.Client | None = None
        self._connected = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.origin = uuid.uuid4().hex[:12]
        self._injected: set[int] = set()
        self._bridge: asyncio.Task[None] | None = None
        self._raw: list[tuple[str, RawHandler]] = []  # (topic prefix, handler)
        self._held: deque[_Held] = deque()
        self.dropped = 0  # QoS 1 publishes lost to a full buffer while the broker was away
        self._ready = False  # connected and the buffer flushed: publish directly
        self._flusher: asyncio.Task[None] | None = None
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self.will: aiomqtt.Will | None = None
        self.on_connect: list[Callable[[], Awaitable[None]]] = []

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    # --- lifecycle -------------------------------------------------------------------------------

    async def _ensure_running(self) -> None:
        if self._runner is None:
            self._runner = asyncio.create_task(self._run(), name="mqtt-transport")
        async with asyncio.timeout(self.config.connect_timeout):
            await self._connected.wait()

    def _client_for(self, broker: Broker) -> aiomqtt.Client:
        return aiomqtt.Client(
            broker.host,
            broker.port,
            username=broker.username,
            password=broker.password,
            identifier=self.identifier,
            protocol=aiomqtt.ProtocolVersion.V5,
            keepalive=int(self.config.keep_alive_interval),
            timeout=self.config.connect_timeout,
            socket_options=_nodelay(),
            max_queued_outgoing_messages=100_000,
            transport=broker.transport,
            websocket_path=broker.path,
            tls_context=ssl.create_default_context() if broker.tls else None,
            will=self.will,
        )

    async def _run(self) -> None:
        delay = self.config.connect_retry_delay
        while True:
            broker = self.broker = self.brokers[self._next_broker]
            try:
                async with self._client_for(broker) as client:
                    for topic in self._subscriptions:
                        await client.subscribe(topic, qos=1)
                    self._client = client
                    self._connected.set()
                    delay = self.config.connect_retry_delay
                    log.info("MQTT connected to %s as %s", broker.url, self.identifier)
                    self._flusher = asyncio.create_task(self._flush(client), name="mqtt-flush")
                    async for message in client.messages:
                        self._dispatch(message)
            except aiomqtt.MqttError as exc:
                self._connected.clear()
                self._client = None
                self._ready = False
                if self._flusher is not None:
                    self._flusher.cancel()
                    self._flusher = None
                self._next_broker = (self._next_broker + 1) % len(self.brokers)
                # Back off only once every broker has been tried: a standby is tried at once.
                wait = delay if self._next_broker == 0 else 0.0
                log.warning(
                    "MQTT broker %s unavailable (%s); trying %s in %.1f s",
                    broker.url,
                    exc,
                    self.brokers[self._next_broker].url,
                    wait,
                )
                await asyncio.sleep(wait)
                if self._next_broker == 0:
                    delay = min(delay * 2, 30.0)

    async def _subscribe(self, topic: str) -> None:
        self._subscriptions.append(topic)
        if self._client is not None:
            await self._client.subscribe(topic, qos=1)
        await self._ensure_running()

    async def close(self) -> None:
        if self._bridge is not None:
            self._bridge.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._bridge
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._flusher is not None:
            self._flusher.cancel()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None

    # --- receiving -------------------------------------------------------------------------------

    def _duplicate(self, message: aiomqtt.Message) -> bool:
        props = message.properties
        for key, value in getattr(props, "UserProperty", None) or ():
            if key == "mid":
                mid = value.encode()
                if mid in self._seen:
                    return True
                self._seen[mid] = None
                if len(self._seen) > _SEEN_MIDS:
                    self._seen.popitem(last=False)
        return False

    def _dispatch(self, message: aiomqtt.Message) -> None:
        if self._duplicate(message):
            log.debug("duplicate publish on %s ignored", message.topic)
            return
        topic = str(message.topic)
        for prefix, raw in self._raw:
            if topic.startswith(prefix):
                payload = message.payload
                raw(topic, payload if isinstance(payload, bytes) else str(payload or "").encode())
                return
        parts = topic.split("/")
        if len(parts) >= 3 and parts[-2] == "events":
            self._receive_event(message.payload)
            return
        if len(parts) < 4:
            return
        direction, version_name, station_id = parts[-3], parts[-2], parts[-1]
        version = _VERSIONS.get(version_name)
        target = self._manager if direction == "in" else self._gateway
        if version is None or target is None:
            return
        try:
            payload = message.payload
            envelope = orjson.loads(payload if isinstance(payload, bytes | str) else b"")
            msg = Message.from_envelope(envelope)
        except (ValueError, orjson.JSONDecodeError) as exc:
            log.warning("malformed envelope on %s dropped: %s", message.topic, exc)
            return
        task = asyncio.create_task(target(version, station_id, msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def serve(self, handler: MessageHandler) -> None:
        self._manager = handler
        for version in OcppVersion:
            await self._subscribe(f"$share/{self.config.group}/{self.prefix}/in/{version.value}/#")

    async def attach_gateway(self, deliver: MessageHandler) -> None:
        self._gateway = deliver
        await self._subscribe(f"{self.prefix}/out/+/+")

    async def subscribe_raw(self, topic_filter: str, handler: RawHandler) -> None:
        """Deliver every message on ``topic_filter`` (a ``…/#`` filter) to ``handler`` as
        (topic, payload) — retained ones included, at once on subscribing."""
        self._raw.append((topic_filter.removesuffix("#"), handler))
        await self._subscribe(topic_filter)

    def inject(self, event: Event) -> None:
        """Publish ``event`` on this process's bus only: what this process concluded on its
        own (another gateway is gone) and every other process concludes too."""
        if self._event_bus is None:
            return
        self._injected.add(id(event))
        self._event_bus.publish(event)

    # --- publishing ------------------------------------------------------------------------------

    def _hold(self, item: _Held) -> None:
        if len(self._held) >= self.config.buffer_size:
            lost = self._held.popleft()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning(
                    "MQTT buffer full (%d): %d message(s) dropped so far, latest to %s",
                    self.config.buffer_size,
                    self.dropped,
                    lost.topic,
                )
        self._held.append(item)

    async def _flush(self, client: aiomqtt.Client) -> None:
        """After a (re)connect: the hooks' publishes, then what was held, oldest first. New
        publishes join the buffer until it is empty, so nothing overtakes what waited."""
        for hook in self.on_connect:
            try:
                await hook()
            except Exception:
                log.exception("MQTT on-connect hook failed")
        if self._held:
            log.info("MQTT: sending %d message(s) held while the broker was away", len(self._held))
        while self._held:
            item = self._held[0]
            try:
                await client.publish(
                    item.topic,
                    item.payload,
                    qos=item.qos,
                    retain=item.retain,
                    properties=item.properties,
                )
            except (aiomqtt.MqttError, TimeoutError):
                return  # the connection is gone again; the next one resumes here
            self._held.popleft()
        self._ready = True

    async def _publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        content_type: str | None = None,
        response_topic: str | None = None,
        correlation_data: bytes | None = None,
    ) -> None:
        properties: Properties | None = None
        if qos or content_type or response_topic or correlation_data is not None:
            properties = publish_properties(
                content_type=content_type,
                response_topic=response_topic,
                correlation_data=correlation_data,
                # The dedupe key of a resent copy: the same properties are held and resent.
                user=("mid", uuid.uuid4().hex) if qos else None,
            )
        item = _Held(topic, payload, qos, retain, properties)
        client = self._client
        if client is None or not self._ready:
            if qos:
                self._hold(item)
            return
        try:
            await client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        except (aiomqtt.MqttError, TimeoutError) as exc:
            if qos:
                log.warning(
                    "MQTT publish to %s failed (%s): held for the next connection", topic, exc
                )
                self._hold(item)
            else:
                log.warning("MQTT publish to %s failed: %s", topic, exc)

    async def publish(
        self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False
    ) -> None:
        """Publish on any topic (presence); same delivery rules as the frames."""
        await self._publish(topic, payload, qos=qos, retain=retain)

    async def emit(self, version: OcppVersion, station_id: str, message: Message) -> None:
        await self._publish(
            f"{self.prefix}/out/{version.value}/{station_id}",
            orjson.dumps(message.to_envelope()),
            correlation_data=b"{}",
        )

    async def publish_in(self, version: OcppVersion, station_id: str, message: Message) -> None:
        await self._publish(
            f"{self.prefix}/in/{version.value}/{station_id}",
            orjson.dumps(message.to_envelope()),
            content_type="application/json",
            response_topic=f"{self.prefix}/out/{version.value}/{station_id}",
            correlation_data=b"{}",
        )

    # --- event bridge ----------------------------------------------------------------------------

    async def bridge_events(self, bus: EventBus) -> None:
        """Publish this process's domain events and inject other processes' into ``bus``."""
        self._event_bus = bus
        await self._subscribe(f"{self.prefix}/events/+")
        sub = bus.subscribe(maxsize=50_000)

        async def forward() -> None:
            async for event in sub:
                if id(event) in self._injected:
                    self._injected.discard(id(event))  # another process's event: not ours to echo
                    continue
                if isinstance(event, Resync | MessageLogged):
                    continue  # frames travel on in/out already
                data = event.to_json()
                data["origin"] = self.origin
                await self._publish(f"{self.prefix}/events/{event.kind}", orjson.dumps(data))

        self._bridge = asyncio.create_task(forward(), name="mqtt-event-bridge")

    def _receive_event(self, payload: Any) -> None:
        if self._event_bus is None:
            return
        try:
            data = orjson.loads(payload)
            if data.pop("origin", None) == self.origin:
                return
            data.pop("seq", None)  # sequence numbers are per process
            event = event_from_json(data)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("malformed event dropped: %s", exc)
            return
        if len(self._injected) > 100_000:
            self._injected.clear()
        self._injected.add(id(event))
        self._event_bus.publish(event)
