"""Presence across processes: which gateway holds which station, since when.

In scale-out no process but a station's gateway sees its websocket, yet every manager and API
process needs to know (the station list, commands failing fast, OCPI EVSE status, the
console). Each gateway process announces what it holds under ``<prefix>/presence/<gatewayId>``:

``<prefix>/presence/<gw>`` — retained, QoS 1: a snapshot
    ``{"seq": n, "lease": s, "stations": {stationId: connectedAt (epoch s)}}``. An empty
    payload means the gateway is gone: it is the gateway's MQTT Will (the broker publishes it when
    the gateway's connection dies, kill -9 included) and its last word on a clean stop.
``<prefix>/presence/<gw>/delta`` — QoS 1: ``{"seq": n, "lease": s, "up": {…}, "down": […]}``,
    the changes of the last 50 ms.
``<prefix>/presence/<gw>/lease`` — QoS 0, every third of the lease: ``{"seq": n, "lease": s}``.

Why snapshots plus deltas: a process started later must learn the current state, which only a
retained message gives it at once; but with 10,000 stations a snapshot is ~350 kB, too much to
republish on every connect or lease tick. So changes travel as small deltas within ~50 ms, and
the retained snapshot is rewritten at most once a second while changes happen (and after every
reconnect to the broker, which may have lost it). ``seq`` counts deltas: an observer that sees a
gap (it subscribed between a snapshot and a delta, or was away) keeps applying deltas — each says
absolutely whether a station is up or down, so applying one twice is harmless — and takes the
next snapshot whole, which arrives within a second or two. The Will covers a crashed gateway
whose connection the broker sees close; the lease covers the rest (a hung process, a partition,
a broker restart that lost the Will): a gateway not heard of for a lease is gone, and the
observer clears its retained snapshot so that later processes do not resurrect it.

A station held by two gateways (it reconnected elsewhere before the first noticed) counts as
connected while either holds it; its holder is the most recent connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiomqtt
import orjson

from core.clock import Clock
from core.events import EventBus, Resync, StationConnected, StationDisconnected
from core.transport.mqtt import MqttTransport

log = logging.getLogger(__name__)

_BATCH = 0.05  # seconds of changes gathered into one delta
_SNAPSHOT_EVERY = 1.0  # at most this often the retained snapshot is rewritten while changing


def gateway_id() -> str:
    """Unique per gateway process: a restarted gateway is a new one, its old state expires."""
    host = "".join(c if c.isalnum() or c in "-_." else "_" for c in socket.gethostname())
    return f"{host}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class PresenceAnnouncer:
    """Gateway side: publishes what ``connections`` (the gateway's open websockets) holds."""

    def __init__(
        self,
        transport: MqttTransport,
        connections: Mapping[str, Any],
        events: EventBus,
        lease: float,
        ident: str | None = None,
    ) -> None:
        self.transport = transport
        self.connections = connections
        self.events = events
        self.lease = lease
        self.id = ident or gateway_id()
        self.topic = f"{transport.prefix}/presence/{self.id}"
        self.seq = 0
        self._held: dict[str, float] = {}
        self._up: dict[str, float] = {}
        self._down: set[str] = set()
        self._changed = asyncio.Event()
        self._snapshot_seq = -1
        self._tasks: list[asyncio.Task[None]] = []

    def will(self) -> aiomqtt.Will:
        return aiomqtt.Will(self.topic, b"", qos=1, retain=True)

    async def start(self) -> None:
        self.transport.on_connect.append(self._publish_snapshot)
        sub = self.events.subscribe(maxsize=100_000)
        for station_id in self.connections:  # connected before we started watching
            self._note(station_id, time.time())
        self._tasks = [
            asyncio.create_task(self._watch(sub), name="presence-watch"),
            asyncio.create_task(self._deltas(), name="presence-deltas"),
            asyncio.create_task(self._ticks(), name="presence-ticks"),
        ]
        await self._publish_snapshot()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.transport.publish(self.topic, b"", retain=True)  # gone, cleanly

    def _note(self, station_id: str, at: float) -> None:
        """Compare what the gateway holds for ``station_id`` with what was announced."""
        if station_id in self.connections:
            if station_id not in self._held:
                self._held[station_id] = at
                self._up[station_id] = at
                self._down.discard(station_id)
                self._changed.set()
        elif station_id in self._held:
            del self._held[station_id]
            self._up.pop(station_id, None)
            self._down.add(station_id)
            self._changed.set()

    async def _watch(self, sub: Any) -> None:
        # Other gateways' events arrive here too (the event bridge): _note only reports what
        # this gateway's own connections say.
        async for event in sub:
            if isinstance(event, StationConnected | StationDisconnected):
                if isinstance(event, StationConnected) and event.station_id in self._held:
                    # A reconnect that replaced the previous websocket: a new connect time.
                    self._held.pop(event.station_id)
                self._note(event.station_id, event.at.timestamp())
            elif isinstance(event, Resync):  # we lost events: compare everything
                for station_id in set(self._held) | set(self.connections):
                    self._note(station_id, time.time())

    def _body(self, **extra: Any) -> bytes:
        return orjson.dumps({"seq": self.seq, "lease": self.lease, **extra})

    async def _deltas(self) -> None:
        while True:
            await self._changed.wait()
            await asyncio.sleep(_BATCH)
            self._changed.clear()
            up, down = self._up, sorted(self._down)
            self._up, self._down = {}, set()
            self.seq += 1
            await self.transport.publish(f"{self.topic}/delta", self._body(up=up, down=down))

    def reannounce(self) -> None:
        """Our retained snapshot was cleared while we run (an observer that judged our lease
        lapsed while it was itself cut off, its clear sent on its reconnect; a Will of an old
        connection): the next tick publishes it again."""
        self._snapshot_seq = -1

    async def _publish_snapshot(self) -> None:
        self._snapshot_seq = self.seq
        await self.transport.publish(self.topic, self._body(stations=self._held), retain=True)

    async def _ticks(self) -> None:
        last_lease = 0.0
        while True:
            await asyncio.sleep(min(_SNAPSHOT_EVERY, self.lease / 3))
            if self._snapshot_seq != self.seq:
                await self._publish_snapshot()
            if time.monotonic() - last_lease >= self.lease / 3:
                last_lease = time.monotonic()
                await self.transport.publish(f"{self.topic}/lease", self._body(), qos=0)


@dataclass(slots=True)
class _GatewayView:
    stations: dict[str, float] = field(default_factory=dict)
    seq: int = 0
    lease: float = 15.0
    seen: float = 0.0  # monotonic time of the last word from it
    stale: bool = True  # deltas may be missing: the next snapshot is taken whole


class PresenceRegistry:
    """Every process's view of every gateway: the service's ``ConnectionRegistry``."""

    def __init__(self, transport: MqttTransport, clock: Clock) -> None:
        self.transport = transport
        self.clock = clock
        self.prefix = f"{transport.prefix}/presence/"
        self.gateways: dict[str, _GatewayView] = {}
        self._where: dict[str, dict[str, float]] = {}  # station → gateway → connected at
        self._expiry: asyncio.Task[None] | None = None
        self.own: PresenceAnnouncer | None = None  # this process's gateway, if it is one

    # --- ConnectionRegistry -------------------------------------------------------------------

    def is_connected(self, station_id: str) -> bool:
        return station_id in self._where

    def connected(self) -> set[str]:
        return set(self._where)

    def holder(self, station_id: str) -> tuple[str, datetime] | None:
        """The gateway holding ``station_id`` (its most recent connection) and since when."""
        held = self._where.get(station_id)
        if not held:
            return None
        gateway, at = max(held.items(), key=lambda item: item[1])
        return gateway, datetime.fromtimestamp(at, UTC)

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        await self.transport.subscribe_raw(f"{self.prefix}#", self.receive)
        self._expiry = asyncio.create_task(self._expire_loop(), name="presence-expiry")

    async def close(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._expiry

    # --- receiving ----------------------------------------------------------------------------

    def receive(self, topic: str, payload: bytes) -> None:
        gateway, _, kind = topic.removeprefix(self.prefix).partition("/")
        if not gateway:
            return
        if kind == "" and not payload:
            if self.own is not None and gateway == self.own.id:
                self.own.reannounce()  # we are alive: every process learns it within a second
            self._drop(gateway, f"gateway {gateway} went away")
            return
        try:
            data = orjson.loads(payload)
            seq, lease = int(data["seq"]), float(data["lease"])
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("malformed presence message on %s dropped: %s", topic, exc)
            return
        view = self.gateways.get(gateway)
        if view is None:
            view = self.gateways[gateway] = _GatewayView(seq=seq, lease=lease)
            log.info("gateway %s present", gateway)
        view.seen, view.lease = time.monotonic(), lease
        if kind == "":
            self._snapshot(gateway, view, seq, data)
        elif kind == "delta":
            self._delta(gateway, view, seq, data)
        elif kind == "lease" and seq > view.seq:
            view.stale = True

    def _snapshot(self, gateway: str, view: _GatewayView, seq: int, data: dict[str, Any]) -> None:
        """A gateway's whole list: it replaces ours unless ours is newer and whole."""
        if view.stale or seq >= view.seq:
            self._replace(gateway, view, {str(k): float(v) for k, v in data["stations"].items()})
            view.seq, view.stale = seq, False

    def _delta(self, gateway: str, view: _GatewayView, seq: int, data: dict[str, Any]) -> None:
        """Stations up and down since the gateway's previous message."""
        if seq <= view.seq and not view.stale:
            return  # already applied
        if seq > view.seq + 1:
            view.stale = True  # a delta we never saw: the next snapshot repairs
        view.seq = max(view.seq, seq)
        for station_id, at in data.get("up", {}).items():
            self._set(gateway, view, str(station_id), float(at))
        for station_id in data.get("down", []):
            self._unset(gateway, view, str(station_id))

    def _set(self, gateway: str, view: _GatewayView, station_id: str, at: float) -> None:
        view.stations[station_id] = at
        self._where.setdefault(station_id, {})[gateway] = at

    def _unset(self, gateway: str, view: _GatewayView, station_id: str) -> bool:
        """Forget that ``gateway`` holds ``station_id``; True when nobody holds it now."""
        view.stations.pop(station_id, None)
        held = self._where.get(station_id)
        if held is None:
            return False
        held.pop(gateway, None)
        if held:
            return False
        del self._where[station_id]
        return True

    def _replace(self, gateway: str, view: _GatewayView, stations: dict[str, float]) -> None:
        for station_id in set(view.stations) - set(stations):
            self._unset(gateway, view, station_id)
        for station_id, at in stations.items():
            self._set(gateway, view, station_id, at)

    def _drop(self, gateway: str, reason: str) -> None:
        view = self.gateways.pop(gateway, None)
        if view is None:
            return
        log.info("%s: %d station(s) it held are offline", reason, len(view.stations))
        now = self.clock.now()
        for station_id in list(view.stations):
            if self._unset(gateway, view, station_id):
                # Nobody saw the websocket close: this process says so on its own bus (every
                # process concludes the same, so it is not bridged).
                self.transport.inject(
                    StationDisconnected(station_id=station_id, at=now, reason=reason)
                )

    async def _expire_loop(self) -> None:
        away = False
        while True:
            await asyncio.sleep(0.25)
            now = time.monotonic()
            if not self.transport.connected:
                away = True  # our silence, not the gateways': judge nobody meanwhile
                continue
            if away:  # give every gateway a fresh lease to reach us again
                away = False
                for view in self.gateways.values():
                    view.seen = now
            for gateway, view in list(self.gateways.items()):
                if now - view.seen > view.lease:
                    self._drop(gateway, f"gateway {gateway} lease expired")
                    # Its retained snapshot would make later processes think it alive.
                    await self.transport.publish(f"{self.prefix}{gateway}", b"", retain=True)


class Connections:
    """A process's view: its own gateway's websockets (at once) and every gateway's presence."""

    def __init__(self, presence: PresenceRegistry, local: Any = None) -> None:
        self.presence = presence
        self.local = local

    def is_connected(self, station_id: str) -> bool:
        local = self.local is not None and self.local.is_connected(station_id)
        return local or self.presence.is_connected(station_id)

    def connected(self) -> set[str]:
        found = self.presence.connected()
        if self.local is not None:
            found |= self.local.connected()
        return found
