"""Handlers run through the real router on the real SQLite store with a fixed clock."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest

from core.clock import FixedClock, iso
from core.config import Config
from core.events import Event, EventBus
from core.handlers.call_maker import CallMaker
from core.handlers.deps import HandlerDeps, HandlerSettings
from core.handlers.ocpp16.routes import routes as routes16
from core.handlers.ocpp201.routes import pnc_handlers, pnc_result_handlers
from core.handlers.ocpp201.routes import routes as routes201
from core.handlers.router import Router
from core.ocpp.types import Message, MessageType, OcppVersion
from core.services.factory import build_services
from core.store.models import CacheMode, RuntimeDetails, Token
from core.store.sqlite import SqliteStore


@dataclass
class Env:
    store: SqliteStore
    clock: FixedClock
    bus: EventBus
    deps: HandlerDeps
    sent: list[tuple[OcppVersion, str, Message]] = field(default_factory=list)
    routers: dict[OcppVersion, Router] = field(default_factory=dict)

    async def emit(self, version: OcppVersion, station_id: str, message: Message) -> None:
        self.sent.append((version, station_id, message))

    async def call(
        self, version: OcppVersion, action: str, payload: dict[str, Any], station: str = "CS1"
    ) -> Message:
        before = len(self.sent)
        message_id = f"m{before}"
        await self.routers[version].route(
            station, Message(type=MessageType.CALL, id=message_id, action=action, request=payload)
        )
        # The reply, not a call the handler sent meanwhile (the gateway sends those after it).
        return next(m for _, _, m in self.sent[before:] if m.id == message_id)

    async def ok(
        self, version: OcppVersion, action: str, payload: dict[str, Any], station: str = "CS1"
    ) -> dict[str, Any]:
        reply = await self.call(version, action, payload, station)
        assert reply.type is MessageType.CALL_RESULT, (reply.error_code, reply.error_description)
        assert reply.response is not None
        return reply.response

    async def result(
        self,
        version: OcppVersion,
        action: str,
        request: dict[str, Any],
        response: dict[str, Any],
        station: str = "CS1",
    ) -> None:
        await self.routers[version].route(
            station,
            Message(
                type=MessageType.CALL_RESULT,
                id="r1",
                action=action,
                request=request,
                response=response,
            ),
        )

    async def booted(self, station: str, version: str) -> None:
        await self.store.set_runtime_details(station, RuntimeDetails(ocpp_version=version))

    async def token(self, uid: str, **extra: Any) -> None:
        fields: dict[str, Any] = {"valid": True, "cache_mode": CacheMode.ALWAYS, **extra}
        await self.store.set_token(
            Token("GB", "TWK", "RFID", uid, "GBTWK012345678V", "t", **fields)
        )

    def events(self, kind: type[Event]) -> list[Any]:
        """Every event of ``kind`` published so far."""
        while (event := self.sub.get_nowait()) is not None:
            self.seen.append(event)
        return [e for e in self.seen if isinstance(e, kind)]

    def now(self) -> str:
        return iso(self.clock.now())

    sub: Any = None
    seen: list[Event] = field(default_factory=list)


@pytest.fixture
def running_cost_interval() -> float:
    """Seconds between two CostUpdated calls for one transaction (the default). A test that
    wants one after every live reading sets 0 by parametrizing this name."""
    return HandlerSettings().running_cost_interval_s


@pytest.fixture
async def env(sqlite_store: SqliteStore, clock: FixedClock, running_cost_interval: float) -> Env:
    bus = EventBus()
    services = build_services(Config(), sqlite_store, clock)
    holder: list[Env] = []
    call_ids = itertools.count(1)

    class Emit:
        async def emit(self, version: OcppVersion, station_id: str, message: Message) -> None:
            await holder[0].emit(version, station_id, message)

    deps = HandlerDeps.of(
        sqlite_store,
        clock,
        bus,
        CallMaker(
            Emit(), sqlite_store, sqlite_store, bus, clock, ids=lambda: f"call-{next(call_ids)}"
        ),
        services,
        HandlerSettings(
            heartbeat_interval_s=300,
            pending_interval_s=30,
            running_cost_interval_s=running_cost_interval,
        ),
    )
    e = Env(sqlite_store, clock, bus, deps)
    holder.append(e)
    e.sub = bus.subscribe()
    v201 = routes201(deps)
    e.routers[OcppVersion.V201] = Router(OcppVersion.V201, v201, Emit(), sqlite_store, bus, clock)
    e.routers[OcppVersion.V16] = Router(
        OcppVersion.V16,
        routes16(deps, pnc=pnc_handlers(v201), pnc_results=pnc_result_handlers(v201)),
        Emit(),
        sqlite_store,
        bus,
        clock,
    )
    return e
