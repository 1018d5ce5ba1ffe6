"""What a station reported about itself: boot details, last contact, connector statuses."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from core.store.models import ConnectorStatus, RuntimeDetails
from core.store.sqlite.codecs import from_ts, ts
from core.store.sqlite.engine import SqliteEngine


class SqliteRuntimeStore(SqliteEngine):
    async def set_runtime_details(self, station_id: str, details: RuntimeDetails) -> None:
        def job(c: sqlite3.Connection) -> None:
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

        await self.run(job)

    async def set_connected_version(self, station_id: str, ocpp_version: str) -> None:
        await self.run(
            lambda c: c.execute(
                "INSERT INTO runtime (station_id, ocpp_version) VALUES (?,?)"
                " ON CONFLICT (station_id) DO UPDATE SET ocpp_version=excluded.ocpp_version",
                (station_id, ocpp_version),
            )
        )

    async def lookup_runtime_details(self, station_id: str) -> RuntimeDetails | None:
        def job(c: sqlite3.Connection) -> RuntimeDetails | None:
            row = c.execute(
                "SELECT ocpp_version, vendor, model, serial_number, firmware_version, boot_reason,"
                " boot_status, last_boot_at, last_seen_at FROM runtime WHERE station_id=?",
                (station_id,),
            ).fetchone()
            if row is None:
                return None
            return RuntimeDetails(
                ocpp_version=row[0],
                vendor=row[1],
                model=row[2],
                serial_number=row[3],
                firmware_version=row[4],
                boot_reason=row[5],
                boot_status=row[6],
                last_boot_at=from_ts(row[7]),
                last_seen_at=from_ts(row[8]),
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
