"""1.6 MeterValues: stored, in or out of a transaction (scoped to this station)."""

from __future__ import annotations

from typing import Any

from core.clock import Clock
from core.events import EventBus, TransactionUpdated
from core.services.meter_values import from_ocpp16, latest
from core.store.models import StoredMeterValues
from core.store.protocols import MeterValueStore, TransactionStore


class MeterValues:
    def __init__(
        self,
        clock: Clock,
        meter_values: MeterValueStore,
        transactions: TransactionStore,
        events: EventBus,
    ) -> None:
        self.clock, self.meter_values = clock, meter_values
        self.transactions, self.events = transactions, events

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        connector = request["connectorId"]
        tx_id: str | None = str(request["transactionId"]) if "transactionId" in request else None
        if (
            tx_id is not None
            and await self.transactions.find_transaction(station_id, tx_id, readings=False) is None
        ):
            tx_id = None  # another station's or an unknown transaction: keep the values unlinked
        values = from_ocpp16(request["meterValue"])
        await self.meter_values.add_meter_values(
            [StoredMeterValues(station_id, connector, tx_id, mv) for mv in values]
        )
        if tx_id is not None:
            self.events.publish(
                TransactionUpdated(
                    station_id=station_id,
                    at=self.clock.now(),
                    transaction_id=tx_id,
                    energy_wh=latest(values, "Energy.Active.Import.Register"),
                    power_w=latest(values, "Power.Active.Import"),
                )
            )
        return {}
