"""1.6 BootNotification: record identity and runtime, answer Accepted or Pending.

The Accepted/Pending rule is :class:`core.services.boot.BootRule`. RebootRequired settings become
Accepted: the station has rebooted, so they are now in effect."""

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
        details = RuntimeDetails(
            ocpp_version="1.6",
            vendor=request["chargePointVendor"],
            model=request["chargePointModel"],
            serial_number=request.get("chargePointSerialNumber")
            or request.get("chargeBoxSerialNumber", ""),
            firmware_version=request.get("firmwareVersion", ""),
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
                ocpp_version="1.6",
                vendor=details.vendor,
                model=details.model,
                serial_number=details.serial_number,
                firmware_version=details.firmware_version,
                status=status,
            )
        )
        interval = self.heartbeat_interval if status == "Accepted" else self.pending_interval
        return {"status": status, "currentTime": iso(now), "interval": interval}
