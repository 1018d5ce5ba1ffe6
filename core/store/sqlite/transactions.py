"""Transactions: 1.6 start/stop and 2.0.1 TransactionEvents folded into one row each."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from core.store.energy import RegisterSpan
from core.store.models import MeterValue, SampledValue, Transaction, UnitOfMeasure
from core.store.sqlite.codecs import dumps, from_ts, ts, upsert
from core.store.sqlite.engine import SqliteEngine
from core.store.sqlite.meter_values import insert_meter_values, keep_span, load_readings


class SqliteTransactionStore(SqliteEngine):
    _TX_COLS = (
        "station_id, transaction_id, id_token, token_type, evse_id, connector_id, started_at,"
        " ended_at, meter_start_wh, meter_stop_wh, start_seq_no, ended_seq_no,"
        " updated_seq_no_count, last_seq_no, seq_no_gaps, offline, trigger_reason,"
        " charging_state, stopped_reason, remote_start_id, stop_id_token, cost, currency,"
        " auth_status, close_reason, register_span"
    )

    def _read_tx(
        self, c: sqlite3.Connection, r: tuple[Any, ...]
    ) -> tuple[Transaction, RegisterSpan]:
        """A transaction row (``_TX_COLS``) and its register span, which also gives the
        transaction its ``register_wh``. A span not known (a row from before spans were kept)
        is read from the readings once and kept."""
        tx = self._tx(r)
        if r[-1] is not None:  # register_span, the last of _TX_COLS
            span = RegisterSpan.from_text(r[-1])
        else:
            span = RegisterSpan.of(load_readings(c, tx.station_id, tx.transaction_id))
            keep_span(c, tx.station_id, tx.transaction_id, span)
        tx.register_wh = span.bounds()
        return tx, span

    @staticmethod
    def _tx(r: tuple[Any, ...]) -> Transaction:
        return Transaction(
            station_id=r[0],
            transaction_id=r[1],
            id_token=r[2],
            token_type=r[3],
            evse_id=r[4],
            connector_id=r[5],
            started_at=from_ts(r[6]),
            ended_at=from_ts(r[7]),
            meter_start_wh=r[8],
            meter_stop_wh=r[9],
            start_seq_no=r[10],
            ended_seq_no=r[11],
            updated_seq_no_count=r[12],
            last_seq_no=r[13],
            seq_no_gaps=orjson.loads(r[14]),
            offline=bool(r[15]),
            trigger_reason=r[16],
            charging_state=r[17],
            stopped_reason=r[18],
            remote_start_id=r[19],
            stop_id_token=r[20],
            cost=r[21],
            currency=r[22],
            auth_status=r[23],
            close_reason=r[24],
        )

    def _find_tx(
        self, c: sqlite3.Connection, station_id: str, tx_id: str, *, to_change: bool = True
    ) -> tuple[Transaction, RegisterSpan] | None:
        """The transaction and its span; ``to_change``: locked until the job commits (see
        FOR_UPDATE), for a job that writes it back."""
        lock = self.FOR_UPDATE if to_change else ""
        r = c.execute(
            f"SELECT {self._TX_COLS} FROM transactions WHERE station_id=? AND transaction_id=?"
            + lock,
            (station_id, tx_id),
        ).fetchone()
        return None if r is None else self._read_tx(c, r)

    def _first_row(
        self, c: sqlite3.Connection, station_id: str, tx_id: str
    ) -> tuple[Transaction, RegisterSpan]:
        """The row of a transaction not stored yet, inserted bare and locked before the first
        event is merged into it. A twin job making the same transaction at the same moment
        (another of its events, handled by another manager) then waits for this job's commit
        and merges into what it stored; both would otherwise merge into nothing, and the later
        upsert erase the other's event and readings. Its span is read from readings that came
        before it (see _read_tx)."""
        c.execute(
            "INSERT INTO transactions (station_id, transaction_id) VALUES (?,?)"
            " ON CONFLICT DO NOTHING",
            (station_id, tx_id),
        )
        found = self._find_tx(c, station_id, tx_id)
        assert found is not None  # inserted just now, or by the twin that was first
        return found

    def _save_tx(self, c: sqlite3.Connection, tx: Transaction, span: RegisterSpan) -> None:
        """Upsert ``tx`` with ``span``, its readings' span after this job's writes."""
        c.execute(
            upsert("transactions", self._TX_COLS, "station_id, transaction_id"),
            (
                tx.station_id,
                tx.transaction_id,
                tx.id_token,
                tx.token_type,
                tx.evse_id,
                tx.connector_id,
                ts(tx.started_at),
                ts(tx.ended_at),
                tx.meter_start_wh,
                tx.meter_stop_wh,
                tx.start_seq_no,
                tx.ended_seq_no,
                tx.updated_seq_no_count,
                tx.last_seq_no,
                dumps(tx.seq_no_gaps),
                int(tx.offline),
                tx.trigger_reason,
                tx.charging_state,
                tx.stopped_reason,
                tx.remote_start_id,
                tx.stop_id_token,
                tx.cost,
                tx.currency,
                tx.auth_status,
                tx.close_reason,
                span.to_text(),
            ),
        )

    async def start_transaction_16(
        self,
        station_id: str,
        connector_id: int,
        id_token: str,
        meter_start_wh: float,
        timestamp: datetime,
        new_transaction_id: int,
        auth_status: str = "Accepted",
    ) -> tuple[int, bool]:
        start_key = (station_id, connector_id, id_token, ts(timestamp))

        def started(c: sqlite3.Connection) -> int | None:
            row = c.execute(
                "SELECT transaction_id FROM tx16_starts WHERE station_id=? AND connector_id=?"
                " AND id_tag=? AND timestamp=?",
                start_key,
            ).fetchone()
            return None if row is None else int(row[0])

        def job(c: sqlite3.Connection) -> tuple[int, bool]:
            existing = started(c)
            if existing is not None:
                return existing, False
            tx_id = new_transaction_id
            # Transaction ids must be unique per station forever (E01.FR.08 spirit for 1.6 too).
            while c.execute(
                "SELECT 1 FROM transactions WHERE station_id=? AND transaction_id=?",
                (station_id, str(tx_id)),
            ).fetchone():
                tx_id = (tx_id * 7 + 1) % 2_147_483_647 or 1
            # The same start may be stored meanwhile by another manager (PostgreSQL: a resent
            # StartTransaction handled twice at once); its insert then waits for that one's
            # commit and does nothing, and the answer is the transaction it stored.
            if not c.execute(
                "INSERT INTO tx16_starts (station_id, connector_id, id_tag, timestamp,"
                " transaction_id) VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING RETURNING 1",
                (*start_key, tx_id),
            ).fetchall():
                stored = started(c)
                assert stored is not None  # the conflicting row, committed
                return stored, False
            begin = MeterValue(
                timestamp,
                [
                    SampledValue(
                        value=meter_start_wh,
                        context="Transaction.Begin",
                        measurand="Energy.Active.Import.Register",
                        location="Outlet",
                        unit_of_measure=UnitOfMeasure("Wh", 0),
                    )
                ],
            )
            tx = Transaction(
                station_id=station_id,
                transaction_id=str(tx_id),
                id_token=id_token,
                token_type="ISO14443",
                evse_id=connector_id,
                connector_id=connector_id,
                started_at=timestamp,
                meter_start_wh=meter_start_wh,
                start_seq_no=0,
                last_seq_no=0,
                trigger_reason="Authorized",
                charging_state="Charging",
                auth_status=auth_status,
            )
            self._save_tx(c, tx, RegisterSpan.of([begin]))
            insert_meter_values(c, station_id, connector_id, str(tx_id), [begin])
            return tx_id, True

        return await self.run(job)

    async def stop_transaction_16(
        self,
        station_id: str,
        transaction_id: str,
        meter_stop_wh: float,
        timestamp: datetime,
        reason: str,
        id_token: str,
        meter_values: Sequence[MeterValue],
    ) -> Transaction | None:
        def job(c: sqlite3.Connection) -> Transaction | None:
            found = self._find_tx(c, station_id, transaction_id)
            if found is None:
                return None
            tx, span = found
            # A retried StopTransaction: already done. (An operator's close sets only ended_at:
            # the station's own stop, when it does come, replaces the operator's guess.)
            if tx.ended_seq_no is not None:
                tx.meter_values = load_readings(c, station_id, transaction_id)
                return tx
            end = MeterValue(
                timestamp,
                [
                    SampledValue(
                        value=meter_stop_wh,
                        context="Transaction.End",
                        measurand="Energy.Active.Import.Register",
                        location="Outlet",
                        unit_of_measure=UnitOfMeasure("Wh", 0),
                    )
                ],
            )
            insert_meter_values(c, station_id, tx.evse_id, transaction_id, [*meter_values, end])
            tx.ended_at = timestamp
            tx.meter_stop_wh = meter_stop_wh
            tx.stopped_reason = reason or "Local"
            tx.stop_id_token = id_token
            tx.charging_state = "Idle"
            tx.ended_seq_no = (tx.last_seq_no or 0) + 1
            tx.last_seq_no = tx.ended_seq_no
            span = span.add([*meter_values, end])
            tx.register_wh = span.bounds()
            self._save_tx(c, tx, span)
            tx.meter_values = load_readings(c, station_id, transaction_id)
            return tx

        return await self.run(job)

    async def apply_transaction_event(
        self,
        station_id: str,
        transaction: Transaction,
        event_type: str,
        seq_no: int,
        timestamp: datetime,
        meter_values: Sequence[MeterValue],
    ) -> tuple[Transaction, bool]:
        tx_id = transaction.transaction_id

        def job(c: sqlite3.Connection) -> tuple[Transaction, bool]:
            inserted = c.execute(
                "INSERT INTO transaction_events (station_id, transaction_id, seq_no,"
                " event_type, timestamp) VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
                (station_id, tx_id, seq_no, event_type, ts(timestamp)),
            ).rowcount
            found = self._find_tx(c, station_id, tx_id)
            if found is not None and not inserted:
                return found[0], False
            tx, span = found or self._first_row(c, station_id, tx_id)
            _merge_event(tx, transaction, event_type, seq_no, timestamp)
            _track_gaps(tx, c, station_id, tx_id, seq_no)
            evse = transaction.evse_id or tx.evse_id
            insert_meter_values(c, station_id, evse, tx_id, meter_values)
            # Meter start/stop from every reading stored so far (their span), not from this
            # event's: events replayed out of order (or a late Updated after Ended) then give
            # the same figures.
            span = span.add(meter_values)
            tx.register_wh = span.bounds()
            if tx.register_wh is not None:
                tx.meter_start_wh = tx.register_wh[0]
                tx.meter_stop_wh = None if tx.active else tx.register_wh[1]
            self._save_tx(c, tx, span)
            return tx, True

        return await self.run(job)

    async def close_transaction(
        self, station_id: str, transaction_id: str, at: datetime, reason: str
    ) -> tuple[Transaction, bool] | None:
        def job(c: sqlite3.Connection) -> tuple[Transaction, bool] | None:
            found = self._find_tx(c, station_id, transaction_id)
            if found is None:
                return None
            tx, span = found
            tx.meter_values = load_readings(c, station_id, transaction_id)
            if not tx.active:
                return tx, False
            tx.ended_at = at
            tx.stopped_reason = "Other"  # the one reason both versions have for this
            tx.close_reason = reason
            tx.charging_state = "Idle"
            if tx.register_wh is not None:  # the energy known so far is what gets priced
                tx.meter_start_wh, tx.meter_stop_wh = tx.register_wh
            self._save_tx(c, tx, span)
            return tx, True

        return await self.run(job)

    async def set_transaction_cost(
        self, station_id: str, transaction_id: str, cost: float, currency: str
    ) -> None:
        await self.run(
            lambda c: c.execute(
                "UPDATE transactions SET cost=?, currency=? WHERE station_id=? AND transaction_id=?",
                (cost, currency, station_id, transaction_id),
            )
        )

    async def find_transaction(
        self, station_id: str, transaction_id: str, *, readings: bool = True
    ) -> Transaction | None:
        def job(c: sqlite3.Connection) -> Transaction | None:
            found = self._find_tx(c, station_id, transaction_id, to_change=False)
            if found is None:
                return None
            tx = found[0]
            if readings:
                tx.meter_values = load_readings(c, station_id, transaction_id)
            return tx

        return await self.run(job)

    async def list_transactions(
        self,
        station_id: str | None = None,
        active: bool | None = None,
        since: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Transaction]:
        where: list[str] = ["1=1"]
        args: list[Any] = []
        if station_id is not None:
            where.append("station_id=?")
            args.append(station_id)
        if active is True:
            where.append("ended_at IS NULL AND ended_seq_no IS NULL")
        elif active is False:
            where.append("(ended_at IS NOT NULL OR ended_seq_no IS NOT NULL)")
        if since is not None:
            where.append("COALESCE(ended_at, started_at, '') >= ?")
            args.append(ts(since))
        # NULLS LAST spelled out: a transaction known only from its Ended event has no start
        # time, and PostgreSQL would otherwise list it first where SQLite lists it last.
        sql = (
            f"SELECT {self._TX_COLS} FROM transactions WHERE {' AND '.join(where)}"
            " ORDER BY started_at DESC NULLS LAST, station_id DESC, transaction_id DESC"
            " LIMIT ? OFFSET ?"
        )

        def job(c: sqlite3.Connection) -> list[Transaction]:
            rows = c.execute(sql, (*args, limit, offset)).fetchall()
            return [self._read_tx(c, r)[0] for r in rows]

        return await self.run(job)


def _merge_event(
    tx: Transaction, event: Transaction, event_type: str, seq_no: int, timestamp: datetime
) -> None:
    """Fold one TransactionEvent into the stored transaction (events may arrive out of order)."""
    if event.id_token:
        tx.id_token, tx.token_type = event.id_token, event.token_type
    if event.evse_id:
        tx.evse_id = event.evse_id
    if event.connector_id:
        tx.connector_id = event.connector_id
    # The station's latest word (by seqNo, not arrival) on what the transaction is doing.
    latest = tx.last_seq_no is None or seq_no >= tx.last_seq_no
    if event.trigger_reason and latest:
        tx.trigger_reason = event.trigger_reason
    if event.charging_state and latest:
        tx.charging_state = event.charging_state
    if event.auth_status:
        tx.auth_status = event.auth_status
    if event.remote_start_id is not None:
        tx.remote_start_id = event.remote_start_id
    tx.offline = tx.offline or event.offline
    _merge_kind(tx, event, event_type, seq_no, timestamp)


def _merge_kind(
    tx: Transaction, event: Transaction, event_type: str, seq_no: int, timestamp: datetime
) -> None:
    """What a Started, an Ended or an Updated event says beyond the fields every event has."""
    if event_type == "Started":
        tx.start_seq_no = seq_no
        tx.started_at = timestamp
    elif event_type == "Ended":
        tx.ended_seq_no = seq_no
        tx.ended_at = timestamp
        if event.stopped_reason:
            tx.stopped_reason = event.stopped_reason
        if event.stop_id_token:
            tx.stop_id_token = event.stop_id_token
    else:
        tx.updated_seq_no_count += 1
        # Until Started arrives, the transaction began at its earliest event seen.
        if tx.start_seq_no is None and (tx.started_at is None or timestamp < tx.started_at):
            tx.started_at = timestamp


def _track_gaps(
    tx: Transaction, c: sqlite3.Connection, station_id: str, tx_id: str, seq_no: int
) -> None:
    """Keep the seqNo numbers missing between the lowest and highest seen (gaps are legal:
    offline stations may drop Updated events; a late arrival fills its gap). In-order events —
    the common case — cost no query."""
    before = list(tx.seq_no_gaps)
    last = tx.last_seq_no
    if last is None or seq_no == last + 1:
        tx.last_seq_no = seq_no
    elif seq_no > last + 1:
        tx.seq_no_gaps = [*before, *range(last + 1, seq_no)][:1000]
        tx.last_seq_no = seq_no
    else:  # a late or out-of-order event: fills a gap, or extends the range downwards
        seen = {
            r[0]
            for r in c.execute(
                "SELECT seq_no FROM transaction_events WHERE station_id=? AND transaction_id=?",
                (station_id, tx_id),
            )
        }
        low, high = min(seen), max(seen)
        tx.seq_no_gaps = [n for n in range(low, high) if n not in seen][:1000]
        tx.last_seq_no = high
    tx.new_gaps = sorted(set(tx.seq_no_gaps) - set(before))
