"""2.0.1 SetChargingProfile result: a profile the station accepted is what it now applies, so the
CSMS keeps the ones ISO 15118 smart charging builds on (see ``ev_charging``) — a TxProfile is the
limit the EV's schedule on that EVSE must keep, whoever set it (the CSMS for the EV's needs, or an
operator renegotiating, K16); a ChargingStationMaxProfile bounds every later profile. A refused
profile changes nothing: the station keeps applying the previous one."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from core.clock import Clock
from core.store.models import EvCharging
from core.store.protocols import EvChargingStore


class SetChargingProfileResult:
    def __init__(self, ev_charging: EvChargingStore, clock: Clock) -> None:
        self.ev_charging, self.clock = ev_charging, clock

    async def __call__(
        self, station_id: str, request: dict[str, Any], response: dict[str, Any], state: Any
    ) -> None:
        if response.get("status") != "Accepted":
            return
        profile = request["chargingProfile"]
        purpose, evse_id, now = (
            profile["chargingProfilePurpose"],
            request["evseId"],
            self.clock.now(),
        )
        if purpose == "ChargingStationMaxProfile":
            await self.ev_charging.set_ev_charging(EvCharging(station_id, 0, now, profile=profile))
        elif purpose == "TxProfile":
            tx_id = profile.get("transactionId", "")
            before = await self.ev_charging.lookup_ev_charging(station_id, evse_id)
            if before is None or before.transaction_id != tx_id:
                # Needs from another transaction are not this EV's.
                before = EvCharging(station_id, evse_id, now, transaction_id=tx_id)
            await self.ev_charging.set_ev_charging(replace(before, profile=profile, updated_at=now))
