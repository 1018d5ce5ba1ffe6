"""What happened at the stations: reservations, CSMS-initiated calls, transactions (with
meter values and cost) and the message log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from core import limits
from core.application.base import ServiceBase
from core.application.errors import Conflict, Invalid, NotFound
from core.application.explanations import MessageExplainer
from core.application.rules import check_aware, check_int, check_opt_int
from core.application.views import (
    CallView,
    MessageView,
    MeterValueView,
    ReservationView,
    SampledValueView,
    TransactionDetail,
    TransactionSummary,
    call_view,
    message_view,
    reservation_view,
    tx_summary,
)
from core.store.energy import energy_between
from core.store.models import Transaction


class ActivityQueries(ServiceBase):
    """Reads of the stations' activity, newest first, paged and bounded."""

    async def list_reservations(
        self, station_id: str | None = None, active: bool | None = None, limit: int = 100
    ) -> list[ReservationView]:
        check_int(limit, limits.PAGE_LIMIT, "limit")
        now = self._clock.now()
        return [
            reservation_view(r, now)
            for r in await self._store.list_reservations(station_id, active, limit, now)
        ]

    # -- call records -------------------------------------------------------------------

    async def get_call(self, call_id: str) -> CallView:
        record = await self._store.lookup_call(call_id)
        if record is None:
            raise NotFound(f"no call with id {call_id}", field="callId")
        return call_view(record)

    async def wait_call(self, call_id: str, timeout: float) -> CallView:
        """Wait up to ``timeout`` seconds for a call to reach its final state."""
        try:
            return call_view(await self._calls.wait(call_id, timeout))
        except KeyError as exc:
            raise NotFound(f"no call with id {call_id}", field="callId") from exc

    async def list_calls(self, station_id: str | None = None, limit: int = 100) -> list[CallView]:
        check_int(limit, limits.PAGE_LIMIT, "limit")
        return [call_view(c) for c in await self._store.list_calls(station_id, limit)]

    # -- transactions -----------------------------------------------------------------------

    async def list_transactions(
        self,
        station_id: str | None = None,
        active: bool | None = None,
        since: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[TransactionSummary]:
        check_int(limit, limits.PAGE_LIMIT, "limit")
        check_int(offset, limits.ROW, "offset")
        check_aware(since, "since")
        txs = await self._store.list_transactions(station_id, active, since, limit, offset)
        out: list[TransactionSummary] = []
        for tx in txs:
            # A running one's energy and cost so far are its register bounds, not yet its row's.
            out.append(self._figures(tx) if tx.active else tx_summary(tx))
        return out

    def _figures(self, tx: Transaction) -> TransactionSummary:
        """The transaction with what its readings say where the row does not say it yet: a
        running one's energy and cost so far, a meter start recorded before it was derived for
        2.0.1. One rule for all of them (the register bounds the store keeps, which the tariff
        prices too: core.store.energy), so an energy is never missing beside a cost."""
        summary = tx_summary(tx)
        bounds = tx.register_wh
        if bounds is None:
            return summary
        update: dict[str, Any] = {}
        if summary.meter_start_wh is None:
            update["meter_start_wh"] = bounds[0]
        if summary.meter_stop_wh is None and not tx.active:
            update["meter_stop_wh"] = bounds[1]
        energy = energy_between(bounds)
        if summary.energy_wh is None:
            update["energy_wh"] = energy
        if summary.cost is None and self._tariff is not None and energy is not None:
            estimate = self._tariff.price(energy)
            update.update(cost=estimate.amount, currency=estimate.currency)
        return summary.model_copy(update=update)

    async def transaction_detail(
        self, transaction_id: str, station_id: str | None = None
    ) -> TransactionDetail:
        """A transaction with meter values and cost. Transaction ids are unique per station;
        without ``station_id`` the id must identify one transaction."""
        if station_id is None:
            matches = await self._find_transaction_stations(transaction_id)
            if not matches:
                raise NotFound(f"no transaction {transaction_id}", field="transactionId")
            if len(matches) > 1:
                raise Conflict(
                    f"transaction id {transaction_id} exists at {len(matches)} stations; "
                    "give the station",
                    field="station",
                )
            station_id = matches[0]
        tx = await self._store.find_transaction(station_id, transaction_id)
        if tx is None:
            raise NotFound(
                f"no transaction {transaction_id} at station {station_id}", field="transactionId"
            )
        meter_values = tx.meter_values
        if not meter_values:
            stored = await self._store.list_meter_values(station_id, transaction_id)
            meter_values = [s.meter_value for s in stored]
        return TransactionDetail(
            **self._figures(tx).model_dump(),
            trigger_reason=tx.trigger_reason,
            offline=tx.offline,
            remote_start_id=tx.remote_start_id,
            stop_id_token=tx.stop_id_token,
            seq_no_gaps=list(tx.seq_no_gaps),
            meter_values=[
                MeterValueView(
                    timestamp=mv.timestamp,
                    sampled_values=[
                        SampledValueView(
                            value=sv.value,
                            measurand=sv.measurand,
                            unit=sv.unit_of_measure.unit if sv.unit_of_measure else None,
                            phase=sv.phase,
                            context=sv.context,
                            location=sv.location,
                        )
                        for sv in mv.sampled_values
                    ],
                )
                for mv in meter_values
            ],
        )

    async def _find_transaction_stations(self, transaction_id: str) -> list[str]:
        found: list[str] = []
        offset, page = 0, 1000
        while True:
            txs = await self._store.list_transactions(limit=page, offset=offset)
            found.extend(t.station_id for t in txs if t.transaction_id == transaction_id)
            if len(txs) < page:
                return found
            offset += page

    # -- message log ------------------------------------------------------------------------

    async def list_messages(
        self,
        station_id: str | None = None,
        action: str | None = None,
        direction: Literal["in", "out"] | None = None,
        since: datetime | None = None,
        before_id: int | None = None,
        errors_only: bool = False,
        limit: int = 100,
    ) -> list[MessageView]:
        """Newest first; page backwards with ``before_id`` = the last id of the page."""
        check_int(limit, limits.PAGE_LIMIT, "limit")
        if direction not in (None, "in", "out"):
            raise Invalid("must be in or out", field="direction")
        check_opt_int(before_id, limits.ROW, "before")
        check_aware(since, "since")
        messages = await self._store.list_messages(
            station_id=station_id,
            action=action,
            direction=direction,
            since=since,
            before_id=before_id,
            errors_only=errors_only,
            limit=limit,
        )
        explanations = await MessageExplainer(self._store).explain_page(messages)
        return [message_view(m, e) for m, e in zip(messages, explanations, strict=True)]
