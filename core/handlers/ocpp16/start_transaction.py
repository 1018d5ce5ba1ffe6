"""1.6 StartTransaction.

Every started transaction is stored, as the seed does: a station may run one the CSMS refuses (it
started offline, or StopTransactionOnInvalidId is false), and its MeterValues and StopTransaction
must then belong to something, so the energy is never lost. A refused one is marked with the
idTagInfo status (not authorised) and still gets a real transactionId. A retry of the same start
(station, connector, idTag, timestamp) gets the same transactionId back."""

from __future__ import annotations

import secrets
from typing import Any

from core.clock import Clock, parse_iso
from core.events import EventBus, TransactionStarted
from core.handlers.reservations import set_status
from core.services.protocols import TokenAuthoriser
from core.store.models import ReservationStatus
from core.store.protocols import ReservationStore, TransactionStore


class StartTransaction:
    def __init__(
        self,
        clock: Clock,
        transactions: TransactionStore,
        token_auth: TokenAuthoriser,
        events: EventBus,
        reservations: ReservationStore | None = None,
    ) -> None:
        self.clock, self.transactions = clock, transactions
        self.token_auth, self.events = token_auth, events
        self.reservations = reservations

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        info = await self.token_auth.authorize_16(request["idTag"])
        tx_id, created = await self.transactions.start_transaction_16(
            station_id,
            request["connectorId"],
            request["idTag"],
            float(request["meterStart"]),
            parse_iso(request["timestamp"]),
            secrets.randbelow(2**31 - 2) + 1,
            auth_status=info["status"],
        )
        if created and self.reservations is not None and "reservationId" in request:
            await set_status(
                self.reservations,
                self.clock,
                station_id,
                request["reservationId"],
                ReservationStatus.USED,
            )
        if created:
            self.events.publish(
                TransactionStarted(
                    station_id=station_id,
                    at=self.clock.now(),
                    transaction_id=str(tx_id),
                    id_token=request["idTag"],
                    evse_id=request["connectorId"],
                    connector_id=request["connectorId"],
                )
            )
        return {"idTagInfo": info, "transactionId": tx_id}
