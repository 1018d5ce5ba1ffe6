"""Store roles. Each handler/service asks for the narrowest role it needs.

Every write method returns only after its data is durably committed (the SQLite store batches
concurrent writes into one transaction — group commit — and resolves each caller after that
commit), so a handler that awaits a write can answer the station safely. The one exception is
``RuntimeStore.note_seen``, which is not awaited: a Heartbeat's last-seen time, written in bulk.

Paged lists take ``after`` (exclusive key of the previous page's last item) and ``limit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from core.store.models import (
    ApiToken,
    CallRecord,
    CallState,
    ConnectorStatus,
    DeviceModelVariable,
    EvCharging,
    FrameRow,
    InstallCertificate,
    LeniencyCount,
    LeniencyGrant,
    LeniencyUse,
    Location,
    LoggableFrame,
    LoggedMessage,
    MeterValue,
    OcpiParty,
    OcpiRegistration,
    Reservation,
    ReservationStatus,
    RuntimeDetails,
    Setting,
    SettingStatus,
    Station,
    StationAuth,
    StationEvent,
    StoredMeterValues,
    Token,
    Transaction,
    TriggerMessage,
)


class StationStore(Protocol):
    async def register_station(self, station_id: str, auth: StationAuth, at: datetime) -> None:
        """Create or update a station's registration (upsert of its auth)."""
        ...

    async def add_station(self, station_id: str, auth: StationAuth, at: datetime) -> bool:
        """Register a new station; False (and nothing changed) when the id exists."""
        ...

    async def lookup_station(self, station_id: str) -> Station | None: ...

    async def lookup_station_auth(self, station_id: str) -> StationAuth | None: ...

    async def list_stations(self, after: str = "", limit: int = 100) -> list[Station]: ...

    async def delete_station(self, station_id: str) -> bool:
        """Remove the station and everything keyed by it; False if it was unknown."""
        ...

    async def set_pending_boot(self, station_id: str, pending: bool) -> None: ...

    async def boot_pending(self, station_id: str) -> bool:
        """Whether a booting station is to be answered Pending: an operator asked for it, or
        settings or certificates wait to be pushed to it (one read for the three)."""
        ...

    async def remember_login_address(self, station_id: str, address: str, at: datetime) -> None:
        """Record a successful login of the station from ``address`` (the newest few kept)."""
        ...

    async def login_addresses(self, station_id: str, since: datetime) -> list[str]:
        """Addresses the station logged in from at or after ``since``, newest first."""
        ...

    async def record_login(
        self, station_id: str, address: str, at: datetime, ocpp_version: str
    ) -> None:
        """A websocket login, in one job (a reconnect storm is made of handshakes): what
        ``remember_login_address`` records, and the OCPP version of the station's websocket
        (its negotiated subprotocol) as its runtime's, which CSMS calls need before — and
        whether or not — it boots; nothing else of its runtime changes."""
        ...


class RuntimeStore(Protocol):
    async def set_runtime_details(self, station_id: str, details: RuntimeDetails) -> None: ...

    async def record_boot(self, station_id: str, details: RuntimeDetails) -> None:
        """A boot: its runtime details, and the station's RebootRequired settings become
        Accepted (the reboot has put them in effect), in one job — every boot's writes, and a
        reconnect storm is ten thousand boots."""
        ...

    async def lookup_runtime_details(self, station_id: str) -> RuntimeDetails | None: ...

    async def touch_station(self, station_id: str, at: datetime) -> None:
        """Record the last time the station was heard from."""
        ...

    def note_seen(self, station_id: str, at: datetime) -> None:
        """Record the last time the station was heard from *without* waiting for a commit —
        the one write exempt from the rule above, for what answers no one depends on (a
        Heartbeat's). Written in bulk within seconds (the SQLite store: ``LAST_SEEN_DELAY``);
        a crash may lose that much of it, a clean close nothing. Lookups in the same process see
        it at once; it never moves a stored time back."""
        ...

    async def set_connector_status(self, station_id: str, status: ConnectorStatus) -> None: ...

    async def list_connector_statuses(self, station_id: str) -> list[ConnectorStatus]: ...


class SettingsStore(Protocol):
    async def update_settings(self, station_id: str, settings: Sequence[Setting]) -> None:
        """Merge ``settings`` (by name) into the station's stored settings."""
        ...

    async def lookup_settings(self, station_id: str) -> list[Setting]: ...

    async def delete_settings(self, station_id: str, names: Sequence[str] | None = None) -> None:
        """Delete the named settings, or all of them when ``names`` is None."""
        ...

    async def claim_due_settings(
        self, now: datetime, lease_until: datetime, limit: int = 50
    ) -> dict[str, list[Setting]]:
        """Atomically take Pending settings whose send_after is due, set their send_after to
        ``lease_until`` and return them by station. Two managers never claim the same item."""
        ...

    async def set_setting_status(
        self, station_id: str, name: str, status: SettingStatus, value: str | None = None
    ) -> None: ...


class CertificateStore(Protocol):
    """Certificates to install on stations (sync), and the client-certificate store by hash."""

    async def upsert_install_certificates(
        self, station_id: str, certificates: Sequence[InstallCertificate]
    ) -> None: ...

    async def lookup_install_certificates(self, station_id: str) -> list[InstallCertificate]: ...

    async def claim_due_install_certificates(
        self, now: datetime, lease_until: datetime, limit: int = 50
    ) -> dict[str, list[InstallCertificate]]:
        """Like :meth:`SettingsStore.claim_due_settings`, for Pending certificates."""
        ...

    async def set_certificate(self, pem: str) -> str:
        """Store a client certificate; returns its key (unpadded base64url SHA-256 of the DER).
        Raises ``ValueError`` when ``pem`` holds no certificate."""
        ...

    async def lookup_certificate(self, certificate_hash: str) -> str | None: ...

    async def delete_certificate(self, certificate_hash: str) -> None: ...


class TriggerStore(Protocol):
    async def set_trigger(self, station_id: str, trigger: TriggerMessage) -> None: ...

    async def lookup_trigger(self, station_id: str) -> TriggerMessage | None: ...

    async def delete_trigger(self, station_id: str) -> None: ...

    async def claim_due_triggers(
        self, now: datetime, lease_until: datetime, limit: int = 50
    ) -> dict[str, TriggerMessage]: ...


class TokenStore(Protocol):
    async def set_token(self, token: Token) -> None:
        """Upsert by uid; ``last_updated`` is set by the store."""
        ...

    async def lookup_token(self, uid: str) -> Token | None: ...

    async def list_tokens(self, offset: int = 0, limit: int = 20) -> list[Token]: ...

    async def delete_token(self, uid: str) -> bool: ...


class TransactionStore(Protocol):
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
        """Create a 1.6 transaction, idempotently: a retry with the same (station, connector,
        idTag, timestamp) returns the existing id. Returns (transaction id, created).

        ``auth_status`` is the idTagInfo status the CSMS answered: a refused start is stored
        too (the station may run it anyway), marked with it."""
        ...

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
        """End a 1.6 transaction of *this station* (never another's). None when unknown."""
        ...

    async def apply_transaction_event(
        self,
        station_id: str,
        transaction: Transaction,
        event_type: str,
        seq_no: int,
        timestamp: datetime,
        meter_values: Sequence[MeterValue],
    ) -> tuple[Transaction, bool]:
        """Upsert a 2.0.1 TransactionEvent, de-duplicated by (station, transactionId, seqNo).

        ``transaction`` carries the fields the event sets (evse, token, token status, trigger
        reason, charging state, stopped reason, remoteStartId, offline). Returns the resulting
        stored transaction and whether the event was new (False = duplicate, nothing changed).

        A new event's result carries the register's bounds over every meter value stored for
        the transaction (``register_wh``), and its meter start and, once ended, meter stop are
        set from them, so the arrival order of the events does not matter. It does not carry
        the readings themselves (``meter_values`` is empty): the bounds are kept as events come,
        so that an event late in a long session reads no earlier reading (find_transaction
        loads them)."""
        ...

    async def close_transaction(
        self, station_id: str, transaction_id: str, at: datetime, reason: str
    ) -> tuple[Transaction, bool] | None:
        """End a transaction its station will never end, as an operator decided, with their
        reason: ended at ``at``, stopped reason ``Other``, meter stop the latest reading.
        Returns the transaction and whether this closed it (False: it had ended already, and is
        returned unchanged); None when unknown. The station's own end, if
        it comes after all, replaces the close (its stop and readings are not refused)."""
        ...

    async def set_transaction_cost(
        self, station_id: str, transaction_id: str, cost: float, currency: str
    ) -> None: ...

    async def find_transaction(
        self, station_id: str, transaction_id: str, *, readings: bool = True
    ) -> Transaction | None:
        """The transaction with its meter values, oldest first (``readings=False``: without
        them, for a caller that needs only the transaction: reading them costs as many rows as
        the session has readings). ``register_wh`` is set either way."""
        ...

    async def list_transactions(
        self,
        station_id: str | None = None,
        active: bool | None = None,
        since: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Transaction]:
        """Newest first. Meter values are not loaded (use ``find_transaction``); each one's
        ``register_wh`` is set."""
        ...


class MeterValueStore(Protocol):
    async def add_meter_values(self, values: Sequence[StoredMeterValues]) -> None: ...

    async def list_meter_values(
        self, station_id: str, transaction_id: str | None = None, limit: int = 1000
    ) -> list[StoredMeterValues]: ...


class DeviceModelStore(Protocol):
    async def upsert_device_model(
        self, station_id: str, variables: Sequence[DeviceModelVariable]
    ) -> None: ...

    async def lookup_device_model(self, station_id: str) -> list[DeviceModelVariable]: ...


class EvChargingStore(Protocol):
    async def set_ev_charging(self, state: EvCharging) -> None:
        """Insert or replace the state of (station, EVSE)."""
        ...

    async def lookup_ev_charging(self, station_id: str, evse_id: int) -> EvCharging | None: ...


class StationEventStore(Protocol):
    async def add_station_event(self, event: StationEvent) -> None: ...

    async def list_station_events(
        self, station_id: str | None = None, limit: int = 100
    ) -> list[StationEvent]:
        """Newest first."""
        ...


class MessageLogStore(Protocol):
    async def log_messages(self, messages: Sequence[LoggableFrame]) -> None:
        """Append to the bounded message log (retention trims the oldest)."""
        ...

    async def log_frames(self, frames: Sequence[FrameRow]) -> None:
        """The same for frames already in their stored shape (the gateway's batches)."""
        ...

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
        """Newest first; ``before_id`` pages backwards."""
        ...

    async def trim_messages(self, keep: int, older_than: datetime | None = None) -> int: ...


class CallStore(Protocol):
    async def create_call(self, call: CallRecord) -> None: ...

    async def complete_call(
        self,
        call_id: str,
        state: CallState,
        at: datetime,
        response: dict[str, object] | None = None,
        error_code: str = "",
        error_description: str = "",
    ) -> CallRecord | None:
        """Move a pending call to its final state; None if unknown or already final."""
        ...

    async def lookup_call(self, call_id: str) -> CallRecord | None: ...

    async def expire_calls(
        self, created_before: datetime, at: datetime, error_description: str
    ) -> list[CallRecord]:
        """Time out every call still pending that was created before ``created_before``."""
        ...

    async def list_calls(
        self, station_id: str | None = None, limit: int = 100
    ) -> list[CallRecord]: ...


class OcpiStore(Protocol):
    async def set_registration(self, registration: OcpiRegistration) -> None: ...

    async def lookup_registration(self, token: str) -> OcpiRegistration | None: ...

    async def delete_registration(self, token: str) -> None: ...

    async def set_party(self, party: OcpiParty) -> None: ...

    async def lookup_party(
        self, role: str, country_code: str, party_id: str
    ) -> OcpiParty | None: ...

    async def list_parties(self, role: str) -> list[OcpiParty]: ...


class LocationStore(Protocol):
    async def set_location(self, location: Location) -> None: ...

    async def lookup_location(self, location_id: str) -> Location | None: ...

    async def list_locations(self, offset: int = 0, limit: int = 50) -> list[Location]: ...


class ReservationStore(Protocol):
    async def add_reservation(self, reservation: Reservation) -> int:
        """Store it and return its new id (also set on ``reservation``)."""
        ...

    async def set_reservation_status(
        self, reservation_id: int, status: ReservationStatus, at: datetime
    ) -> None: ...

    async def lookup_reservation(self, reservation_id: int) -> Reservation | None: ...

    async def lookup_external_reservation(self, external_id: str) -> Reservation | None:
        """The newest reservation with this external id."""
        ...

    async def list_reservations(
        self,
        station_id: str | None = None,
        active: bool | None = None,
        limit: int = 100,
        now: datetime | None = None,
    ) -> list[Reservation]:
        """Newest first; ``active``: Requested or Accepted and not expired at ``now``."""
        ...


class ApiTokenStore(Protocol):
    async def add_api_token(self, token: ApiToken) -> None: ...

    async def lookup_api_token(self, token_hash: str) -> ApiToken | None: ...

    async def list_api_tokens(self) -> list[ApiToken]: ...

    async def touch_api_token(self, token_hash: str, at: datetime) -> None:
        """Record that the token was used at ``at``."""
        ...

    async def delete_api_token(self, name: str) -> bool: ...


class LeniencyStore(Protocol):
    async def set_leniency_grant(self, grant: LeniencyGrant) -> None:
        """Replace the station's stored grant; one with no names and no subprotocol removes it."""
        ...

    async def lookup_leniency_grant(self, station_id: str) -> LeniencyGrant | None: ...

    async def count_leniency(
        self, station_id: str, uses: Sequence[LeniencyUse], at: datetime
    ) -> None:
        """Add one to the count of each use's leniency; its detail becomes the latest."""
        ...

    async def list_leniency_counts(self, station_id: str) -> list[LeniencyCount]:
        """The station's counts, by leniency name."""
        ...


class Store(
    StationStore,
    RuntimeStore,
    SettingsStore,
    CertificateStore,
    TriggerStore,
    TokenStore,
    TransactionStore,
    MeterValueStore,
    DeviceModelStore,
    EvChargingStore,
    StationEventStore,
    MessageLogStore,
    CallStore,
    OcpiStore,
    LocationStore,
    ApiTokenStore,
    ReservationStore,
    LeniencyStore,
    Protocol,
):
    """Every role, plus lifecycle. Implementations: ``sqlite.SqliteStore``,
    ``postgres.PostgresStore``."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...
