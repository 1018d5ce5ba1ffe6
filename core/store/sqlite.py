"""SQLite store: one connection on one writer thread, with group commit.

Every operation is a job run on the store's thread. The thread drains the queue, runs all waiting
jobs inside ONE transaction (each under its own SAVEPOINT, so a failing job fails only its own
caller), commits, and only then resolves the callers' futures. A handler that awaits a write
therefore answers the station after the commit it acknowledges, while a burst of messages costs
one commit instead of one per message (one durable commit per message tops out at ~4-7k/s here).

WAL with ``synchronous=NORMAL``: consistent and durable across application crashes; the latest
commits may be lost on an OS crash, in which case the station never got its answer and retries.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from core.store.energy import register_bounds
from core.store.migrations import MIGRATIONS
from core.store.models import (
    ApiToken,
    CacheMode,
    CallRecord,
    CallState,
    CertificateStatus,
    CertificateType,
    ConnectorStatus,
    DeviceModelVariable,
    EvCharging,
    InstallCertificate,
    Location,
    LoggedMessage,
    MeterValue,
    OcpiParty,
    OcpiRegistration,
    Reservation,
    ReservationStatus,
    RuntimeDetails,
    SampledValue,
    SecurityProfile,
    Setting,
    SettingStatus,
    Station,
    StationAuth,
    StationEvent,
    StoredMeterValues,
    Token,
    Transaction,
    TriggerMessage,
    TriggerStatus,
    UnitOfMeasure,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]

_MAX_BATCH = 1000
# Login addresses kept per station (a station behind a few NATs or a proxy pair).
LOGIN_ADDRESSES_KEPT = 8


# --- encoding helpers ---------------------------------------------------------------------------


def ts(dt: datetime | None) -> str | None:
    """Fixed-width UTC text, so that text order is time order."""
    if dt is None:
        return None
    utc = dt.astimezone(UTC)
    # %Y is not zero-padded for years before 1000 on glibc; the reader needs four digits.
    return f"{utc.year:04d}" + utc.strftime("-%m-%dT%H:%M:%S.%fZ")


def from_ts(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _req_ts(text: str) -> datetime:
    value = from_ts(text)
    assert value is not None
    return value


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def encode_meter_value(mv: MeterValue) -> str:
    return dumps(
        [
            {
                "v": sv.value,
                "c": sv.context,
                "f": sv.format,
                "m": sv.measurand,
                "p": sv.phase,
                "l": sv.location,
                "u": None
                if sv.unit_of_measure is None
                else [sv.unit_of_measure.unit, sv.unit_of_measure.multiplier],
            }
            for sv in mv.sampled_values
        ]
    )


def decode_sampled_values(text: str) -> list[SampledValue]:
    return [
        SampledValue(
            value=item["v"],
            context=item["c"],
            format=item["f"],
            measurand=item["m"],
            phase=item["p"],
            location=item["l"],
            unit_of_measure=None
            if item["u"] is None
            else UnitOfMeasure(item["u"][0], item["u"][1]),
        )
        for item in orjson.loads(text)
    ]


def upsert(table: str, columns: str, key: str) -> str:
    """INSERT … ON CONFLICT (key) DO UPDATE: the same text works on SQLite and PostgreSQL."""
    names = [c.strip() for c in columns.split(",")]
    keys = {k.strip() for k in key.split(",")}
    updates = ", ".join(f"{n}=excluded.{n}" for n in names if n not in keys)
    marks = ",".join("?" * len(names))
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        f" ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


def certificate_hash(pem: str) -> str:
    """Unpadded base64url SHA-256 of the first certificate's DER (MaEVe's key)."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise ValueError("no PEM certificate found") from exc
    digest = hashlib.sha256(cert.public_bytes(Encoding.DER)).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(slots=True)
class _Pending:
    job: Job
    future: asyncio.Future[Any]


class SqliteStore:
    """The embedded store. ``path`` may be ``":memory:"`` for tests."""

    # Dialect hooks (see core.store.postgres): the SQL text is shared by both stores.
    SKIP_LOCKED = ""

    def __init__(self, path: str = "csms.db", message_log_retention: int = 100_000) -> None:
        self.path = path
        self.message_log_retention = message_log_retention
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._logged_since_trim = 0
        self.batches = 0  # observability: commits made
        self.jobs = 0

    # --- lifecycle -------------------------------------------------------------------------------

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = self._loop.create_future()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="sqlite-store", daemon=True
        )
        self._thread.start()
        await ready

    async def close(self) -> None:
        if self._thread is None:
            return
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)
        self._thread = None

    async def __aenter__(self) -> SqliteStore:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = row[0] or 0
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            conn.execute("BEGIN IMMEDIATE")
            for statement in script.split(";\n"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
            conn.execute("COMMIT")
            log.info("store migrated to schema version %d", version)

    def _run(self, ready: asyncio.Future[None]) -> None:
        loop = self._loop
        assert loop is not None
        try:
            conn = self._connect()
            self._migrate(conn)
        except Exception as exc:
            error = exc
            loop.call_soon_threadsafe(_settle, ready, error)
            return
        loop.call_soon_threadsafe(_settle, ready, None)
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < _MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._run_batch(conn, batch, loop)
        conn.close()

    def _run_batch(
        self, conn: sqlite3.Connection, batch: list[_Pending], loop: asyncio.AbstractEventLoop
    ) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for pending in batch:
                conn.execute("SAVEPOINT job")
                try:
                    outcomes.append((True, pending.job(conn)))
                    conn.execute("RELEASE job")
                except Exception as exc:
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    outcomes.append((False, exc))
            conn.execute("COMMIT")
        except Exception as exc:  # the commit itself failed: every job in the batch failed
            log.exception("sqlite batch of %d failed", len(batch))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(False, exc)] * len(batch)
        self.batches += 1
        self.jobs += len(batch)
        loop.call_soon_threadsafe(_resolve, batch, outcomes)

    async def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``job`` on the store thread; returns after its transaction committed."""
        loop = self._loop
        if loop is None or self._thread is None:
            raise RuntimeError("store is not open")
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Pending(job, future))
        return await future

    # --- stations --------------------------------------------------------------------------------

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
            registered_at=_req_ts(row[4]),
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
        def job(c: sqlite3.Connection) -> None:
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
        def job(c: sqlite3.Connection) -> bool:
            existed = c.execute("DELETE FROM stations WHERE station_id=?", (station_id,)).rowcount
            for table in _STATION_TABLES:
                c.execute(f"DELETE FROM {table} WHERE station_id=?", (station_id,))
            return existed > 0

        return await self.run(job)

    async def set_pending_boot(self, station_id: str, pending: bool) -> None:
        await self.run(
            lambda c: c.execute(
                "UPDATE stations SET pending_boot=? WHERE station_id=?", (int(pending), station_id)
            )
        )

    # --- runtime ---------------------------------------------------------------------------------

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

    # --- settings --------------------------------------------------------------------------------

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

    async def settings_reboot_required_to_accepted(self, station_id: str) -> int:
        def job(c: sqlite3.Connection) -> int:
            return c.execute(
                "UPDATE settings SET status='Accepted' WHERE station_id=? AND status=?",
                (station_id, SettingStatus.REBOOT_REQUIRED.value),
            ).rowcount

        return await self.run(job)

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

    # --- certificates ----------------------------------------------------------------------------

    async def upsert_install_certificates(
        self, station_id: str, certificates: Sequence[InstallCertificate]
    ) -> None:
        rows = [
            (
                station_id,
                ic.certificate_id,
                ic.certificate_type.value,
                ic.certificate_data,
                ic.status.value,
                ts(ic.send_after),
                ic.attempts,
            )
            for ic in certificates
        ]

        def job(c: sqlite3.Connection) -> None:
            c.executemany(
                "INSERT INTO install_certificates (station_id, certificate_id, certificate_type,"
                " certificate_data, status, send_after, attempts) VALUES (?,?,?,?,?,?,?)"
                " ON CONFLICT (station_id, certificate_id) DO UPDATE SET"
                " certificate_type=excluded.certificate_type,"
                " certificate_data=excluded.certificate_data, status=excluded.status,"
                " send_after=excluded.send_after, attempts=excluded.attempts",
                rows,
            )

        await self.run(job)

    @staticmethod
    def _install_cert(r: tuple[Any, ...]) -> InstallCertificate:
        return InstallCertificate(
            certificate_id=r[0],
            certificate_type=CertificateType(r[1]),
            certificate_data=r[2],
            status=CertificateStatus(r[3]),
            send_after=from_ts(r[4]),
            attempts=r[5],
        )

    async def lookup_install_certificates(self, station_id: str) -> list[InstallCertificate]:
        def job(c: sqlite3.Connection) -> list[InstallCertificate]:
            rows = c.execute(
                "SELECT certificate_id, certificate_type, certificate_data, status, send_after,"
                " attempts FROM install_certificates WHERE station_id=? ORDER BY certificate_id",
                (station_id,),
            ).fetchall()
            return [self._install_cert(r) for r in rows]

        return await self.run(job)

    async def claim_due_install_certificates(
        self, now: datetime, lease_until: datetime, limit: int = 50
    ) -> dict[str, list[InstallCertificate]]:
        def job(c: sqlite3.Connection) -> dict[str, list[InstallCertificate]]:
            rows = c.execute(
                "UPDATE install_certificates SET send_after=?, attempts=attempts+1"
                " WHERE (station_id, certificate_id) IN (SELECT station_id, certificate_id"
                " FROM install_certificates WHERE status='Pending'"
                " AND (send_after IS NULL OR send_after<=?) ORDER BY station_id, certificate_id"
                f" LIMIT ?{self.SKIP_LOCKED}) RETURNING station_id, certificate_id, certificate_type,"
                " certificate_data, status, send_after, attempts",
                (ts(lease_until), ts(now), limit),
            ).fetchall()
            out: dict[str, list[InstallCertificate]] = {}
            for r in sorted(rows):
                out.setdefault(r[0], []).append(self._install_cert(r[1:]))
            return out

        return await self.run(job)

    async def set_certificate(self, pem: str) -> str:
        key = certificate_hash(pem)
        await self.run(
            lambda c: c.execute(
                "INSERT INTO certificates (hash, pem) VALUES (?,?)"
                " ON CONFLICT (hash) DO UPDATE SET pem=excluded.pem",
                (key, pem),
            )
        )
        return key

    async def lookup_certificate(self, certificate_hash: str) -> str | None:
        def job(c: sqlite3.Connection) -> str | None:
            row = c.execute(
                "SELECT pem FROM certificates WHERE hash=?", (certificate_hash,)
            ).fetchone()
            return None if row is None else str(row[0])

        return await self.run(job)

    async def delete_certificate(self, certificate_hash: str) -> None:
        await self.run(
            lambda c: c.execute("DELETE FROM certificates WHERE hash=?", (certificate_hash,))
        )

    # --- triggers --------------------------------------------------------------------------------

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

    # --- tokens ----------------------------------------------------------------------------------

    _TOKEN_COLS = (
        "country_code, party_id, type, uid, contract_id, issuer, valid, cache_mode,"
        " visual_number, group_id, language_code, status, expiry_date, last_updated"
    )

    @staticmethod
    def _token(r: tuple[Any, ...]) -> Token:
        return Token(
            country_code=r[0],
            party_id=r[1],
            type=r[2],
            uid=r[3],
            contract_id=r[4],
            issuer=r[5],
            valid=bool(r[6]),
            cache_mode=CacheMode(r[7]),
            visual_number=r[8],
            group_id=r[9],
            language_code=r[10],
            status=r[11],
            expiry_date=from_ts(r[12]),
            last_updated=from_ts(r[13]),
        )

    async def set_token(self, token: Token) -> None:
        now = ts(datetime.now(UTC))

        def job(c: sqlite3.Connection) -> None:
            c.execute(
                upsert("tokens", self._TOKEN_COLS, "uid"),
                (
                    token.country_code,
                    token.party_id,
                    token.type,
                    token.uid,
                    token.contract_id,
                    token.issuer,
                    int(token.valid),
                    token.cache_mode.value,
                    token.visual_number,
                    token.group_id,
                    token.language_code,
                    token.status,
                    ts(token.expiry_date),
                    now,
                ),
            )

        await self.run(job)

    async def lookup_token(self, uid: str) -> Token | None:
        def job(c: sqlite3.Connection) -> Token | None:
            r = c.execute(
                f"SELECT {self._TOKEN_COLS} FROM tokens WHERE uid=?",
                (uid,),
            ).fetchone()
            return None if r is None else self._token(r)

        return await self.run(job)

    async def list_tokens(self, offset: int = 0, limit: int = 20) -> list[Token]:
        def job(c: sqlite3.Connection) -> list[Token]:
            rows = c.execute(
                f"SELECT {self._TOKEN_COLS} FROM tokens ORDER BY uid LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
            return [self._token(r) for r in rows]

        return await self.run(job)

    async def delete_token(self, uid: str) -> bool:
        return await self.run(
            lambda c: c.execute("DELETE FROM tokens WHERE uid=?", (uid,)).rowcount > 0
        )

    # --- transactions ----------------------------------------------------------------------------

    _TX_COLS = (
        "station_id, transaction_id, id_token, token_type, evse_id, connector_id, started_at,"
        " ended_at, meter_start_wh, meter_stop_wh, start_seq_no, ended_seq_no,"
        " updated_seq_no_count, last_seq_no, seq_no_gaps, offline, trigger_reason,"
        " charging_state, stopped_reason, remote_start_id, stop_id_token, cost, currency,"
        " auth_status"
    )

    @staticmethod
    def _tx(r: tuple[Any, ...]) -> Transaction:
        return Transaction(
            station_id=r[0],
            transaction_id=r[1],
            id_token=r[2],
            token_type=r[3],
            evse_id=r[4],
            connector_id=r[5],
            started_at=from_ts(r[6]),
            ended_at=from_ts(r[7]),
            meter_start_wh=r[8],
            meter_stop_wh=r[9],
            start_seq_no=r[10],
            ended_seq_no=r[11],
            updated_seq_no_count=r[12],
            last_seq_no=r[13],
            seq_no_gaps=orjson.loads(r[14]),
            offline=bool(r[15]),
            trigger_reason=r[16],
            charging_state=r[17],
            stopped_reason=r[18],
            remote_start_id=r[19],
            stop_id_token=r[20],
            cost=r[21],
            currency=r[22],
            auth_status=r[23],
        )

    def _find_tx(self, c: sqlite3.Connection, station_id: str, tx_id: str) -> Transaction | None:
        r = c.execute(
            f"SELECT {self._TX_COLS} FROM transactions WHERE station_id=? AND transaction_id=?",
            (station_id, tx_id),
        ).fetchone()
        return None if r is None else self._tx(r)

    def _save_tx(self, c: sqlite3.Connection, tx: Transaction) -> None:
        c.execute(
            upsert("transactions", self._TX_COLS, "station_id, transaction_id"),
            (
                tx.station_id,
                tx.transaction_id,
                tx.id_token,
                tx.token_type,
                tx.evse_id,
                tx.connector_id,
                ts(tx.started_at),
                ts(tx.ended_at),
                tx.meter_start_wh,
                tx.meter_stop_wh,
                tx.start_seq_no,
                tx.ended_seq_no,
                tx.updated_seq_no_count,
                tx.last_seq_no,
                dumps(tx.seq_no_gaps),
                int(tx.offline),
                tx.trigger_reason,
                tx.charging_state,
                tx.stopped_reason,
                tx.remote_start_id,
                tx.stop_id_token,
                tx.cost,
                tx.currency,
                tx.auth_status,
            ),
        )

    @staticmethod
    def _add_meter_values(
        c: sqlite3.Connection,
        station_id: str,
        evse_id: int,
        transaction_id: str | None,
        values: Sequence[MeterValue],
    ) -> None:
        if values:
            c.executemany(
                "INSERT INTO meter_values (station_id, evse_id, transaction_id, timestamp,"
                " sampled_values) VALUES (?,?,?,?,?)",
                [
                    (station_id, evse_id, transaction_id, ts(mv.timestamp), encode_meter_value(mv))
                    for mv in values
                ],
            )

    @staticmethod
    def _load_meter_values(
        c: sqlite3.Connection, station_id: str, transaction_id: str
    ) -> list[MeterValue]:
        rows = c.execute(
            "SELECT timestamp, sampled_values FROM meter_values WHERE station_id=? AND"
            " transaction_id=? ORDER BY timestamp, id",
            (station_id, transaction_id),
        ).fetchall()
        return [MeterValue(_req_ts(r[0]), decode_sampled_values(r[1])) for r in rows]

    async def start_transaction_16(
        self,
        station_id: str,
        connector_id: int,
        id_token: str,
        meter_start_wh: float,
        timestamp: datetime,
        new_transaction_id: int,
        auth_status: str = "Accepted",
    ) -> tuple[int, bool]:
        def job(c: sqlite3.Connection) -> tuple[int, bool]:
            existing = c.execute(
                "SELECT transaction_id FROM tx16_starts WHERE station_id=? AND connector_id=?"
                " AND id_tag=? AND timestamp=?",
                (station_id, connector_id, id_token, ts(timestamp)),
            ).fetchone()
            if existing is not None:
                return int(existing[0]), False
            tx_id = new_transaction_id
            # Transaction ids must be unique per station forever (E01.FR.08 spirit for 1.6 too).
            while c.execute(
                "SELECT 1 FROM transactions WHERE station_id=? AND transaction_id=?",
                (station_id, str(tx_id)),
            ).fetchone():
                tx_id = (tx_id * 7 + 1) % 2_147_483_647 or 1
            c.execute(
                "INSERT INTO tx16_starts (station_id, connector_id, id_tag, timestamp,"
                " transaction_id) VALUES (?,?,?,?,?)",
                (station_id, connector_id, id_token, ts(timestamp), tx_id),
            )
            begin = MeterValue(
                timestamp,
                [
                    SampledValue(
                        value=meter_start_wh,
                        context="Transaction.Begin",
                        measurand="Energy.Active.Import.Register",
                        location="Outlet",
                        unit_of_measure=UnitOfMeasure("Wh", 0),
                    )
                ],
            )
            tx = Transaction(
                station_id=station_id,
                transaction_id=str(tx_id),
                id_token=id_token,
                token_type="ISO14443",
                evse_id=connector_id,
                connector_id=connector_id,
                started_at=timestamp,
                meter_start_wh=meter_start_wh,
                start_seq_no=0,
                last_seq_no=0,
                trigger_reason="Authorized",
                charging_state="Charging",
                auth_status=auth_status,
            )
            self._save_tx(c, tx)
            self._add_meter_values(c, station_id, connector_id, str(tx_id), [begin])
            return tx_id, True

        return await self.run(job)

    async def stop_transaction_16(
        self,
        station_id: str,
        transaction_id: str,
        meter_stop_wh: float,
        timestamp: datetime,
        reason: str,
        id_token: str,
        meter_values: Sequence[MeterValue],
    ) -> Transaction | None:
        def job(c: sqlite3.Connection) -> Transaction | None:
            tx = self._find_tx(c, station_id, transaction_id)
            if tx is None:
                return None
            if tx.ended_at is not None:  # a retried StopTransaction: already done
                tx.meter_values = self._load_meter_values(c, station_id, transaction_id)
                return tx
            end = MeterValue(
                timestamp,
                [
                    SampledValue(
                        value=meter_stop_wh,
                        context="Transaction.End",
                        measurand="Energy.Active.Import.Register",
                        location="Outlet",
                        unit_of_measure=UnitOfMeasure("Wh", 0),
                    )
                ],
            )
            self._add_meter_values(c, station_id, tx.evse_id, transaction_id, [*meter_values, end])
            tx.ended_at = timestamp
            tx.meter_stop_wh = meter_stop_wh
            tx.stopped_reason = reason or "Local"
            tx.stop_id_token = id_token
            tx.charging_state = "Idle"
            tx.ended_seq_no = (tx.last_seq_no or 0) + 1
            tx.last_seq_no = tx.ended_seq_no
            self._save_tx(c, tx)
            tx.meter_values = self._load_meter_values(c, station_id, transaction_id)
            return tx

        return await self.run(job)

    async def apply_transaction_event(
        self,
        station_id: str,
        transaction: Transaction,
        event_type: str,
        seq_no: int,
        timestamp: datetime,
        meter_values: Sequence[MeterValue],
    ) -> tuple[Transaction, bool]:
        tx_id = transaction.transaction_id

        def job(c: sqlite3.Connection) -> tuple[Transaction, bool]:
            inserted = c.execute(
                "INSERT INTO transaction_events (station_id, transaction_id, seq_no,"
                " event_type, timestamp) VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
                (station_id, tx_id, seq_no, event_type, ts(timestamp)),
            ).rowcount
            existing = self._find_tx(c, station_id, tx_id)
            if not inserted and existing is not None:
                return existing, False
            tx = existing or Transaction(station_id=station_id, transaction_id=tx_id)
            _merge_event(tx, transaction, event_type, seq_no, timestamp)
            _track_gaps(tx, c, station_id, tx_id, seq_no)
            evse = transaction.evse_id or tx.evse_id
            self._add_meter_values(c, station_id, evse, tx_id, meter_values)
            # Meter start/stop from every reading stored so far, not from this event's: events
            # replayed out of order (or a late Updated after Ended) then give the same figures.
            tx.meter_values = self._load_meter_values(c, station_id, tx_id)
            bounds = register_bounds(tx.meter_values)
            if bounds is not None:
                tx.meter_start_wh = bounds[0]
                tx.meter_stop_wh = None if tx.active else bounds[1]
            self._save_tx(c, tx)
            return tx, True

        return await self.run(job)

    async def set_transaction_cost(
        self, station_id: str, transaction_id: str, cost: float, currency: str
    ) -> None:
        await self.run(
            lambda c: c.execute(
                "UPDATE transactions SET cost=?, currency=? WHERE station_id=? AND transaction_id=?",
                (cost, currency, station_id, transaction_id),
            )
        )

    async def find_transaction(self, station_id: str, transaction_id: str) -> Transaction | None:
        def job(c: sqlite3.Connection) -> Transaction | None:
            tx = self._find_tx(c, station_id, transaction_id)
            if tx is not None:
                tx.meter_values = self._load_meter_values(c, station_id, transaction_id)
            return tx

        return await self.run(job)

    async def list_transactions(
        self,
        station_id: str | None = None,
        active: bool | None = None,
        since: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Transaction]:
        where: list[str] = ["1=1"]
        args: list[Any] = []
        if station_id is not None:
            where.append("station_id=?")
            args.append(station_id)
        if active is True:
            where.append("ended_at IS NULL AND ended_seq_no IS NULL")
        elif active is False:
            where.append("(ended_at IS NOT NULL OR ended_seq_no IS NOT NULL)")
        if since is not None:
            where.append("COALESCE(ended_at, started_at, '') >= ?")
            args.append(ts(since))
        sql = (
            f"SELECT {self._TX_COLS} FROM transactions WHERE {' AND '.join(where)}"
            " ORDER BY started_at DESC, station_id DESC, transaction_id DESC LIMIT ? OFFSET ?"
        )

        def job(c: sqlite3.Connection) -> list[Transaction]:
            return [self._tx(r) for r in c.execute(sql, (*args, limit, offset)).fetchall()]

        return await self.run(job)

    async def active_transaction_for(
        self, station_id: str, connector_id: int
    ) -> Transaction | None:
        def job(c: sqlite3.Connection) -> Transaction | None:
            r = c.execute(
                f"SELECT {self._TX_COLS} FROM transactions WHERE station_id=? AND"
                " (connector_id=? OR evse_id=?) AND ended_at IS NULL AND ended_seq_no IS NULL"
                " ORDER BY started_at DESC LIMIT 1",
                (station_id, connector_id, connector_id),
            ).fetchone()
            return None if r is None else self._tx(r)

        return await self.run(job)

    # --- meter values ----------------------------------------------------------------------------

    async def add_meter_values(self, values: Sequence[StoredMeterValues]) -> None:
        def job(c: sqlite3.Connection) -> None:
            for v in values:
                self._add_meter_values(
                    c, v.station_id, v.evse_id, v.transaction_id, [v.meter_value]
                )

        await self.run(job)

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
                    station_id, r[0], r[1], MeterValue(_req_ts(r[2]), decode_sampled_values(r[3]))
                )
                for r in rows
            ]

        return await self.run(job)

    # --- device model ----------------------------------------------------------------------------

    async def upsert_device_model(
        self, station_id: str, variables: Sequence[DeviceModelVariable]
    ) -> None:
        rows = [
            (
                station_id,
                v.component,
                v.component_instance,
                -1 if v.evse_id is None else v.evse_id,
                -1 if v.connector_id is None else v.connector_id,
                v.variable,
                v.variable_instance,
                v.attribute_type,
                v.value,
                v.mutability,
                dumps(v.characteristics),
            )
            for v in variables
        ]

        def job(c: sqlite3.Connection) -> None:
            c.executemany(
                "INSERT INTO device_model (station_id, component, component_instance, evse_id,"
                " connector_id, variable, variable_instance, attribute_type, value, mutability,"
                " characteristics) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (station_id,"
                " component, component_instance, evse_id, connector_id, variable,"
                " variable_instance, attribute_type) DO UPDATE SET value=excluded.value,"
                " mutability=CASE WHEN excluded.mutability='' THEN device_model.mutability"
                " ELSE excluded.mutability END,"
                " characteristics=CASE WHEN excluded.characteristics='{}'"
                " THEN device_model.characteristics ELSE excluded.characteristics END",
                rows,
            )

        await self.run(job)

    async def lookup_device_model(self, station_id: str) -> list[DeviceModelVariable]:
        def job(c: sqlite3.Connection) -> list[DeviceModelVariable]:
            rows = c.execute(
                "SELECT component, variable, component_instance, evse_id, connector_id,"
                " variable_instance, attribute_type, value, mutability, characteristics"
                " FROM device_model WHERE station_id=? ORDER BY component, component_instance,"
                " evse_id, connector_id, variable, variable_instance, attribute_type",
                (station_id,),
            ).fetchall()
            return [
                DeviceModelVariable(
                    component=r[0],
                    variable=r[1],
                    component_instance=r[2],
                    evse_id=None if r[3] == -1 else r[3],
                    connector_id=None if r[4] == -1 else r[4],
                    variable_instance=r[5],
                    attribute_type=r[6],
                    value=r[7],
                    mutability=r[8],
                    characteristics=orjson.loads(r[9]),
                )
                for r in rows
            ]

        return await self.run(job)

    # --- ISO 15118 smart charging ----------------------------------------------------------------

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
                updated_at=_req_ts(r[4]),
            )

        return await self.run(job)

    # --- station events --------------------------------------------------------------------------

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
            return [StationEvent(r[0], _req_ts(r[1]), r[2], orjson.loads(r[3]), r[4]) for r in rows]

        return await self.run(job)

    # --- message log -----------------------------------------------------------------------------

    async def log_messages(self, messages: Sequence[LoggedMessage]) -> None:
        rows = [
            (
                m.station_id,
                ts(m.at),
                m.direction,
                m.message_type,
                m.message_id,
                m.action,
                None if m.payload is None else _log_payload(m.payload),
                m.error_code,
                m.error_description,
            )
            for m in messages
        ]
        self._logged_since_trim += len(rows)
        trim = self._logged_since_trim >= 1000
        if trim:
            self._logged_since_trim = 0
        keep = self.message_log_retention

        def job(c: sqlite3.Connection) -> None:
            c.executemany(
                "INSERT INTO message_log (station_id, at, direction, message_type, message_id,"
                " action, payload, error_code, error_description) VALUES (?,?,?,?,?,?,?,?,?)",
                rows,
            )
            if trim:
                c.execute(
                    "DELETE FROM message_log WHERE id <= (SELECT MAX(id) FROM message_log) - ?",
                    (keep,),
                )

        await self.run(job)

    async def list_messages(
        self,
        station_id: str | None = None,
        action: str | None = None,
        direction: str | None = None,
        since: datetime | None = None,
        before_id: int | None = None,
        errors_only: bool = False,
        limit: int = 100,
    ) -> list[LoggedMessage]:
        where: list[str] = ["1=1"]
        args: list[Any] = []
        for column, value in (
            ("station_id", station_id),
            ("action", action),
            ("direction", direction),
        ):
            if value is not None:
                where.append(f"{column}=?")
                args.append(value)
        if since is not None:
            where.append("at >= ?")
            args.append(ts(since))
        if before_id is not None:
            where.append("id < ?")
            args.append(before_id)
        if errors_only:
            where.append("message_type=4")
        sql = (
            "SELECT station_id, at, direction, message_type, message_id, action, payload,"
            f" error_code, error_description, id FROM message_log WHERE {' AND '.join(where)}"
            " ORDER BY id DESC LIMIT ?"
        )

        def job(c: sqlite3.Connection) -> list[LoggedMessage]:
            return [
                LoggedMessage(
                    station_id=r[0],
                    at=_req_ts(r[1]),
                    direction=r[2],
                    message_type=r[3],
                    message_id=r[4],
                    action=r[5],
                    payload=None if r[6] is None else orjson.loads(r[6]),
                    error_code=r[7],
                    error_description=r[8],
                    id=r[9],
                )
                for r in c.execute(sql, (*args, limit)).fetchall()
            ]

        return await self.run(job)

    async def trim_messages(self, keep: int, older_than: datetime | None = None) -> int:
        def job(c: sqlite3.Connection) -> int:
            removed = c.execute(
                "DELETE FROM message_log WHERE id <= (SELECT MAX(id) FROM message_log) - ?", (keep,)
            ).rowcount
            if older_than is not None:
                removed += c.execute(
                    "DELETE FROM message_log WHERE at < ?", (ts(older_than),)
                ).rowcount
            return int(removed)

        return await self.run(job)

    # --- calls -----------------------------------------------------------------------------------

    _CALL_COLS = (
        "call_id, station_id, action, request, ocpp_version, created_at, state, origin,"
        " response, error_code, error_description, completed_at"
    )

    @staticmethod
    def _call(r: tuple[Any, ...]) -> CallRecord:
        return CallRecord(
            call_id=r[0],
            station_id=r[1],
            action=r[2],
            request=orjson.loads(r[3]),
            ocpp_version=r[4],
            created_at=_req_ts(r[5]),
            state=CallState(r[6]),
            origin=r[7],
            response=None if r[8] is None else orjson.loads(r[8]),
            error_code=r[9],
            error_description=r[10],
            completed_at=from_ts(r[11]),
        )

    async def create_call(self, call: CallRecord) -> None:
        await self.run(
            lambda c: c.execute(
                f"INSERT INTO calls ({self._CALL_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    call.call_id,
                    call.station_id,
                    call.action,
                    dumps(call.request),
                    call.ocpp_version,
                    ts(call.created_at),
                    call.state.value,
                    call.origin,
                    None if call.response is None else dumps(call.response),
                    call.error_code,
                    call.error_description,
                    ts(call.completed_at),
                ),
            )
        )

    async def complete_call(
        self,
        call_id: str,
        state: CallState,
        at: datetime,
        response: dict[str, object] | None = None,
        error_code: str = "",
        error_description: str = "",
    ) -> CallRecord | None:
        def job(c: sqlite3.Connection) -> CallRecord | None:
            r = c.execute(
                "UPDATE calls SET state=?, completed_at=?, response=?, error_code=?,"
                " error_description=? WHERE call_id=? AND state='pending'"
                f" RETURNING {self._CALL_COLS}",
                (
                    state.value,
                    ts(at),
                    None if response is None else dumps(response),
                    error_code,
                    error_description,
                    call_id,
                ),
            ).fetchone()
            return None if r is None else self._call(r)

        return await self.run(job)

    async def expire_calls(
        self, created_before: datetime, at: datetime, error_description: str
    ) -> list[CallRecord]:
        def job(c: sqlite3.Connection) -> list[CallRecord]:
            rows = c.execute(
                "UPDATE calls SET state=?, completed_at=?, error_description=?"
                " WHERE state='pending' AND created_at < ?"
                f" RETURNING {self._CALL_COLS}",
                (CallState.TIMED_OUT.value, ts(at), error_description, ts(created_before)),
            ).fetchall()
            return [self._call(r) for r in rows]

        return await self.run(job)

    async def lookup_call(self, call_id: str) -> CallRecord | None:
        def job(c: sqlite3.Connection) -> CallRecord | None:
            r = c.execute(
                f"SELECT {self._CALL_COLS} FROM calls WHERE call_id=?",
                (call_id,),
            ).fetchone()
            return None if r is None else self._call(r)

        return await self.run(job)

    async def list_calls(self, station_id: str | None = None, limit: int = 100) -> list[CallRecord]:
        def job(c: sqlite3.Connection) -> list[CallRecord]:
            if station_id is None:
                rows = c.execute(
                    f"SELECT {self._CALL_COLS} FROM calls ORDER BY created_at DESC LIMIT ?",
                    (limit,),
                ).fetchall()
            else:
                rows = c.execute(
                    f"SELECT {self._CALL_COLS} FROM calls WHERE station_id=?"
                    " ORDER BY created_at DESC LIMIT ?",
                    (station_id, limit),
                ).fetchall()
            return [self._call(r) for r in rows]

        return await self.run(job)

    # --- reservations ----------------------------------------------------------------------------

    _RESERVATION_COLS = (
        "reservation_id, station_id, evse_id, id_token, token_type, group_id, expires_at,"
        " status, created_at, updated_at, external_id"
    )

    @staticmethod
    def _reservation(r: tuple[Any, ...]) -> Reservation:
        return Reservation(
            reservation_id=r[0],
            station_id=r[1],
            evse_id=r[2],
            id_token=r[3],
            token_type=r[4],
            group_id=r[5],
            expires_at=_req_ts(r[6]),
            status=ReservationStatus(r[7]),
            created_at=_req_ts(r[8]),
            updated_at=_req_ts(r[9]),
            external_id=r[10],
        )

    async def add_reservation(self, reservation: Reservation) -> int:
        res = reservation

        def job(c: sqlite3.Connection) -> int:
            row = c.execute(
                "INSERT INTO reservations (station_id, evse_id, id_token, token_type, group_id,"
                " expires_at, status, created_at, updated_at, external_id)"
                " VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING reservation_id",
                (
                    res.station_id,
                    res.evse_id,
                    res.id_token,
                    res.token_type,
                    res.group_id,
                    ts(res.expires_at),
                    res.status.value,
                    ts(res.created_at),
                    ts(res.updated_at),
                    res.external_id,
                ),
            ).fetchone()
            return int(row[0])

        res.reservation_id = await self.run(job)
        return res.reservation_id

    async def set_reservation_status(
        self, reservation_id: int, status: ReservationStatus, at: datetime
    ) -> None:
        await self.run(
            lambda c: c.execute(
                "UPDATE reservations SET status=?, updated_at=? WHERE reservation_id=?",
                (status.value, ts(at), reservation_id),
            )
        )

    async def lookup_reservation(self, reservation_id: int) -> Reservation | None:
        def job(c: sqlite3.Connection) -> Reservation | None:
            r = c.execute(
                f"SELECT {self._RESERVATION_COLS} FROM reservations WHERE reservation_id=?",
                (reservation_id,),
            ).fetchone()
            return None if r is None else self._reservation(r)

        return await self.run(job)

    async def lookup_external_reservation(self, external_id: str) -> Reservation | None:
        def job(c: sqlite3.Connection) -> Reservation | None:
            r = c.execute(
                f"SELECT {self._RESERVATION_COLS} FROM reservations WHERE external_id=?"
                " ORDER BY reservation_id DESC LIMIT 1",
                (external_id,),
            ).fetchone()
            return None if r is None else self._reservation(r)

        return await self.run(job)

    async def list_reservations(
        self,
        station_id: str | None = None,
        active: bool | None = None,
        limit: int = 100,
        now: datetime | None = None,
    ) -> list[Reservation]:
        where: list[str] = []
        params: list[Any] = []
        if station_id is not None:
            where.append("station_id=?")
            params.append(station_id)
        if active is not None:
            live = "(status IN ('Requested','Accepted') AND expires_at > ?)"
            where.append(live if active else f"NOT {live}")
            params.append(ts(now or datetime.now(UTC)))
        sql = f"SELECT {self._RESERVATION_COLS} FROM reservations"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY reservation_id DESC LIMIT ?"
        params.append(limit)

        def job(c: sqlite3.Connection) -> list[Reservation]:
            return [self._reservation(r) for r in c.execute(sql, params).fetchall()]

        return await self.run(job)

    # --- OCPI ------------------------------------------------------------------------------------

    async def set_registration(self, registration: OcpiRegistration) -> None:
        await self.run(
            lambda c: c.execute(
                upsert("ocpi_registrations", "token, status", "token"),
                (registration.token, registration.status),
            )
        )

    async def lookup_registration(self, token: str) -> OcpiRegistration | None:
        def job(c: sqlite3.Connection) -> OcpiRegistration | None:
            r = c.execute(
                "SELECT token, status FROM ocpi_registrations WHERE token=?", (token,)
            ).fetchone()
            return None if r is None else OcpiRegistration(r[0], r[1])

        return await self.run(job)

    async def delete_registration(self, token: str) -> None:
        await self.run(
            lambda c: c.execute("DELETE FROM ocpi_registrations WHERE token=?", (token,))
        )

    async def set_party(self, party: OcpiParty) -> None:
        await self.run(
            lambda c: c.execute(
                upsert(
                    "ocpi_parties",
                    "role, country_code, party_id, url, token",
                    "role, country_code, party_id",
                ),
                (party.role, party.country_code, party.party_id, party.url, party.token),
            )
        )

    async def lookup_party(self, role: str, country_code: str, party_id: str) -> OcpiParty | None:
        def job(c: sqlite3.Connection) -> OcpiParty | None:
            r = c.execute(
                "SELECT role, country_code, party_id, url, token FROM ocpi_parties WHERE role=?"
                " AND country_code=? AND party_id=?",
                (role, country_code, party_id),
            ).fetchone()
            return None if r is None else OcpiParty(*r)

        return await self.run(job)

    async def list_parties(self, role: str) -> list[OcpiParty]:
        def job(c: sqlite3.Connection) -> list[OcpiParty]:
            rows = c.execute(
                "SELECT role, country_code, party_id, url, token FROM ocpi_parties WHERE role=?"
                " ORDER BY country_code, party_id",
                (role,),
            ).fetchall()
            return [OcpiParty(*r) for r in rows]

        return await self.run(job)

    # --- locations -------------------------------------------------------------------------------

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

    # --- API tokens ------------------------------------------------------------------------------

    async def add_api_token(self, token: ApiToken) -> None:
        # Creating a token under an existing name replaces it: the old secret and its use
        # record go together.
        await self.run(
            lambda c: c.execute(
                "INSERT INTO api_tokens (name, token_hash, created_at, last_used_at)"
                " VALUES (?,?,?,?)"
                " ON CONFLICT (name) DO UPDATE SET token_hash=excluded.token_hash,"
                " created_at=excluded.created_at, last_used_at=excluded.last_used_at",
                (token.name, token.token_hash, ts(token.created_at), ts(token.last_used_at)),
            )
        )

    async def lookup_api_token(self, token_hash: str) -> ApiToken | None:
        def job(c: sqlite3.Connection) -> ApiToken | None:
            r = c.execute(
                "SELECT name, token_hash, created_at, last_used_at FROM api_tokens"
                " WHERE token_hash=?",
                (token_hash,),
            ).fetchone()
            return None if r is None else ApiToken(r[0], r[1], _req_ts(r[2]), from_ts(r[3]))

        return await self.run(job)

    async def list_api_tokens(self) -> list[ApiToken]:
        def job(c: sqlite3.Connection) -> list[ApiToken]:
            rows = c.execute(
                "SELECT name, token_hash, created_at, last_used_at FROM api_tokens ORDER BY name"
            ).fetchall()
            return [ApiToken(r[0], r[1], _req_ts(r[2]), from_ts(r[3])) for r in rows]

        return await self.run(job)

    async def touch_api_token(self, token_hash: str, at: datetime) -> None:
        # By hash, not name: a token revoked and created again under the same name meanwhile
        # must not inherit the old one's use.
        await self.run(
            lambda c: c.execute(
                "UPDATE api_tokens SET last_used_at=? WHERE token_hash=?", (ts(at), token_hash)
            )
        )

    async def delete_api_token(self, name: str) -> bool:
        return await self.run(
            lambda c: c.execute("DELETE FROM api_tokens WHERE name=?", (name,)).rowcount > 0
        )


# Everything keyed by a station, removed with it.
_STATION_TABLES = (
    "login_addresses",
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
    "message_log",
    "calls",
)


def _log_payload(payload: Any) -> str:
    """One payload the encoder refuses must not lose the batch it is written with."""
    try:
        return dumps(payload)
    except (TypeError, orjson.JSONEncodeError) as exc:
        return dumps({"notLogged": f"the payload cannot be stored as JSON: {exc}"})


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


def _resolve(batch: list[_Pending], outcomes: list[tuple[bool, Any]]) -> None:
    for pending, (ok, value) in zip(batch, outcomes, strict=True):
        if pending.future.done():  # the caller was cancelled
            continue
        if ok:
            pending.future.set_result(value)
        else:
            pending.future.set_exception(value)


def _merge_event(
    tx: Transaction, event: Transaction, event_type: str, seq_no: int, timestamp: datetime
) -> None:
    """Fold one TransactionEvent into the stored transaction (events may arrive out of order)."""
    if event.id_token:
        tx.id_token, tx.token_type = event.id_token, event.token_type
    if event.evse_id:
        tx.evse_id = event.evse_id
    if event.connector_id:
        tx.connector_id = event.connector_id
    # The station's latest word (by seqNo, not arrival) on what the transaction is doing.
    latest = tx.last_seq_no is None or seq_no >= tx.last_seq_no
    if event.trigger_reason and latest:
        tx.trigger_reason = event.trigger_reason
    if event.charging_state and latest:
        tx.charging_state = event.charging_state
    if event.auth_status:
        tx.auth_status = event.auth_status
    if event.remote_start_id is not None:
        tx.remote_start_id = event.remote_start_id
    tx.offline = tx.offline or event.offline
    if event_type == "Started":
        tx.start_seq_no = seq_no
        tx.started_at = timestamp
    elif event_type == "Ended":
        tx.ended_seq_no = seq_no
        tx.ended_at = timestamp
        if event.stopped_reason:
            tx.stopped_reason = event.stopped_reason
        if event.stop_id_token:
            tx.stop_id_token = event.stop_id_token
    else:
        tx.updated_seq_no_count += 1
        # Until Started arrives, the transaction began at its earliest event seen.
        if tx.start_seq_no is None and (tx.started_at is None or timestamp < tx.started_at):
            tx.started_at = timestamp


def _track_gaps(
    tx: Transaction, c: sqlite3.Connection, station_id: str, tx_id: str, seq_no: int
) -> None:
    """Keep the seqNo numbers missing between the lowest and highest seen (gaps are legal:
    offline stations may drop Updated events; a late arrival fills its gap). In-order events —
    the common case — cost no query."""
    before = list(tx.seq_no_gaps)
    last = tx.last_seq_no
    if last is None or seq_no == last + 1:
        tx.last_seq_no = seq_no
    elif seq_no > last + 1:
        tx.seq_no_gaps = [*before, *range(last + 1, seq_no)][:1000]
        tx.last_seq_no = seq_no
    else:  # a late or out-of-order event: fills a gap, or extends the range downwards
        seen = {
            r[0]
            for r in c.execute(
                "SELECT seq_no FROM transaction_events WHERE station_id=? AND transaction_id=?",
                (station_id, tx_id),
            )
        }
        low, high = min(seen), max(seen)
        tx.seq_no_gaps = [n for n in range(low, high) if n not in seen][:1000]
        tx.last_seq_no = high
    tx.new_gaps = sorted(set(tx.seq_no_gaps) - set(before))
