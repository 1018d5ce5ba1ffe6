"""Reservations, both versions: the answers to ReserveNow and CancelReservation, 2.0.1
ReservationStatusUpdate, and a transaction starting on a reservation.

The reservation id is ours (the store's sequence); a station may only touch its own reservations
— an id naming another station's reservation is ignored, never applied."""

from __future__ import annotations

import logging
from typing import Any

from core.clock import Clock
from core.events import EventBus, StationEventRecorded
from core.store.models import ReservationStatus, StationEvent
from core.store.protocols import ReservationStore, StationEventStore

log = logging.getLogger(__name__)

# 1.6 ReserveNow carries ``reservationId``; 2.0.1 carries ``id``.
_ID_KEYS = ("reservationId", "id")


def _reservation_id(request: dict[str, Any]) -> int | None:
    for key in _ID_KEYS:
        if isinstance(request.get(key), int):
            return int(request[key])
    return None


def answered_status(response: dict[str, Any]) -> ReservationStatus:
    """The reservation's status after a ReserveNow answer (an unknown one counts as Failed)."""
    try:
        return ReservationStatus(response.get("status", ""))
    except ValueError:
        return ReservationStatus.FAILED


async def set_status(
    store: ReservationStore,
    clock: Clock,
    station_id: str,
    reservation_id: int | None,
    status: ReservationStatus,
) -> bool:
    """Apply ``status`` if the reservation exists and belongs to ``station_id``."""
    if reservation_id is None:
        return False
    reservation = await store.lookup_reservation(reservation_id)
    if reservation is None or reservation.station_id != station_id:
        log.warning(
            "%s named reservation %s, which is not one of its own", station_id, reservation_id
        )
        return False
    await store.set_reservation_status(reservation_id, status, clock.now())
    return True


class ReserveNowResult:
    """Accepted holds the reservation; Faulted / Occupied / Rejected / Unavailable end it."""

    def __init__(self, store: ReservationStore, clock: Clock) -> None:
        self.store, self.clock = store, clock

    async def __call__(
        self, station_id: str, request: dict[str, Any], response: dict[str, Any], state: Any
    ) -> None:
        status = answered_status(response)
        await set_status(self.store, self.clock, station_id, _reservation_id(request), status)


class CancelReservationResult:
    """Accepted: the reservation is over; Rejected: it stands (the station may not know it)."""

    def __init__(self, store: ReservationStore, clock: Clock) -> None:
        self.store, self.clock = store, clock

    async def __call__(
        self, station_id: str, request: dict[str, Any], response: dict[str, Any], state: Any
    ) -> None:
        if response.get("status") == "Accepted":
            await set_status(
                self.store,
                self.clock,
                station_id,
                _reservation_id(request),
                ReservationStatus.CANCELLED,
            )


class ReserveNowError:
    """A CALLERROR or no answer: the station holds nothing for us."""

    def __init__(self, store: ReservationStore, clock: Clock) -> None:
        self.store, self.clock = store, clock

    async def __call__(
        self, station_id: str, request: dict[str, Any], code: str, description: str
    ) -> None:
        await set_status(
            self.store, self.clock, station_id, _reservation_id(request), ReservationStatus.FAILED
        )


class ReservationStatusUpdate:
    """2.0.1: the station ended a reservation (Expired or Removed); kept as a station event too."""

    def __init__(
        self,
        store: ReservationStore,
        station_events: StationEventStore,
        clock: Clock,
        events: EventBus,
    ) -> None:
        self.store, self.station_events = store, station_events
        self.clock, self.events = clock, events

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        status = ReservationStatus(request["reservationUpdateStatus"])
        await set_status(self.store, self.clock, station_id, request["reservationId"], status)
        now = self.clock.now()
        await self.station_events.add_station_event(
            StationEvent(station_id, now, "ReservationStatusUpdate", request)
        )
        self.events.publish(
            StationEventRecorded(
                station_id=station_id,
                at=now,
                event_type="ReservationStatusUpdate",
                detail=request,
            )
        )
        return {}
