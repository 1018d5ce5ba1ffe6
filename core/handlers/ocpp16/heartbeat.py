"""1.6 Heartbeat: the time, and the station's last-seen timestamp."""

from __future__ import annotations

from typing import Any

from core.clock import Clock, iso
from core.store.protocols import RuntimeStore


class Heartbeat:
    def __init__(self, clock: Clock, runtime: RuntimeStore) -> None:
        self.clock, self.runtime = clock, runtime

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        await self.runtime.touch_station(station_id, now)
        return {"currentTime": iso(now)}
