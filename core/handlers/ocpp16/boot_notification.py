"""1.6 BootNotification: record identity and runtime, answer Accepted or Pending.

The Accepted/Pending rule is :class:`core.services.boot.BootRule`. RebootRequired settings become
Accepted: the station has rebooted, so they are now in effect."""

from __future__ import annotations

from typing import Any

from core.services.boot import BootRecorder
from core.store.models import RuntimeDetails


class BootNotification:
    def __init__(self, recorder: BootRecorder) -> None:
        self.recorder = recorder

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        return await self.recorder.boot(
            station_id,
            RuntimeDetails(
                ocpp_version="1.6",
                vendor=request["chargePointVendor"],
                model=request["chargePointModel"],
                serial_number=request.get("chargePointSerialNumber")
                or request.get("chargeBoxSerialNumber", ""),
                firmware_version=request.get("firmwareVersion", ""),
            ),
        )
