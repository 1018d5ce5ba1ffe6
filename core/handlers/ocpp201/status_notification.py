"""2.0.1 StatusNotification: per EVSE/connector status."""

from __future__ import annotations

from typing import Any

from core.clock import Clock, parse_iso
from core.events import EventBus, StatusChanged
from core.store.models import ConnectorStatus
from core.store.protocols import RuntimeStore


class StatusNotification:
    def __init__(self, clock: Clock, runtime: RuntimeStore, events: EventBus) -> None:
        self.clock, self.runtime, self.events = clock, runtime, events

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        evse, connector, status = (
            request["evseId"],
            request["connectorId"],
            request["connectorStatus"],
        )
        await self.runtime.set_connector_status(
            station_id,
            ConnectorStatus(evse, connector, status, updated_at=parse_iso(request["timestamp"])),
        )
        self.events.publish(
            StatusChanged(
                station_id=station_id,
                at=self.clock.now(),
                evse_id=evse,
                connector_id=connector,
                status=status,
            )
        )
        return {}
