"""2.0.1 BootNotification: record identity and runtime, answer Accepted or Pending
(rule: :class:`core.services.boot.BootRule`)."""

from __future__ import annotations

from typing import Any

from core.services.boot import BootRecorder
from core.store.models import RuntimeDetails


class BootNotification:
    def __init__(self, recorder: BootRecorder) -> None:
        self.recorder = recorder

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        cs = request["chargingStation"]
        return await self.recorder.boot(
            station_id,
            RuntimeDetails(
                ocpp_version="2.0.1",
                vendor=cs["vendorName"],
                model=cs["model"],
                serial_number=cs.get("serialNumber", ""),
                firmware_version=cs.get("firmwareVersion", ""),
                boot_reason=request["reason"],
            ),
        )
