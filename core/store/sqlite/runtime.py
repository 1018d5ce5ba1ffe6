"""What a station reported about itself: boot details, last contact, connector statuses.

Last contact comes in two kinds. ``touch_station`` returns after its commit, as every write does.
``note_seen`` (what a Heartbeat records) returns at once: the time is kept in memory and written
for all stations in one job (a few multi-row statements) at most ``LAST_SEEN_DELAY`` seconds
later, so a Heartbeat costs no commit and its answer never waits for the writer thread. Its
answer confirms nothing stored, so nothing is promised that a crash could break: a crash loses
at most the last ``LAST_SEEN_DELAY`` seconds of last-seen times (the station's next Heartbeat
restores it), a clean shutdown none. Lookups in this process see a noted time at once."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import datetime

from core.store.models import ConnectorStatus, RuntimeDetails
from core.store.sqlite.codecs import from_ts, insert_rows, ts
from core.store.sqlite.engine import SqliteEngine
from core.store.sqlite.settings import reboot_required_to_accepted

log = logging.getLogger(__name__)

# How stale a stored last-seen time may be: far below any Heartbeat interval (300 s by default)
# and the console's refresh, and one statement per interval however many stations there are.
LAST_SEEN_DELAY = 1.0
# More stations than this waiting: written at once rather than held in memory.
_SEEN_HELD = 10_000

# Never moves a stored time back: a noted time written after a later boot or touch stays behind
# it. Text comparison is time order (codecs.ts is fixed width); CASE rather than MAX(a, b) or
# GREATEST(a, b), which only one of SQLite and PostgreSQL has each. (What goes before and after
# the rows' VALUES: see codecs.insert_rows.)
_NOTE_SEEN = (
    "INSERT INTO runtime (station_id, ocpp_version, last_seen_at)",
    " ON CONFLICT (station_id) DO UPDATE SET last_seen_at=CASE WHEN runtime.last_seen_at IS NULL"
    " OR runtime.last_seen_at < excluded.last_seen_at THEN excluded.last_seen_at"
    " ELSE runtime.last_seen_at END",
)


class SqliteRuntimeStore(SqliteEngine):
    async def set_runtime_details(self, station_id: str, details: RuntimeDetails) -> None:
        await self.run(lambda c: set_runtime_details(c, station_id, details))

    async def record_boot(self, station_id: str, details: RuntimeDetails) -> None:
        def job(c: sqlite3.Connection) -> None:
            set_runtime_details(c, station_id, details)
            reboot_required_to_accepted(c, station_id)

        await self.run(job)

    async def lookup_runtime_details(self, station_id: str) -> RuntimeDetails | None:
        # Read before the job is queued: a time noted later is not this lookup's to show, and
        # one handed to the writer meanwhile is committed before the job runs (jobs keep order).
        noted = self._seen.get(station_id)

        def job(c: sqlite3.Connection) -> RuntimeDetails | None:
            row = c.execute(
                "SELECT ocpp_version, vendor, model, serial_number, firmware_version, boot_reason,"
                " boot_status, last_boot_at, last_seen_at FROM runtime WHERE station_id=?",
                (station_id,),
            ).fetchone()
            if row is None:
                return None if noted is None else RuntimeDetails("", last_seen_at=noted)
            seen = from_ts(row[8])
            if noted is not None and (seen is None or noted > seen):
                seen = noted
            return RuntimeDetails(
                ocpp_version=row[0],
                vendor=row[1],
                model=row[2],
                serial_number=row[3],
                firmware_version=row[4],
                boot_reason=row[5],
                boot_status=row[6],
                last_boot_at=from_ts(row[7]),
                last_seen_at=seen,
            )

        return await self.run(job)

    async def touch_station(self, station_id: str, at: datetime) -> None:
        def job(c: sqlite3.Connection) -> None:
            c.execute(
                "INSERT INTO runtime (station_id, ocpp_version, last_seen_at) VALUES (?, '', ?)"
                " ON CONFLICT (station_id) DO UPDATE SET last_seen_at=excluded.last_seen_at",
                (station_id, ts(at)),
            )

        await self.run(job)

    def note_seen(self, station_id: str, at: datetime) -> None:
        held = self._seen.get(station_id)
        if held is None or held < at:
            self._seen[station_id] = at  # formatted when written: the latest one only
        if len(self._seen) >= _SEEN_HELD:
            self._write_seen()
        elif self._seen_flush is None:
            loop = asyncio.get_running_loop()
            self._seen_flush = loop.call_later(LAST_SEEN_DELAY, self._write_seen)

    def _write_seen(self) -> asyncio.Future[None] | None:
        if self._seen_flush is not None:
            self._seen_flush.cancel()
            self._seen_flush = None
        if not self._seen or self._thread is None:
            return None
        rows = [(station_id, "", ts(at)) for station_id, at in self._seen.items()]
        self._seen = {}

        def job(c: sqlite3.Connection) -> None:
            insert_rows(c, _NOTE_SEEN[0], rows, _NOTE_SEEN[1])

        written = self.submit(job)
        written.add_done_callback(_report_lost)
        return written

    async def _flush_deferred(self) -> None:
        written = self._write_seen()
        if written is not None:
            await asyncio.wait([written])  # its failure is logged by _report_lost
        await super()._flush_deferred()

    async def set_connector_status(self, station_id: str, status: ConnectorStatus) -> None:
        def job(c: sqlite3.Connection) -> None:
            c.execute(
                "INSERT INTO connectors (station_id, evse_id, connector_id, status, error_code,"
                " info, updated_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT"
                " (station_id, evse_id, connector_id) DO UPDATE SET status=excluded.status,"
                " error_code=excluded.error_code, info=excluded.info,"
                " updated_at=excluded.updated_at",
                (
                    station_id,
                    status.evse_id,
                    status.connector_id,
                    status.status,
                    status.error_code,
                    status.info,
                    ts(status.updated_at),
                ),
            )

        await self.run(job)

    async def list_connector_statuses(self, station_id: str) -> list[ConnectorStatus]:
        def job(c: sqlite3.Connection) -> list[ConnectorStatus]:
            rows = c.execute(
                "SELECT evse_id, connector_id, status, error_code, info, updated_at FROM connectors"
                " WHERE station_id=? ORDER BY evse_id, connector_id",
                (station_id,),
            ).fetchall()
            return [ConnectorStatus(r[0], r[1], r[2], r[3], r[4], from_ts(r[5])) for r in rows]

        return await self.run(job)


def _report_lost(written: asyncio.Future[None]) -> None:
    if not written.cancelled() and written.exception() is not None:
        log.error("last-seen times not stored: %s", written.exception())


def set_connected_version(c: sqlite3.Connection, station_id: str, ocpp_version: str) -> None:
    """Inside the caller's job (a login records it with its address: stations.py)."""
    c.execute(
        "INSERT INTO runtime (station_id, ocpp_version) VALUES (?,?)"
        " ON CONFLICT (station_id) DO UPDATE SET ocpp_version=excluded.ocpp_version",
        (station_id, ocpp_version),
    )


def set_runtime_details(c: sqlite3.Connection, station_id: str, details: RuntimeDetails) -> None:
    """Inside the caller's job (a boot records it with its settings' change)."""
    c.execute(
        "INSERT INTO runtime (station_id, ocpp_version, vendor, model, serial_number,"
        " firmware_version, boot_reason, boot_status, last_boot_at, last_seen_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (station_id) DO UPDATE SET"
        " ocpp_version=excluded.ocpp_version, vendor=excluded.vendor,"
        " model=excluded.model, serial_number=excluded.serial_number,"
        " firmware_version=excluded.firmware_version, boot_reason=excluded.boot_reason,"
        " boot_status=excluded.boot_status, last_boot_at=excluded.last_boot_at,"
        " last_seen_at=COALESCE(excluded.last_seen_at, runtime.last_seen_at)",
        (
            station_id,
            details.ocpp_version,
            details.vendor,
            details.model,
            details.serial_number,
            details.firmware_version,
            details.boot_reason,
            details.boot_status,
            ts(details.last_boot_at),
            ts(details.last_seen_at),
        ),
    )
