"""The one pending TriggerMessage per station, claimed by the sync loop when due."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from core.store.models import TriggerMessage, TriggerStatus
from core.store.sqlite.codecs import from_ts, ts
from core.store.sqlite.engine import SqliteEngine


class SqliteTriggerStore(SqliteEngine):
    async def set_trigger(self, station_id: str, trigger: TriggerMessage) -> None:
        await self.run(
            lambda c: c.execute(
                "INSERT INTO triggers (station_id, message, status, send_after, attempts)"
                " VALUES (?,?,?,?,?) ON CONFLICT (station_id) DO UPDATE SET"
                " message=excluded.message, status=excluded.status,"
                " send_after=excluded.send_after, attempts=excluded.attempts",
                (
                    station_id,
                    trigger.message,
                    trigger.status.value,
                    ts(trigger.send_after),
                    trigger.attempts,
                ),
            )
        )

    async def lookup_trigger(self, station_id: str) -> TriggerMessage | None:
        def job(c: sqlite3.Connection) -> TriggerMessage | None:
            r = c.execute(
                "SELECT message, status, send_after, attempts FROM triggers WHERE station_id=?",
                (station_id,),
            ).fetchone()
            return (
                None
                if r is None
                else TriggerMessage(r[0], TriggerStatus(r[1]), from_ts(r[2]), r[3])
            )

        return await self.run(job)

    async def delete_trigger(self, station_id: str) -> None:
        await self.run(
            lambda c: c.execute("DELETE FROM triggers WHERE station_id=?", (station_id,))
        )

    async def claim_due_triggers(
        self, now: datetime, lease_until: datetime, limit: int = 50
    ) -> dict[str, TriggerMessage]:
        def job(c: sqlite3.Connection) -> dict[str, TriggerMessage]:
            rows = c.execute(
                "UPDATE triggers SET send_after=?, attempts=attempts+1 WHERE station_id IN"
                " (SELECT station_id FROM triggers WHERE status='Pending'"
                " AND (send_after IS NULL OR send_after<=?) ORDER BY station_id"
                f" LIMIT ?{self.SKIP_LOCKED})"
                " RETURNING station_id, message, status, send_after, attempts",
                (ts(lease_until), ts(now), limit),
            ).fetchall()
            return {
                r[0]: TriggerMessage(r[1], TriggerStatus(r[2]), from_ts(r[3]), r[4]) for r in rows
            }

        return await self.run(job)
