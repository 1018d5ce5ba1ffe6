"""Notifications that carry station information to record: 1.6 firmware, diagnostics and log
status, security events, and the 2.0.1 messages recorded before they are answered. Each becomes a
station event (stored, then published).

Shared by both versions' routing tables, so it lives beside them rather than in one of them: a
version's handlers never import the other version's (an import-linter contract holds that)."""

from __future__ import annotations

from typing import Any

from core.clock import Clock
from core.events import EventBus, StationEventRecorded
from core.store.models import StationEvent
from core.store.protocols import StationEventStore


class RecordStationEvent:
    """Store the request as a station event of ``event_type`` and answer ``{}``."""

    def __init__(
        self, event_type: str, clock: Clock, station_events: StationEventStore, events: EventBus
    ) -> None:
        self.event_type, self.clock = event_type, clock
        self.station_events, self.events = station_events, events

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        await self.station_events.add_station_event(
            StationEvent(station_id, now, self.event_type, request)
        )
        self.events.publish(
            StationEventRecorded(
                station_id=station_id, at=now, event_type=self.event_type, detail=request
            )
        )
        return {}
