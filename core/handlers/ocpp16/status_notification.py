"""1.6 StatusNotification: per-connector status (connector 0 = the charge point itself)."""

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
        connector = request["connectorId"]
        at = parse_iso(request["timestamp"]) if "timestamp" in request else self.clock.now()
        error = request["errorCode"] if request["errorCode"] != "NoError" else ""
        info = request.get("info") or request.get("vendorErrorCode") or ""
        status = ConnectorStatus(connector, connector, request["status"], error, info, at)
        await self.runtime.set_connector_status(station_id, status)
        self.events.publish(
            StatusChanged(
                station_id=station_id,
                at=self.clock.now(),
                evse_id=connector,
                connector_id=connector,
                status=request["status"],
                error_code=error,
            )
        )
        return {}
