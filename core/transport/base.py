"""The transport contract both implementations fulfil.

Manager side: ``serve(handler)`` receives what gateways publish on ``in``; ``emit`` publishes on
``out`` (it is the router's :class:`core.handlers.types.Emitter`). Gateway side: ``publish_in``
sends a station's message to the managers; ``attach_gateway(deliver)`` receives what managers
emit for stations."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol

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

    async def close(self) -> None: ...
