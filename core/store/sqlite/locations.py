"""OCPI locations."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import orjson

from core.store.models import Location
from core.store.sqlite.codecs import dumps, from_ts, ts, upsert
from core.store.sqlite.engine import SqliteEngine


class SqliteLocationStore(SqliteEngine):
    async def set_location(self, location: Location) -> None:
        at = ts(location.last_updated or datetime.now(UTC))
        await self.run(
            lambda c: c.execute(
                upsert("locations", "id, data, last_updated", "id"),
                (location.id, dumps(location.data), at),
            )
        )

    async def lookup_location(self, location_id: str) -> Location | None:
        def job(c: sqlite3.Connection) -> Location | None:
            r = c.execute(
                "SELECT id, data, last_updated FROM locations WHERE id=?", (location_id,)
            ).fetchone()
            return None if r is None else Location(r[0], orjson.loads(r[1]), from_ts(r[2]))

        return await self.run(job)

    async def list_locations(self, offset: int = 0, limit: int = 50) -> list[Location]:
        def job(c: sqlite3.Connection) -> list[Location]:
            rows = c.execute(
                "SELECT id, data, last_updated FROM locations ORDER BY id LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
            return [Location(r[0], orjson.loads(r[1]), from_ts(r[2])) for r in rows]

        return await self.run(job)
