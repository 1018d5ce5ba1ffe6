"""2.0.1 NotifyEVChargingNeeds (K15 and K17, ISO 15118): the EV's needs are recorded, and when
the EVSE has a transaction and the needs carry the EV's AC or DC parameters (K15.FR.06), the
answer is Accepted and a TxProfile within the known limits (see ``ev_charging``) is sent with
SetChargingProfile (K15.FR.07). Otherwise Rejected (K15.FR.04): there is no schedule to give.

The same holds when the EV renegotiates (K17) and when the station reports new needs after a
renegotiation the CSMS started (K16): the needs are the latest, so the profile is made anew.

SetChargingProfile goes through the call maker while the station's call is being answered; the
gateway holds it until the answer is out (one CALL per direction), as the station expects it."""

from __future__ import annotations

import logging
from typing import Any

from core.clock import Clock
from core.events import EventBus
from core.handlers.call_maker import CallRejectedError
from core.handlers.ocpp201.ev_charging import ProfileOffer, UnusableNeeds
from core.handlers.station_events import RecordStationEvent
from core.store.models import EvCharging
from core.store.protocols import EvChargingStore, StationEventStore, TransactionStore

log = logging.getLogger(__name__)


def rejected(reason: str, detail: str) -> dict[str, Any]:
    return {"status": "Rejected", "statusInfo": {"reasonCode": reason, "additionalInfo": detail}}


class NotifyEVChargingNeeds:
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
        self.record = RecordStationEvent("NotifyEVChargingNeeds", clock, station_events, events)
        self.offer = offer

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        await self.record(station_id, request)
        evse_id = request["evseId"]
        if request.get("maxScheduleTuples", 1) < 1:
            return rejected("InvalidValue", "maxScheduleTuples leaves no room for a period")
        active = await self.transactions.list_transactions(station_id, active=True)
        tx = next((t for t in active if t.evse_id == evse_id), None)
        if tx is None:
            # A TxProfile names its transaction (K15.FR.07): none on the EVSE, no schedule.
            return rejected("TxNotFound", f"no transaction on EVSE {evse_id}")
        before = await self.ev_charging.lookup_ev_charging(station_id, evse_id)
        # The profile the station accepted for this transaction stays the limit an EV schedule
        # is checked against until it accepts the new one (the SetChargingProfile result).
        profile = None
        if before is not None and before.transaction_id == tx.transaction_id:
            profile = before.profile
        # New needs start a new negotiation: earlier rejections no longer count.
        state = EvCharging(
            station_id,
            evse_id,
            self.clock.now(),
            transaction_id=tx.transaction_id,
            needs=request,
            profile=profile,
        )
        try:
            await self.offer.send(state)
        except UnusableNeeds as exc:
            return rejected("MissingParam", str(exc))
        except CallRejectedError as exc:
            log.warning("no charging profile for %s EVSE %s: %s", station_id, evse_id, exc)
            return rejected("InternalError", "the charging profile could not be sent")
        await self.ev_charging.set_ev_charging(state)
        return {"status": "Accepted"}
