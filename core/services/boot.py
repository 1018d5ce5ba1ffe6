"""The BootNotification rule shared by both versions.

A station is answered **Pending** when an operator asked for it (``pending_boot``), or when it has
settings or certificates waiting to be pushed — the CSMS configures it before normal operation
(OCPP-J 1.6 §6.2.2 "Setting the key over OCPP"; 2.0.1 B02). It is answered **Accepted** otherwise.
Unknown stations never get here: the gateway refuses them before the websocket upgrade. The
interval of a Pending answer is short so the station boots again soon after the push.
"""

from __future__ import annotations

from typing import Any

from core.clock import Clock, iso
from core.events import EventBus, StationBooted
from core.store.models import RuntimeDetails
from core.store.protocols import RuntimeStore, StationStore


class BootRule:
    def __init__(self, stations: StationStore) -> None:
        self._stations = stations

    async def status(self, station_id: str) -> str:
        return "Pending" if await self._stations.boot_pending(station_id) else "Accepted"


class BootRecorder:
    """What both versions' BootNotification handlers do once the request is read: decide the
    status, store the runtime details and settle RebootRequired settings (one job:
    ``RuntimeStore.record_boot``), publish the event, and build the reply."""

    def __init__(
        self,
        clock: Clock,
        runtime: RuntimeStore,
        rule: BootRule,
        events: EventBus,
        heartbeat_interval: int,
        pending_interval: int,
    ) -> None:
        self.clock, self.runtime = clock, runtime
        self.rule, self.events = rule, events
        self.heartbeat_interval, self.pending_interval = heartbeat_interval, pending_interval

    async def boot(self, station_id: str, details: RuntimeDetails) -> dict[str, Any]:
        now = self.clock.now()
        status = await self.rule.status(station_id)
        details.boot_status, details.last_boot_at, details.last_seen_at = status, now, now
        # The station has rebooted: settings that needed a reboot are now in effect.
        await self.runtime.record_boot(station_id, details)
        self.events.publish(
            StationBooted(
                station_id=station_id,
                at=now,
                ocpp_version=details.ocpp_version,
                vendor=details.vendor,
                model=details.model,
                serial_number=details.serial_number,
                firmware_version=details.firmware_version,
                status=status,
            )
        )
        interval = self.heartbeat_interval if status == "Accepted" else self.pending_interval
        return {"status": status, "currentTime": iso(now), "interval": interval}


class Heartbeat:
    """Heartbeat, identical in both versions: the time, and the station's last-seen timestamp.

    The answer confirms nothing stored, so it does not wait for a commit: the last-seen time is
    noted and written in bulk within a second (``RuntimeStore.note_seen``). Heartbeats are most
    of a fleet's messages; one commit each would be most of the store's work."""

    def __init__(self, clock: Clock, runtime: RuntimeStore) -> None:
        self.clock, self.runtime = clock, runtime

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        self.runtime.note_seen(station_id, now)
        return {"currentTime": iso(now)}
