"""Station registrations, their login addresses, and deleting a station with everything
keyed by it."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from core.store.models import (
    CertificateStatus,
    SecurityProfile,
    SettingStatus,
    Station,
    StationAuth,
)
from core.store.sqlite.codecs import req_ts, ts
from core.store.sqlite.engine import SqliteEngine
from core.store.sqlite.message_log import forget_station
from core.store.sqlite.runtime import set_connected_version

# Login addresses kept per station (a station behind a few NATs or a proxy pair).
LOGIN_ADDRESSES_KEPT = 8

# Everything keyed by a station, removed with it by delete_station (the contract suite checks
# that a deleted station leaves no row in any table of the schema with a station_id column).
#
# Explicit deletes, not foreign keys with ON DELETE CASCADE: no role's write requires a
# registered station, and some rows are for ids nobody registered, on purpose (the
# ConnectionRefused events of a refused station); a foreign key would refuse those writes.
# (SQLite cannot add one to an existing table without rebuilding the table, either.)
#
# History goes too (transactions, meter values, events, message log, calls): an id registered
# again later is a new station, and must not show, or resume from, the old one's past.
STATION_TABLES = (
    "login_addresses",
    "leniency_grants",
    "leniency_counts",
    "runtime",
    "connectors",
    "settings",
    "install_certificates",
    "triggers",
    "transactions",
    "transaction_events",
    "tx16_starts",
    "meter_values",
    "device_model",
    "ev_charging",
    "reservations",
    "station_events",
    "calls",
)


class SqliteStationStore(SqliteEngine):
    async def register_station(self, station_id: str, auth: StationAuth, at: datetime) -> None:
        def job(c: sqlite3.Connection) -> None:
            c.execute(
                "INSERT INTO stations (station_id, security_profile, password_hash,"
                " invalid_username_allowed, registered_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT (station_id) DO UPDATE SET security_profile=excluded.security_profile,"
                " password_hash=excluded.password_hash,"
                " invalid_username_allowed=excluded.invalid_username_allowed",
                (
                    station_id,
                    int(auth.security_profile),
                    auth.password_hash,
                    int(auth.invalid_username_allowed),
                    ts(at),
                ),
            )

        await self.run(job)

    async def add_station(self, station_id: str, auth: StationAuth, at: datetime) -> bool:
        # One statement, so two registrations of the same id at once cannot both succeed.
        return await self.run(
            lambda c: (
                c.execute(
                    "INSERT INTO stations (station_id, security_profile, password_hash,"
                    " invalid_username_allowed, registered_at) VALUES (?,?,?,?,?)"
                    " ON CONFLICT (station_id) DO NOTHING",
                    (
                        station_id,
                        int(auth.security_profile),
                        auth.password_hash,
                        int(auth.invalid_username_allowed),
                        ts(at),
                    ),
                ).rowcount
                > 0
            )
        )

    @staticmethod
    def _station(row: sqlite3.Row | tuple[Any, ...]) -> Station:
        return Station(
            station_id=row[0],
            auth=StationAuth(
                security_profile=SecurityProfile(row[1]),
                password_hash=row[2],
                invalid_username_allowed=bool(row[3]),
            ),
            registered_at=req_ts(row[4]),
            pending_boot=bool(row[5]),
        )

    _STATION_COLS = (
        "station_id, security_profile, password_hash, invalid_username_allowed,"
        " registered_at, pending_boot"
    )

    async def lookup_station(self, station_id: str) -> Station | None:
        def job(c: sqlite3.Connection) -> Station | None:
            row = c.execute(
                f"SELECT {self._STATION_COLS} FROM stations WHERE station_id=?", (station_id,)
            ).fetchone()
            return None if row is None else self._station(row)

        return await self.run(job)

    async def remember_login_address(self, station_id: str, address: str, at: datetime) -> None:
        await self.run(lambda c: remember_login_address(c, station_id, address, at))

    async def record_login(
        self, station_id: str, address: str, at: datetime, ocpp_version: str
    ) -> None:
        def job(c: sqlite3.Connection) -> None:
            remember_login_address(c, station_id, address, at)
            set_connected_version(c, station_id, ocpp_version)

        await self.run(job)

    async def login_addresses(self, station_id: str, since: datetime) -> list[str]:
        def job(c: sqlite3.Connection) -> list[str]:
            rows = c.execute(
                "SELECT address FROM login_addresses WHERE station_id=? AND last_login>=?"
                " ORDER BY last_login DESC",
                (station_id, ts(since)),
            ).fetchall()
            return [r[0] for r in rows]

        return await self.run(job)

    async def lookup_station_auth(self, station_id: str) -> StationAuth | None:
        station = await self.lookup_station(station_id)
        return None if station is None else station.auth

    async def list_stations(self, after: str = "", limit: int = 100) -> list[Station]:
        def job(c: sqlite3.Connection) -> list[Station]:
            rows = c.execute(
                f"SELECT {self._STATION_COLS} FROM stations WHERE station_id > ?"
                " ORDER BY station_id LIMIT ?",
                (after, limit),
            ).fetchall()
            return [self._station(r) for r in rows]

        return await self.run(job)

    async def delete_station(self, station_id: str) -> bool:
        self._seen.pop(station_id, None)  # a last-seen time written later would bring it back

        # One job, so one transaction: a delete that fails part-way leaves the station whole.
        def job(c: sqlite3.Connection) -> bool:
            existed = c.execute("DELETE FROM stations WHERE station_id=?", (station_id,)).rowcount
            for table in STATION_TABLES:
                c.execute(f"DELETE FROM {table} WHERE station_id=?", (station_id,))
            forget_station(c, station_id)  # the message log: frames in packs of many stations
            return existed > 0

        return await self.run(job)

    async def boot_pending(self, station_id: str) -> bool:
        # One job for what were three reads in turn, each waiting for its own writer batch:
        # every boot asks, and a reconnect storm is ten thousand boots.
        def job(c: sqlite3.Connection) -> bool:
            row = c.execute(
                "SELECT (SELECT pending_boot FROM stations WHERE station_id=?),"
                " EXISTS (SELECT 1 FROM settings WHERE station_id=? AND status=?),"
                " EXISTS (SELECT 1 FROM install_certificates WHERE station_id=? AND status=?)",
                (
                    station_id,
                    station_id,
                    SettingStatus.PENDING.value,
                    station_id,
                    CertificateStatus.PENDING.value,
                ),
            ).fetchone()
            return any(bool(value) for value in row)

        return await self.run(job)

    async def set_pending_boot(self, station_id: str, pending: bool) -> None:
        await self.run(
            lambda c: c.execute(
                "UPDATE stations SET pending_boot=? WHERE station_id=?", (int(pending), station_id)
            )
        )


def remember_login_address(
    c: sqlite3.Connection, station_id: str, address: str, at: datetime
) -> None:
    """Inside the caller's job. A known address (a station's usual login) costs one statement;
    a new one is added, and the oldest beyond the newest few dropped."""
    known = c.execute(
        "UPDATE login_addresses SET last_login=? WHERE station_id=? AND address=?",
        (ts(at), station_id, address),
    ).rowcount
    if known:
        return
    c.execute(
        "INSERT INTO login_addresses (station_id, address, last_login) VALUES (?,?,?)"
        " ON CONFLICT (station_id, address) DO UPDATE SET last_login=excluded.last_login",
        (station_id, address, ts(at)),
    )
    # The newest few are enough to recognise a station; a roaming one keeps no tail.
    c.execute(
        "DELETE FROM login_addresses WHERE station_id=? AND address NOT IN"
        " (SELECT address FROM login_addresses WHERE station_id=?"
        " ORDER BY last_login DESC LIMIT ?)",
        (station_id, station_id, LOGIN_ADDRESSES_KEPT),
    )
