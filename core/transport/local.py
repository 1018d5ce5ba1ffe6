"""In-process transport: the message objects are handed over as they are — no serialising.

Each delivery runs as its own task so one slow station never blocks the others (the gateway
pipe already guarantees one outstanding call per direction per station); an answer to a station's
CALL is written by the task already handling that CALL."""

from __future__ import annotations

import asyncio
import logging

from core.events import EventBus
from core.ocpp.types import Message, MessageType, OcppVersion
from core.transport.base import MessageHandler

log = logging.getLogger(__name__)


class LocalTransport:
    single_gateway = True  # the one gateway in this process holds every connected station
    dropped = None  # a delivery is a task, never held for a broker

    def __init__(self) -> None:
        self._manager: MessageHandler | None = None
        self._gateway: MessageHandler | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        # The loop, kept from the first delivery: asyncio.create_task looks it up with a
        # getpid() system call on Python 3.11, once for every message.
        self._loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, handler: MessageHandler) -> None:
        self._manager = handler

    async def attach_gateway(self, deliver: MessageHandler) -> None:
        self._gateway = deliver

    def _spawn(
        self, target: MessageHandler | None, version: OcppVersion, station_id: str, message: Message
    ) -> None:
        if target is None:
            log.warning(
                "no receiver for %s %s of %s: dropped", message.action, message.id, station_id
            )
            return
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        task = loop.create_task(target(version, station_id, message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def emit(self, version: OcppVersion, station_id: str, message: Message) -> None:
        if message.type is MessageType.CALL or self._gateway is None:
            self._spawn(self._gateway, version, station_id, message)
            return
        # The answer to a station's CALL is written by the router's task for that CALL, which
        # has nothing else to do, rather than by one more task: this is every station CALL's
        # path. Only this station waits if its socket is backed up. (A CSMS CALL gets a task:
        # whoever sends one — a sync loop going through many stations — must not wait.)
        await self._gateway(version, station_id, message)

    async def publish_in(self, version: OcppVersion, station_id: str, message: Message) -> None:
        self._spawn(self._manager, version, station_id, message)

    async def bridge_events(self, bus: EventBus) -> None:
        """Nothing to do: gateway, manager and API share one process and so ``bus`` itself."""

    async def drain(self) -> None:
        """Wait for deliveries in flight (shutdown: nothing half-handled)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        await self.drain()
