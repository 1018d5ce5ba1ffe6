"""1.6 StopTransaction: end this station's transaction (never another's), store the transaction
data, compute the cost. An unknown transaction is still answered (the station must not retry
forever); it is recorded as a station event."""

from __future__ import annotations

from typing import Any

from core.clock import Clock, parse_iso
from core.events import EventBus, TransactionEnded
from core.services.meter_values import from_ocpp16
from core.services.protocols import TariffService, TokenAuthoriser
from core.store.models import StationEvent
from core.store.protocols import StationEventStore, TransactionStore


class StopTransaction:
    def __init__(
        self,
        clock: Clock,
        transactions: TransactionStore,
        station_events: StationEventStore,
        token_auth: TokenAuthoriser,
        tariff: TariffService,
        events: EventBus,
    ) -> None:
        self.clock, self.transactions, self.station_events = clock, transactions, station_events
        self.token_auth, self.tariff, self.events = token_auth, tariff, events

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        tx_id = str(request["transactionId"])
        tx = await self.transactions.stop_transaction_16(
            station_id,
            tx_id,
            float(request["meterStop"]),
            parse_iso(request["timestamp"]),
            request.get("reason", "Local"),
            request.get("idTag", ""),
            from_ocpp16(request.get("transactionData", [])),
        )
        if tx is None:
            await self.station_events.add_station_event(
                StationEvent(
                    station_id, self.clock.now(), "UnknownTransaction", {"transactionId": tx_id}
                )
            )
        else:
            cost = self.tariff.cost(tx.meter_values)
            if cost is not None:
                await self.transactions.set_transaction_cost(
                    station_id, tx_id, cost.amount, cost.currency
                )
            self.events.publish(
                TransactionEnded(
                    station_id=station_id,
                    at=self.clock.now(),
                    transaction_id=tx_id,
                    stopped_reason=tx.stopped_reason,
                    energy_wh=None if cost is None else cost.energy_wh,
                    cost=None if cost is None else cost.amount,
                )
            )
        response: dict[str, Any] = {}
        if "idTag" in request:
            response["idTagInfo"] = await self.token_auth.authorize_16(request["idTag"])
        return response
