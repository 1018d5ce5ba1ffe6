"""2.0.1 NotifyEVChargingSchedule (K15-K17, ISO 15118): the schedule the EV chose is checked
against the TxProfile the station accepted for the EVSE's transaction — whether the CSMS made it
from the EV's needs or an operator set it. Within its limits: Accepted (K16.FR.06). Beyond them:
Rejected (K16.FR.07), and the CSMS renegotiates (K16.FR.08) by sending the profile for the EV's
needs again; the station then renegotiates with the EV (K16.FR.02).

With no accepted profile for the transaction the CSMS has set no limit the schedule could break,
so it is Accepted (the station checked it against its own limits, K16.FR.04)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from core.clock import Clock, parse_iso
from core.events import EventBus
from core.handlers.call_maker import CallRejectedError
from core.handlers.ocpp201.ev_charging import ProfileOffer, UnusableNeeds, schedule_excess
from core.handlers.station_events import RecordStationEvent
from core.store.protocols import EvChargingStore, StationEventStore, TransactionStore

log = logging.getLogger(__name__)

# Renegotiations after rejected schedules, in a row, before the CSMS only answers Rejected: an
# EV that keeps choosing a schedule beyond the limits would otherwise keep SetChargingProfile
# and NotifyEVChargingSchedule going round for the whole session.
MAX_RENEGOTIATIONS = 3


class NotifyEVChargingSchedule:
    def __init__(
        self,
        clock: Clock,
        transactions: TransactionStore,
        ev_charging: EvChargingStore,
        station_events: StationEventStore,
        events: EventBus,
        offer: ProfileOffer,
    ) -> None:
        self.clock, self.transactions, self.ev_charging = clock, transactions, ev_charging
        self.record = RecordStationEvent("NotifyEVChargingSchedule", clock, station_events, events)
        self.offer = offer

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        await self.record(station_id, request)
        evse_id = request["evseId"]
        state = await self.ev_charging.lookup_ev_charging(station_id, evse_id)
        if state is None or state.profile is None:
            return {"status": "Accepted"}
        active = await self.transactions.list_transactions(station_id, active=True)
        if not any(
            t.evse_id == evse_id and t.transaction_id == state.profile.get("transactionId")
            for t in active
        ):
            # The profile was for a transaction that is over: it limits nothing any more.
            return {"status": "Accepted"}
        excess = schedule_excess(request["chargingSchedule"], parse_iso(request["timeBase"]), state)
        if excess is None:
            if state.rejections:
                await self.ev_charging.set_ev_charging(
                    replace(state, rejections=0, updated_at=self.clock.now())
                )
            return {"status": "Accepted"}
        state = replace(state, rejections=state.rejections + 1, updated_at=self.clock.now())
        await self.ev_charging.set_ev_charging(state)
        if state.needs is not None and state.rejections <= MAX_RENEGOTIATIONS:
            try:
                await self.offer.send(state)
            except (UnusableNeeds, CallRejectedError) as exc:
                log.warning("no renegotiation for %s EVSE %s: %s", station_id, evse_id, exc)
        return {
            "status": "Rejected",
            "statusInfo": {"reasonCode": "InvalidSchedule", "additionalInfo": excess[:1024]},
        }
