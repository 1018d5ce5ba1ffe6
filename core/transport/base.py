"""The transport contract both implementations fulfil.

Manager side: ``serve(handler)`` receives what gateways publish on ``in``; ``emit`` publishes on
``out`` (it is the router's :class:`core.handlers.types.Emitter`). Gateway side: ``publish_in``
sends a station's message to the managers; ``attach_gateway(deliver)`` receives what managers
emit for stations. Every process: ``bridge_events(bus)`` shares domain events between processes."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from core.events import EventBus
from core.ocpp.types import Message, OcppVersion

MessageHandler = Callable[[OcppVersion, str, Message], Coroutine[Any, Any, None]]


class Transport(Protocol):
    # True when one gateway sees every station (in-process): a CSMS call for a station that is
    # not connected can fail at once. Over MQTT another gateway may hold it.
    single_gateway: bool

    async def serve(self, handler: MessageHandler) -> None:
        """Start delivering ``in`` messages to ``handler`` (returns once subscribed)."""
        ...

    async def emit(self, version: OcppVersion, station_id: str, message: Message) -> None: ...

    async def attach_gateway(self, deliver: MessageHandler) -> None:
        """Start delivering ``out`` messages to the gateway (returns once subscribed)."""
        ...

    async def publish_in(self, version: OcppVersion, station_id: str, message: Message) -> None: ...

    async def bridge_events(self, bus: EventBus) -> None:
        """Publish the domain events ``bus`` carries to the other processes, and put theirs on
        ``bus`` (returns once subscribed)."""
        ...

    @property
    def dropped(self) -> int | None:
        """Messages lost to a full outage buffer while the broker was away; None where nothing
        is buffered."""
        ...

    async def close(self) -> None: ...
