"""ISO 15118 smart charging state per (station, EVSE)."""

from __future__ import annotations

import sqlite3

import orjson

from core.store.models import EvCharging
from core.store.sqlite.codecs import dumps, req_ts, ts, upsert
from core.store.sqlite.engine import SqliteEngine


class SqliteEvChargingStore(SqliteEngine):
    async def set_ev_charging(self, state: EvCharging) -> None:
        await self.run(
            lambda c: c.execute(
                upsert(
                    "ev_charging",
                    "station_id, evse_id, transaction_id, needs, profile, rejections, updated_at",
                    "station_id, evse_id",
                ),
                (
                    state.station_id,
                    state.evse_id,
                    state.transaction_id,
                    None if state.needs is None else dumps(state.needs),
                    None if state.profile is None else dumps(state.profile),
                    state.rejections,
                    ts(state.updated_at),
                ),
            )
        )

    async def lookup_ev_charging(self, station_id: str, evse_id: int) -> EvCharging | None:
        def job(c: sqlite3.Connection) -> EvCharging | None:
            r = c.execute(
                "SELECT transaction_id, needs, profile, rejections, updated_at FROM ev_charging"
                " WHERE station_id=? AND evse_id=?",
                (station_id, evse_id),
            ).fetchone()
            if r is None:
                return None
            return EvCharging(
                station_id=station_id,
                evse_id=evse_id,
                transaction_id=r[0],
                needs=None if r[1] is None else orjson.loads(r[1]),
                profile=None if r[2] is None else orjson.loads(r[2]),
                rejections=r[3],
                updated_at=req_ts(r[4]),
            )

        return await self.run(job)
