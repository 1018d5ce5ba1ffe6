"""Settings to set on stations, claimed by the sync loop when due."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.store.models import Setting, SettingStatus
from core.store.sqlite.codecs import from_ts, ts
from core.store.sqlite.engine import SqliteEngine


class SqliteSettingsStore(SqliteEngine):
    async def update_settings(self, station_id: str, settings: Sequence[Setting]) -> None:
        rows = [(station_id, s.name, s.value, s.status.value, ts(s.send_after)) for s in settings]

        def job(c: sqlite3.Connection) -> None:
            c.executemany(
                "INSERT INTO settings (station_id, name, value, status, send_after)"
                " VALUES (?,?,?,?,?) ON CONFLICT (station_id, name) DO UPDATE SET"
                " value=excluded.value, status=excluded.status, send_after=excluded.send_after",
                rows,
            )

        await self.run(job)

    @staticmethod
    def _setting(r: tuple[Any, ...]) -> Setting:
        return Setting(name=r[0], value=r[1], status=SettingStatus(r[2]), send_after=from_ts(r[3]))

    async def lookup_settings(self, station_id: str) -> list[Setting]:
        def job(c: sqlite3.Connection) -> list[Setting]:
            rows = c.execute(
                "SELECT name, value, status, send_after FROM settings WHERE station_id=?"
                " ORDER BY name",
                (station_id,),
            ).fetchall()
            return [self._setting(r) for r in rows]

        return await self.run(job)

    async def delete_settings(self, station_id: str, names: Sequence[str] | None = None) -> None:
        def job(c: sqlite3.Connection) -> None:
            if names is None:
                c.execute("DELETE FROM settings WHERE station_id=?", (station_id,))
            else:
                c.executemany(
                    "DELETE FROM settings WHERE station_id=? AND name=?",
                    [(station_id, n) for n in names],
                )

        await self.run(job)

    async def claim_due_settings(
        self, now: datetime, lease_until: datetime, limit: int = 50
    ) -> dict[str, list[Setting]]:
        def job(c: sqlite3.Connection) -> dict[str, list[Setting]]:
            rows = c.execute(
                "UPDATE settings SET send_after=? WHERE (station_id, name) IN (SELECT station_id, name"
                " FROM settings WHERE status='Pending' AND (send_after IS NULL OR send_after<=?)"
                f" ORDER BY station_id, name LIMIT ?{self.SKIP_LOCKED})"
                " RETURNING station_id, name, value, status, send_after",
                (ts(lease_until), ts(now), limit),
            ).fetchall()
            out: dict[str, list[Setting]] = {}
            for r in sorted(rows):
                out.setdefault(r[0], []).append(self._setting(r[1:]))
            return out

        return await self.run(job)

    async def set_setting_status(
        self, station_id: str, name: str, status: SettingStatus, value: str | None = None
    ) -> None:
        def job(c: sqlite3.Connection) -> None:
            c.execute(
                "INSERT INTO settings (station_id, name, value, status) VALUES (?,?,?,?)"
                " ON CONFLICT (station_id, name) DO UPDATE SET status=excluded.status,"
                " value=COALESCE(?, settings.value)",
                (station_id, name, value or "", status.value, value),
            )

        await self.run(job)


def reboot_required_to_accepted(c: sqlite3.Connection, station_id: str) -> None:
    """The station's RebootRequired settings are in effect: inside a boot's job (runtime.py)."""
    c.execute(
        "UPDATE settings SET status=? WHERE station_id=? AND status=?",
        (SettingStatus.ACCEPTED.value, station_id, SettingStatus.REBOOT_REQUIRED.value),
    )
