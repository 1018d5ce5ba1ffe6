"""The SQLite store (and, through ``core.store.postgres``, the PostgreSQL one: same code, same SQL).

``engine.py`` owns the one connection and its writer thread with group commit; ``codecs.py`` how
values are stored; every other module implements one role of ``core.store.protocols`` as a mixin
over the engine. ``SqliteStore`` is all of them together.
"""

from __future__ import annotations

from core.store.sqlite.api_tokens import SqliteApiTokenStore
from core.store.sqlite.calls import SqliteCallStore
from core.store.sqlite.certificates import SqliteCertificateStore
from core.store.sqlite.codecs import certificate_hash, dumps, from_ts, ts, upsert
from core.store.sqlite.device_model import SqliteDeviceModelStore
from core.store.sqlite.engine import SqliteEngine
from core.store.sqlite.ev_charging import SqliteEvChargingStore
from core.store.sqlite.leniency import SqliteLeniencyStore
from core.store.sqlite.locations import SqliteLocationStore
from core.store.sqlite.message_log import SqliteMessageLogStore
from core.store.sqlite.meter_values import SqliteMeterValueStore
from core.store.sqlite.ocpi import SqliteOcpiStore
from core.store.sqlite.reservations import SqliteReservationStore
from core.store.sqlite.runtime import SqliteRuntimeStore
from core.store.sqlite.settings import SqliteSettingsStore
from core.store.sqlite.station_events import SqliteStationEventStore
from core.store.sqlite.stations import LOGIN_ADDRESSES_KEPT, STATION_TABLES, SqliteStationStore
from core.store.sqlite.tokens import SqliteTokenStore
from core.store.sqlite.transactions import SqliteTransactionStore
from core.store.sqlite.triggers import SqliteTriggerStore

__all__ = [
    "LOGIN_ADDRESSES_KEPT",
    "STATION_TABLES",
    "SqliteStore",
    "certificate_hash",
    "dumps",
    "from_ts",
    "ts",
    "upsert",
]


class SqliteStore(
    SqliteStationStore,
    SqliteRuntimeStore,
    SqliteSettingsStore,
    SqliteCertificateStore,
    SqliteTriggerStore,
    SqliteTokenStore,
    SqliteTransactionStore,
    SqliteMeterValueStore,
    SqliteDeviceModelStore,
    SqliteEvChargingStore,
    SqliteStationEventStore,
    SqliteMessageLogStore,
    SqliteCallStore,
    SqliteOcpiStore,
    SqliteLocationStore,
    SqliteApiTokenStore,
    SqliteReservationStore,
    SqliteLeniencyStore,
    SqliteEngine,
):
    """The embedded store, every role over one engine. ``path`` may be ``":memory:"``."""
