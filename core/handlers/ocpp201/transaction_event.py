"""2.0.1 TransactionEvent.

Retries arrive with new message ids, so events are de-duplicated by (station, transactionId,
seqNo); a duplicate gets the same answer and changes nothing. seqNo gaps are legal (offline
stations may drop Updated events) and are recorded as a station event. Every lookup is scoped by
station: an event naming another station's transaction id creates/updates only this station's."""

from __future__ import annotations

from typing import Any

from core.clock import Clock, parse_iso
from core.events import EventBus, TransactionEnded, TransactionStarted, TransactionUpdated
from core.handlers.reservations import set_status
from core.services.meter_values import from_ocpp201, latest
from core.services.protocols import TariffService, TokenAuthoriser
from core.store.models import ReservationStatus, StationEvent, Transaction
from core.store.protocols import ReservationStore, StationEventStore, TransactionStore


class TransactionEvent:
    def __init__(
        self,
        clock: Clock,
        transactions: TransactionStore,
        station_events: StationEventStore,
        token_auth: TokenAuthoriser,
        tariff: TariffService,
        events: EventBus,
        reservations: ReservationStore | None = None,
    ) -> None:
        self.clock, self.transactions, self.station_events = clock, transactions, station_events
        self.token_auth, self.tariff, self.events = token_auth, tariff, events
        self.reservations = reservations

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        info = request["transactionInfo"]
        event_type, seq_no = request["eventType"], request["seqNo"]
        if self.reservations is not None and "reservationId" in request:
            await set_status(
                self.reservations,
                self.clock,
                station_id,
                request["reservationId"],
                ReservationStatus.USED,
            )
        timestamp = parse_iso(request["timestamp"])
        evse = request.get("evse", {})
        id_token = request.get("idToken", {})
        fields = Transaction(
            station_id=station_id,
            transaction_id=info["transactionId"],
            id_token=id_token.get("idToken", "") if event_type != "Ended" else "",
            token_type=id_token.get("type", "") if event_type != "Ended" else "",
            evse_id=evse.get("id", 0),
            connector_id=evse.get("connectorId", 0),
            offline=request.get("offline", False),
            trigger_reason=request["triggerReason"],
            charging_state=info.get("chargingState", ""),
            stopped_reason=info.get("stoppedReason", "Local" if event_type == "Ended" else ""),
            remote_start_id=info.get("remoteStartId"),
            stop_id_token=id_token.get("idToken", "") if event_type == "Ended" else "",
        )
        values = from_ocpp201(request.get("meterValue", []))
        tx, new = await self.transactions.apply_transaction_event(
            station_id, fields, event_type, seq_no, timestamp, values
        )
        response: dict[str, Any] = {}
        if id_token:
            response["idTokenInfo"] = await self.token_auth.authorize_201(id_token)
        if event_type == "Ended":
            stored = await self.transactions.find_transaction(station_id, tx.transaction_id)
            cost = self.tariff.cost(stored.meter_values if stored else values)
            if cost is not None:
                response["totalCost"] = cost.amount
                if new:
                    await self.transactions.set_transaction_cost(
                        station_id, tx.transaction_id, cost.amount, cost.currency
                    )
        if new:
            await self._report_gaps(station_id, tx)
            self._publish(station_id, tx, event_type, values, response.get("totalCost"))
        return response

    async def _report_gaps(self, station_id: str, tx: Transaction) -> None:
        new_gaps = tx.new_gaps
        if new_gaps:
            await self.station_events.add_station_event(
                StationEvent(
                    station_id,
                    self.clock.now(),
                    "SeqNoGap",
                    {"transactionId": tx.transaction_id, "missing": new_gaps[:100]},
                )
            )

    def _publish(
        self,
        station_id: str,
        tx: Transaction,
        event_type: str,
        values: list[Any],
        cost: float | None,
    ) -> None:
        now = self.clock.now()
        if event_type == "Started":
            self.events.publish(
                TransactionStarted(
                    station_id=station_id,
                    at=now,
                    transaction_id=tx.transaction_id,
                    id_token=tx.id_token,
                    evse_id=tx.evse_id,
                    connector_id=tx.connector_id,
                )
            )
        elif event_type == "Ended":
            self.events.publish(
                TransactionEnded(
                    station_id=station_id,
                    at=now,
                    transaction_id=tx.transaction_id,
                    stopped_reason=tx.stopped_reason,
                    energy_wh=latest(values, "Energy.Active.Import.Register"),
                    cost=cost,
                )
            )
        else:
            self.events.publish(
                TransactionUpdated(
                    station_id=station_id,
                    at=now,
                    transaction_id=tx.transaction_id,
                    energy_wh=latest(values, "Energy.Active.Import.Register"),
                    power_w=latest(values, "Power.Active.Import"),
                )
            )
