"""Closing a transaction its station will never end.

A station that was replaced, reset to factory settings or lost its queue keeps a transaction
"charging" for ever: the CSMS shows it active, OCPI never gets its CDR, the connector's token
stays busy. An operator closes it with a reason. The close is recorded three ways — the row
(ended now, stopped reason ``Other``, the reason kept), a station event naming who closed it, and
the ``TransactionEnded`` event every console and the OCPI pusher listen to — and it prices the
energy known so far. If the station does send its stop after all, its figures replace the close
(see :meth:`core.store.protocols.TransactionStore.close_transaction`).
"""

from __future__ import annotations

from core import limits
from core.application.base import ServiceBase
from core.application.errors import Conflict, NotFound
from core.application.rules import check_length
from core.application.views import TransactionSummary, tx_summary
from core.events import TransactionEnded
from core.store.models import StationEvent


class TransactionAdmin(ServiceBase):
    async def close_transaction(
        self, station_id: str, transaction_id: str, reason: str, origin: str = "api"
    ) -> TransactionSummary:
        """End an active transaction as an operator decided, with their ``reason``.

        NotFound for an unknown transaction; Conflict when it has ended already (closing is
        for transactions the station will never end, not for rewriting how one ended)."""
        reason = check_length(reason.strip(), limits.CLOSE_REASON, "reason")
        check_length(transaction_id, limits.TRANSACTION_ID_TEXT, "transactionId")
        now = self._clock.now()
        closed = await self._store.close_transaction(station_id, transaction_id, now, reason)
        if closed is None:
            raise NotFound(
                f"no transaction {transaction_id} at station {station_id}", field="transactionId"
            )
        tx, done = closed
        if not done:
            raise Conflict(
                f"transaction {transaction_id} at {station_id} has ended already",
                field="transactionId",
            )
        cost = self._tariff.cost(tx.meter_values) if self._tariff is not None else None
        if cost is not None:
            await self._store.set_transaction_cost(
                station_id, transaction_id, cost.amount, cost.currency
            )
            tx.cost, tx.currency = cost.amount, cost.currency
        await self._store.add_station_event(
            StationEvent(
                station_id,
                now,
                "TransactionClosed",
                {"transactionId": transaction_id, "reason": reason, "by": origin},
            )
        )
        self._events.publish(
            TransactionEnded(
                station_id=station_id,
                at=now,
                transaction_id=transaction_id,
                stopped_reason=tx.stopped_reason,
                energy_wh=None if cost is None else cost.energy_wh,
                cost=None if cost is None else cost.amount,
            )
        )
        return tx_summary(tx)
