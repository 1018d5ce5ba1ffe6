"""The station event history (connected, booted, …)."""

from __future__ import annotations

import sqlite3

import orjson

from core.store.models import StationEvent
from core.store.sqlite.codecs import dumps, req_ts, ts
from core.store.sqlite.engine import SqliteEngine


class SqliteStationEventStore(SqliteEngine):
    async def add_station_event(self, event: StationEvent) -> None:
        def job(c: sqlite3.Connection) -> None:
            row = c.execute(
                "INSERT INTO station_events (station_id, at, event_type, detail) VALUES (?,?,?,?)"
                " RETURNING id",
                (event.station_id, ts(event.at), event.event_type, dumps(event.detail)),
            ).fetchone()
            event.id = row[0]

        await self.run(job)

    async def list_station_events(
        self, station_id: str | None = None, limit: int = 100
    ) -> list[StationEvent]:
        def job(c: sqlite3.Connection) -> list[StationEvent]:
            if station_id is None:
                rows = c.execute(
                    "SELECT station_id, at, event_type, detail, id FROM station_events"
                    " ORDER BY id DESC LIMIT ?",
                    (limit,),
                ).fetchall()
            else:
                rows = c.execute(
                    "SELECT station_id, at, event_type, detail, id FROM station_events"
                    " WHERE station_id=? ORDER BY id DESC LIMIT ?",
                    (station_id, limit),
                ).fetchall()
            return [StationEvent(r[0], req_ts(r[1]), r[2], orjson.loads(r[3]), r[4]) for r in rows]

        return await self.run(job)
