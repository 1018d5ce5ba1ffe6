"""The shapes handlers and the router agree on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.ocpp.types import JsonObject, Message, OcppVersion
from core.schemas import SchemaSet

# (station_id, request) -> response payload. Raise core.ocpp.errors.RpcError for a CALLERROR.
CallHandler = Callable[[str, JsonObject], Awaitable[JsonObject]]
# (station_id, original request, response, opaque state)
ResultHandler = Callable[[str, JsonObject, JsonObject, Any], Awaitable[None]]
# (station_id, original request, error code, error description)
ErrorHandler = Callable[[str, JsonObject, str, str], Awaitable[None]]


class Emitter(Protocol):
    """Sends a message towards a station (through the transport to its gateway)."""

    async def emit(self, version: OcppVersion, station_id: str, message: Message) -> None: ...


@dataclass(slots=True)
class Routes:
    """One version's routing table: one entry per action, schemas derived by convention."""

    schema_set: SchemaSet
    calls: dict[str, CallHandler] = field(default_factory=dict)
    results: dict[str, ResultHandler] = field(default_factory=dict)
    errors: dict[str, ErrorHandler] = field(default_factory=dict)
