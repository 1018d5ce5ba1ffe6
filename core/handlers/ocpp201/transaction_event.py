"""2.0.1 TransactionEvent.

Retries arrive with new message ids, so events are de-duplicated by (station, transactionId,
seqNo); a duplicate gets the same answer and changes nothing. seqNo gaps are legal (offline
stations may drop Updated events) and are recorded as a station event. Every lookup is scoped by
station: an event naming another station's transaction id creates/updates only this station's.

Cost (I02/I03). The final cost goes in ``totalCost`` of the answer to Ended — the only place the
2.0.1 schema allows it ("SHALL only be sent when charging has ended"). The running cost during
charging therefore goes in a CostUpdated CALL (I02.FR.01, TC_I_01), sent after a live event that
brings a new energy reading; the gateway holds it until the station has had its answer. I02 asks
for the running cost "updated at a relevant interval" (every Y seconds), not after every event:
a transaction's Started reading and its first Updated one get one at once, later ones only once
``tariff_service.running_cost_interval`` has passed since the last (0: after every one). A burst
of Updated events (one per trigger, a fast meter interval) would otherwise cost a CSMS call round
trip, a call record and four message-log rows each, for a display the driver reads now and then.
Events replayed from an offline queue get none: their cost is stale by the time they arrive, and
the next live reading brings the current one. Cost and energy are recomputed from every stored
reading on each new event of an ended transaction, so events arriving late or out of order
(offline replay) end with the same figures as in order."""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import datetime
from typing import Any

from core.clock import Clock, parse_iso
from core.events import EventBus, TransactionEnded, TransactionStarted, TransactionUpdated
from core.handlers.call_maker import CallMaker, CallRejectedError
from core.handlers.reservations import set_status
from core.ocpp.types import OcppVersion
from core.services.meter_values import from_ocpp201, latest
from core.services.protocols import Cost, TariffService, TokenAuthoriser
from core.store.energy import energy_between
from core.store.models import ReservationStatus, StationEvent, Transaction
from core.store.protocols import ReservationStore, StationEventStore, TransactionStore

log = logging.getLogger(__name__)


class RunningCostRefusals:
    """Stations that answered a CostUpdated with NotImplemented or NotSupported. Running cost is
    for stations that can show it (I02); one that says it cannot gets no more of them, instead
    of a refused call after every meter reading. Kept per process: after a restart a station
    costs one more refused call to be learnt again."""

    _CANNOT = frozenset({"NotImplemented", "NotSupported"})
    _KEPT = 100_000

    def __init__(self) -> None:
        self._stations: OrderedDict[str, None] = OrderedDict()

    def refused(self, station_id: str) -> bool:
        return station_id in self._stations

    async def __call__(
        self, station_id: str, request: dict[str, Any], code: str, description: str
    ) -> None:
        if code in self._CANNOT:
            self._stations[station_id] = None
            while len(self._stations) > self._KEPT:
                self._stations.popitem(last=False)


class RunningCostPacing:
    """When each running transaction was last sent its running cost, so that it gets one at most
    every ``interval_s`` seconds (I02: "every Y seconds"). Kept per process, one entry per
    running transaction, forgotten at its Ended and bounded (the oldest go first: a transaction
    whose Ended never came). Managers may be several: one that did not send the last CostUpdated
    of a transaction sends one more, sooner than the interval — harmless, a display refreshed
    early. Times come from the handler's clock (a test's clock moves when told); one that steps
    back makes the next reading due at once rather than silencing the display."""

    _KEPT = 100_000

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._sent: OrderedDict[tuple[str, str], datetime] = OrderedDict()

    def due(self, station_id: str, transaction_id: str, now: datetime) -> bool:
        if self.interval_s <= 0:
            return True
        last = self._sent.get((station_id, transaction_id))
        if last is None:
            return True
        elapsed = (now - last).total_seconds()
        return elapsed >= self.interval_s or elapsed < 0

    def sent(self, station_id: str, transaction_id: str, now: datetime) -> None:
        if self.interval_s <= 0:
            return  # every reading is due: nothing to remember
        key = (station_id, transaction_id)
        self._sent[key] = now
        self._sent.move_to_end(key)
        while len(self._sent) > self._KEPT:
            self._sent.popitem(last=False)

    def forget(self, station_id: str, transaction_id: str) -> None:
        self._sent.pop((station_id, transaction_id), None)

    def __len__(self) -> int:
        return len(self._sent)


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
        call_maker: CallMaker | None = None,
        cost_refusals: RunningCostRefusals | None = None,
        running_cost_interval_s: float = 30.0,
    ) -> None:
        self.clock, self.transactions, self.station_events = clock, transactions, station_events
        self.token_auth, self.tariff, self.events = token_auth, tariff, events
        self.reservations = reservations
        self.call_maker = call_maker  # None: no running cost is sent
        self.cost_refusals = cost_refusals or RunningCostRefusals()
        self.cost_pacing = RunningCostPacing(running_cost_interval_s)

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
        token_info = await self.token_auth.authorize_201(id_token) if id_token else None
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
            # The Ended event's token is the one that stopped it, not the one that authorised it.
            auth_status=token_info["status"] if token_info and event_type != "Ended" else "",
        )
        values = from_ocpp201(request.get("meterValue", []))
        tx, new = await self.transactions.apply_transaction_event(
            station_id, fields, event_type, seq_no, timestamp, values
        )
        response: dict[str, Any] = {}
        if token_info is not None:
            response["idTokenInfo"] = token_info
        if not new:  # a retry: the same answer, nothing recomputed
            if event_type == "Ended" and tx.cost is not None:
                response["totalCost"] = tx.cost
            return response
        cost: Cost | None = None
        if not tx.active:
            self.cost_pacing.forget(station_id, tx.transaction_id)  # no running cost any more
            # Every new event of an ended transaction (Ended itself, or one replayed late)
            # prices all the readings stored so far.
            cost = self._cost(tx)
            if cost is not None:
                await self.transactions.set_transaction_cost(
                    station_id, tx.transaction_id, cost.amount, cost.currency
                )
                if event_type == "Ended":
                    response["totalCost"] = cost.amount
        elif not fields.offline and latest(values, "Energy.Active.Import.Register") is not None:
            await self._send_running_cost(station_id, tx, event_type)
        await self._report_gaps(station_id, tx)
        self._publish(station_id, tx, event_type, values, cost)
        return response

    async def _send_running_cost(self, station_id: str, tx: Transaction, event_type: str) -> None:
        if self.call_maker is None or self.cost_refusals.refused(station_id):
            return
        now = self.clock.now()
        if not self.cost_pacing.due(station_id, tx.transaction_id, now):
            return  # the display has a recent enough figure; a later reading brings the next
        cost = self._cost(tx)
        if cost is None:
            return
        # Noted before the send, which awaits the store: an event handled meanwhile for the same
        # transaction sends no second one. A rejected call (a payload the schema refuses) is not
        # retried before the interval either: it would be refused again. A Started event's cost
        # (its first reading, usually nothing yet) does not start the interval: the first
        # Updated of a transaction — where I02 shows the running cost — always gets one.
        if event_type == "Updated":
            self.cost_pacing.sent(station_id, tx.transaction_id, now)
        try:
            await self.call_maker.send(
                station_id,
                "CostUpdated",
                {"totalCost": cost.amount, "transactionId": tx.transaction_id},
                version=OcppVersion.V201,
                origin="tariff",
            )
        except CallRejectedError as exc:  # the display misses one update; charging goes on
            log.warning("running cost for %s not sent: %s", station_id, exc)

    def _cost(self, tx: Transaction) -> Cost | None:
        """The cost of the energy between the register's bounds over every reading stored so
        far (the store keeps them as events come: reading the readings again would make each
        event of a long session cost more than the last)."""
        wh = energy_between(tx.register_wh)
        return None if wh is None else self.tariff.price(wh)

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
        cost: Cost | None,
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
                    energy_wh=None if cost is None else cost.energy_wh,
                    cost=None if cost is None else cost.amount,
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
