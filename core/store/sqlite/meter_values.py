"""Meter values, with or without a transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from core.store.energy import RegisterSpan
from core.store.models import MeterValue, StoredMeterValues
from core.store.sqlite.codecs import decode_sampled_values, encode_meter_value, req_ts, ts
from core.store.sqlite.engine import SqliteEngine


class SqliteMeterValueStore(SqliteEngine):
    async def add_meter_values(self, values: Sequence[StoredMeterValues]) -> None:
        def job(c: sqlite3.Connection) -> None:
            for v in values:
                insert_meter_values(c, v.station_id, v.evse_id, v.transaction_id, [v.meter_value])
            self._extend_spans(c, values)

        await self.run(job)

    def _extend_spans(self, c: sqlite3.Connection, values: Sequence[StoredMeterValues]) -> None:
        """Add readings to the register span their transaction keeps (see transactions.py), so
        it still covers every reading; the row is locked as the transaction jobs lock it (see
        FOR_UPDATE). A span not known stays so: it is read whole when next needed."""
        added: dict[tuple[str, str], list[MeterValue]] = {}
        for v in values:
            if v.transaction_id is not None:
                added.setdefault((v.station_id, v.transaction_id), []).append(v.meter_value)
        for (station_id, transaction_id), readings in added.items():
            row = c.execute(
                "SELECT register_span FROM transactions WHERE station_id=? AND transaction_id=?"
                + self.FOR_UPDATE,
                (station_id, transaction_id),
            ).fetchone()
            if row is not None and row[0] is not None:
                keep_span(
                    c, station_id, transaction_id, RegisterSpan.from_text(row[0]).add(readings)
                )

    async def list_meter_values(
        self, station_id: str, transaction_id: str | None = None, limit: int = 1000
    ) -> list[StoredMeterValues]:
        def job(c: sqlite3.Connection) -> list[StoredMeterValues]:
            if transaction_id is None:
                rows = c.execute(
                    "SELECT evse_id, transaction_id, timestamp, sampled_values FROM meter_values"
                    " WHERE station_id=? ORDER BY timestamp DESC, id DESC LIMIT ?",
                    (station_id, limit),
                ).fetchall()
            else:
                rows = c.execute(
                    "SELECT evse_id, transaction_id, timestamp, sampled_values FROM meter_values"
                    " WHERE station_id=? AND transaction_id=? ORDER BY timestamp, id LIMIT ?",
                    (station_id, transaction_id, limit),
                ).fetchall()
            return [
                StoredMeterValues(
                    station_id, r[0], r[1], MeterValue(req_ts(r[2]), decode_sampled_values(r[3]))
                )
                for r in rows
            ]

        return await self.run(job)


def insert_meter_values(
    c: sqlite3.Connection,
    station_id: str,
    evse_id: int,
    transaction_id: str | None,
    values: Sequence[MeterValue],
) -> None:
    """Add readings inside the caller's job (a transaction's readings land in its job)."""
    if values:
        c.executemany(
            _INSERT,
            [
                (station_id, evse_id, transaction_id, ts(mv.timestamp), encode_meter_value(mv))
                for mv in values
            ],
        )


def keep_span(
    c: sqlite3.Connection, station_id: str, transaction_id: str, span: RegisterSpan
) -> None:
    """Store a transaction's register span alone (its readings changed, or it was read whole)."""
    c.execute(
        "UPDATE transactions SET register_span=? WHERE station_id=? AND transaction_id=?",
        (span.to_text(), station_id, transaction_id),
    )


def load_readings(c: sqlite3.Connection, station_id: str, transaction_id: str) -> list[MeterValue]:
    """A transaction's readings, oldest first. Read when asked for (a transaction's detail, its
    stop), never for its figures: those are its register span (transactions.py)."""
    rows = c.execute(
        "SELECT timestamp, sampled_values FROM meter_values WHERE station_id=? AND"
        " transaction_id=? ORDER BY timestamp, id",
        (station_id, transaction_id),
    ).fetchall()
    return [MeterValue(req_ts(stamp), decode_sampled_values(text)) for stamp, text in rows]


_INSERT = (
    "INSERT INTO meter_values (station_id, evse_id, transaction_id, timestamp, sampled_values)"
    " VALUES (?,?,?,?,?)"
)
