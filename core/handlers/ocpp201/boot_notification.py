"""2.0.1 BootNotification: record identity and runtime, answer Accepted or Pending
(rule: :class:`core.services.boot.BootRule`)."""

from __future__ import annotations

from typing import Any

from core.clock import Clock, iso
from core.events import EventBus, StationBooted
from core.services.boot import BootRule
from core.store.models import RuntimeDetails
from core.store.protocols import RuntimeStore, SettingsStore


class BootNotification:
    def __init__(
        self,
        clock: Clock,
        runtime: RuntimeStore,
        settings: SettingsStore,
        rule: BootRule,
        events: EventBus,
        heartbeat_interval: int,
        pending_interval: int,
    ) -> None:
        self.clock, self.runtime, self.settings = clock, runtime, settings
        self.rule, self.events = rule, events
        self.heartbeat_interval, self.pending_interval = heartbeat_interval, pending_interval

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        status = await self.rule.status(station_id)
        cs = request["chargingStation"]
        details = RuntimeDetails(
            ocpp_version="2.0.1",
            vendor=cs["vendorName"],
            model=cs["model"],
            serial_number=cs.get("serialNumber", ""),
            firmware_version=cs.get("firmwareVersion", ""),
            boot_reason=request["reason"],
            boot_status=status,
            last_boot_at=now,
            last_seen_at=now,
        )
        await self.runtime.set_runtime_details(station_id, details)
        await self.settings.settings_reboot_required_to_accepted(station_id)
        self.events.publish(
            StationBooted(
                station_id=station_id,
                at=now,
                ocpp_version="2.0.1",
                vendor=details.vendor,
                model=details.model,
                serial_number=details.serial_number,
                firmware_version=details.firmware_version,
                status=status,
            )
        )
        interval = self.heartbeat_interval if status == "Accepted" else self.pending_interval
        return {"status": status, "currentTime": iso(now), "interval": interval}
