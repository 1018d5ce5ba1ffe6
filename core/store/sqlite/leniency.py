"""Per-station leniency: the grants made through the API and the counts of accepted violations."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from core.store.models import LeniencyCount, LeniencyGrant, LeniencyUse
from core.store.sqlite.codecs import req_ts, ts, upsert
from core.store.sqlite.engine import SqliteEngine


class SqliteLeniencyStore(SqliteEngine):
    async def set_leniency_grant(self, grant: LeniencyGrant) -> None:
        def job(c: sqlite3.Connection) -> None:
            if not grant.names and not grant.no_subprotocol:
                c.execute("DELETE FROM leniency_grants WHERE station_id=?", (grant.station_id,))
                return
            c.execute(
                upsert("leniency_grants", "station_id, names, no_subprotocol", "station_id"),
                (grant.station_id, ",".join(sorted(set(grant.names))), grant.no_subprotocol),
            )

        await self.run(job)

    async def lookup_leniency_grant(self, station_id: str) -> LeniencyGrant | None:
        def job(c: sqlite3.Connection) -> LeniencyGrant | None:
            r = c.execute(
                "SELECT names, no_subprotocol FROM leniency_grants WHERE station_id=?",
                (station_id,),
            ).fetchone()
            if r is None:
                return None
            return LeniencyGrant(station_id, tuple(n for n in r[0].split(",") if n), r[1])

        return await self.run(job)

    async def count_leniency(
        self, station_id: str, uses: Sequence[LeniencyUse], at: datetime
    ) -> None:
        # One row per use, in order, so the latest detail of a name is its last use here.
        rows = [(station_id, use.name, ts(at), use.detail) for use in uses]
        if not rows:
            return
        await self.run(
            lambda c: c.executemany(
                "INSERT INTO leniency_counts (station_id, name, count, last_at, last_detail)"
                " VALUES (?,?,1,?,?) ON CONFLICT (station_id, name) DO UPDATE SET"
                " count=leniency_counts.count+1, last_at=excluded.last_at,"
                " last_detail=excluded.last_detail",
                rows,
            )
        )

    async def list_leniency_counts(self, station_id: str) -> list[LeniencyCount]:
        def job(c: sqlite3.Connection) -> list[LeniencyCount]:
            rows = c.execute(
                "SELECT name, count, last_at, last_detail FROM leniency_counts"
                " WHERE station_id=? ORDER BY name",
                (station_id,),
            ).fetchall()
            return [LeniencyCount(station_id, r[0], r[1], req_ts(r[2]), r[3]) for r in rows]

        return await self.run(job)
