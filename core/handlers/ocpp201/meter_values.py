"""2.0.1 MeterValues: stored per EVSE (outside transactions; those come in TransactionEvent)."""

from __future__ import annotations

from typing import Any

from core.services.meter_values import from_ocpp201
from core.store.models import StoredMeterValues
from core.store.protocols import MeterValueStore


class MeterValues:
    def __init__(self, meter_values: MeterValueStore) -> None:
        self.meter_values = meter_values

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        evse = request["evseId"]
        await self.meter_values.add_meter_values(
            [
                StoredMeterValues(station_id, evse, None, mv)
                for mv in from_ocpp201(request["meterValue"])
            ]
        )
        return {}
