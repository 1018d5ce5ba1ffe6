"""The manager: one router per enabled OCPP version, fed by the transport."""

from __future__ import annotations

import logging

from core.clock import Clock
from core.config import OcppConfig
from core.events import EventBus
from core.handlers import ocpp16, ocpp201
from core.handlers.boot_gate import BootGate
from core.handlers.deps import HandlerDeps
from core.handlers.ocpp16.routes import routes as routes16
from core.handlers.ocpp201.routes import pnc_handlers, pnc_result_handlers
from core.handlers.ocpp201.routes import routes as routes201
from core.handlers.router import Router
from core.handlers.types import Emitter
from core.leniency.policy import LeniencyPolicy
from core.ocpp.types import Message, OcppVersion
from core.store.protocols import CallStore

log = logging.getLogger(__name__)

__all__ = ["Manager", "ocpp16", "ocpp201"]


class Manager:
    def __init__(
        self,
        deps: HandlerDeps,
        emitter: Emitter,
        calls: CallStore,
        events: EventBus,
        clock: Clock,
        config: OcppConfig,
        leniency: LeniencyPolicy | None = None,
    ) -> None:
        v201 = routes201(deps)
        v16 = routes16(deps, pnc=pnc_handlers(v201), pnc_results=pnc_result_handlers(v201))
        self.routers: dict[OcppVersion, Router] = {}
        gate = BootGate(deps.store, calls, clock)
        if config.ocpp16_enabled:
            self.routers[OcppVersion.V16] = Router(
                OcppVersion.V16, v16, emitter, calls, events, clock, gate, leniency
            )
        if config.ocpp201_enabled:
            self.routers[OcppVersion.V201] = Router(
                OcppVersion.V201, v201, emitter, calls, events, clock, gate, leniency
            )

    async def handle(self, version: OcppVersion, station_id: str, message: Message) -> None:
        router = self.routers.get(version)
        if router is None:
            log.warning("message for disabled OCPP version %s from %s dropped", version, station_id)
            return
        await router.route(station_id, message)
