"""The application service: what an operator can see and do, for the REST API and the console.

Both clients go through :class:`CsmsService` and nothing else — the console never reaches into
the store, the API never builds OCPP payloads. Every method returns plain pydantic views
(``model_dump(mode="json", by_alias=True)`` gives the API's camelCase JSON; the console reads the
snake_case attributes) and fails with one of the typed :class:`ServiceError` subclasses, which the
API maps to HTTP statuses and the console to notifications.

Station commands are version-neutral here and mapped to the right action per the station's OCPP
version (1.6 ``RemoteStartTransaction`` vs 2.0.1 ``RequestStartTransaction`` …). Every command is
a call record (see ``core.handlers.call_maker``); ``wait`` optionally blocks until the answer.
"""

from __future__ import annotations

import base64
import secrets
import string
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from core import limits, message_limits
from core.clock import Clock
from core.credentials import hash_password
from core.events import EventBus, Subscription
from core.handlers.call_maker import CallMaker, CallRejectedError
from core.handlers.reservations import answered_status
from core.ocpp.triggers import TRIGGER_MESSAGES_16, TRIGGER_MESSAGES_201
from core.ocpp.types import JsonObject, OcppVersion
from core.services.certificates import LocalCa
from core.services.emaid import normalise_emaid
from core.services.protocols import TariffService
from core.services.token_auth import id_tag_info, id_token_info, ocpp201_token_type
from core.services.x509_checks import certificate_id
from core.station_certificates import (
    NO_LOCAL_CA,
    CertificateRequestError,
    IssuedCertificate,
    issue_station_certificate,
)
from core.station_id import station_id_problem
from core.store.models import (
    CacheMode,
    CallRecord,
    CallState,
    CertificateStatus,
    CertificateType,
    ConnectorStatus,
    InstallCertificate,
    LoggedMessage,
    Reservation,
    ReservationStatus,
    RuntimeDetails,
    SecurityProfile,
    Setting,
    SettingStatus,
    Station,
    StationAuth,
    Token,
    Transaction,
    TriggerMessage,
    TriggerStatus,
)
from core.store.protocols import (
    CallStore,
    CertificateStore,
    DeviceModelStore,
    MessageLogStore,
    MeterValueStore,
    ReservationStore,
    RuntimeStore,
    SettingsStore,
    StationEventStore,
    StationStore,
    TokenStore,
    TransactionStore,
    TriggerStore,
)

T = TypeVar("T")

# ---------------------------------------------------------------------------------------------
# Errors


class ServiceError(Exception):
    """Base of every error the service reports to a client. ``field`` names the bad input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def detail(self) -> str:
        """``field: message``, or the message alone: how a client shows the refusal."""
        return f"{self.field}: {self.message}" if self.field else self.message


class NotFound(ServiceError):
    """The station, call, transaction, token or certificate does not exist."""


class Invalid(ServiceError):
    """An input is wrong; ``field`` names it (``securityProfile``, ``payload/idTag`` …)."""


class StationOffline(ServiceError):
    """The command needs a connected station."""


class Conflict(ServiceError):
    """The request is valid but cannot be done in the station's current state (not booted,
    ambiguous id, …)."""


class Unavailable(ServiceError):
    """An optional part (OCPI, …) is switched off."""


# ---------------------------------------------------------------------------------------------
# Ports the service needs from the rest of the system


class ConnectionRegistry(Protocol):
    """Which stations have a websocket open right now (the gateway's view)."""

    def is_connected(self, station_id: str) -> bool: ...

    def connected(self) -> set[str]: ...


class ServiceStore(
    StationStore,
    RuntimeStore,
    SettingsStore,
    CertificateStore,
    TriggerStore,
    TokenStore,
    TransactionStore,
    MeterValueStore,
    DeviceModelStore,
    StationEventStore,
    MessageLogStore,
    CallStore,
    ReservationStore,
    Protocol,
):
    """The store roles the service reads and writes (``Store`` satisfies it)."""


@dataclass(frozen=True, slots=True)
class ConnectionUrls:
    """How stations reach the gateway, for the connect details shown on registration
    (the seed's ``api.host`` / ``api.ws_port`` / ``api.wss_port``)."""

    host: str = "localhost"
    ws_port: int = 9310
    wss_port: int = 9311

    def url_for(self, station_id: str, profile: SecurityProfile) -> str:
        tls = profile in (SecurityProfile.TLS_BASIC, SecurityProfile.TLS_CLIENT_CERT)
        scheme, port, default_port = (
            ("wss", self.wss_port, 443) if tls else ("ws", self.ws_port, 80)
        )
        # The seed compared the wss port with the ws port's default; each scheme has its own.
        authority = self.host if port == default_port else f"{self.host}:{port}"
        return f"{scheme}://{authority}/ws/{station_id}"


# ---------------------------------------------------------------------------------------------
# Views (JSON-serialisable; camelCase aliases for the API)


class View(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, frozen=True
    )

    def to_json(self) -> dict[str, Any]:
        """The API's JSON form (camelCase, RFC 3339 timestamps, nulls kept)."""
        return self.model_dump(mode="json", by_alias=True)


class ConnectorView(View):
    evse_id: int
    connector_id: int
    status: str
    error_code: str = ""
    info: str = ""
    updated_at: datetime | None = None


class TransactionSummary(View):
    station_id: str
    transaction_id: str
    active: bool
    id_token: str = ""
    token_type: str = ""
    evse_id: int = 0
    connector_id: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    meter_start_wh: float | None = None
    meter_stop_wh: float | None = None
    energy_wh: float | None = None
    charging_state: str = ""
    stopped_reason: str = ""
    cost: float | None = None
    currency: str = ""
    # False for a transaction the CSMS refused to authorise that the station ran anyway (an
    # offline start, StopTransactionOnInvalidId false): kept so its energy is not lost.
    authorized: bool = True
    auth_status: str = ""


class SampledValueView(View):
    value: float
    measurand: str | None = None
    unit: str | None = None
    phase: str | None = None
    context: str | None = None
    location: str | None = None


class MeterValueView(View):
    timestamp: datetime
    sampled_values: list[SampledValueView]


class TransactionDetail(TransactionSummary):
    trigger_reason: str = ""
    offline: bool = False
    remote_start_id: int | None = None
    stop_id_token: str = ""
    seq_no_gaps: list[int] = []
    meter_values: list[MeterValueView] = []


class StationSummary(View):
    station_id: str
    connected: bool
    security_profile: int
    pending_boot: bool
    registered_at: datetime
    ocpp_version: str | None = None
    vendor: str = ""
    model: str = ""
    serial_number: str = ""
    firmware_version: str = ""
    boot_status: str = ""
    last_boot_at: datetime | None = None
    last_seen_at: datetime | None = None
    connectors: list[ConnectorView] = []
    active_transactions: list[TransactionSummary] = []


class StationPage(View):
    stations: list[StationSummary]
    next_after: str | None = None  # pass as ``after`` to get the next page


class StationAuthView(View):
    """The seed's ``GET /cs/{csId}/auth`` body."""

    security_profile: int
    base64_sha256_password: str | None = None
    invalid_username_allowed: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "securityProfile": self.security_profile,
            "invalidUsernameAllowed": self.invalid_username_allowed,
        }
        # The seed spells this key with capitals mid-word, which no generator derives.
        if self.base64_sha256_password is not None:
            data["base64SHA256Password"] = self.base64_sha256_password
        return data


class SettingView(View):
    name: str
    value: str
    status: str
    send_after: datetime | None = None


class CertificateView(View):
    certificate_id: str
    certificate_type: str
    status: str
    attempts: int = 0
    send_after: datetime | None = None
    subject: str = ""
    not_after: datetime | None = None


class StationCertificateView(CertificateView):
    station_id: str


class OwnCertificateView(View):
    """A certificate the CSMS itself uses (TLS server, trusted client CAs, the local CA)."""

    role: str
    path: str
    subject: str = ""
    issuer: str = ""
    not_after: datetime | None = None
    fingerprint: str = ""
    error: str = ""


class CertificateOverview(View):
    stations: list[StationCertificateView]
    own: list[OwnCertificateView]


class TriggerView(View):
    message: str
    status: str
    attempts: int = 0
    send_after: datetime | None = None


class DeviceVariableView(View):
    component: str
    variable: str
    component_instance: str = ""
    evse_id: int | None = None
    connector_id: int | None = None
    variable_instance: str = ""
    attribute_type: str = "Actual"
    value: str | None = None
    mutability: str = ""


class StationEventView(View):
    id: int
    station_id: str
    at: datetime
    event_type: str
    detail: dict[str, Any] = {}


class MessageView(View):
    id: int
    station_id: str
    at: datetime
    direction: str
    message_type: int
    message_id: str
    action: str = ""
    payload: Any = None
    error_code: str = ""
    error_description: str = ""


class CallView(View):
    call_id: str
    station_id: str
    action: str
    request: dict[str, Any]
    ocpp_version: str
    state: str
    origin: str = ""
    created_at: datetime
    completed_at: datetime | None = None
    latency_ms: float | None = None
    response: dict[str, Any] | None = None
    error_code: str = ""
    error_description: str = ""
    # A request the station takes only in parts (its ItemsPerMessage/BytesPerMessage) went as
    # several calls: all their ids, and the view stands for them together.
    call_ids: list[str] = []


class ReservationView(View):
    reservation_id: int
    station_id: str
    evse_id: int
    id_token: str
    token_type: str
    group_id: str | None = None
    expires_at: datetime
    status: str
    active: bool
    created_at: datetime
    updated_at: datetime


class ReservationCommand(View):
    """What reserve-now did: the reservation (its status follows the station's answer) and
    the ReserveNow call."""

    reservation: ReservationView
    call: CallView


class StationDetail(StationSummary):
    invalid_username_allowed: bool = False
    has_password: bool = False
    boot_reason: str = ""
    settings: list[SettingView] = []
    device_model: list[DeviceVariableView] = []
    certificates: list[CertificateView] = []
    trigger: TriggerView | None = None
    recent_events: list[StationEventView] = []
    recent_messages: list[MessageView] = []
    recent_calls: list[CallView] = []
    reservations: list[ReservationView] = []


class StationRegistration(View):
    """What an operator needs to connect a station. ``password`` and ``private_key`` are shown
    once and never stored (only the password's hash is kept)."""

    station_id: str
    security_profile: int
    url: str
    password: str | None = None
    invalid_username_allowed: bool = False
    # Profile 2 with a certificate issued by the local CA: the chain (the station's certificate,
    # then the CA's), and the key when the CSMS generated it.
    certificate: str | None = None
    private_key: str | None = None


class PasswordRotation(View):
    call: CallView
    accepted: bool
    password: str | None = None  # the new password, shown once, only when accepted


class SecurityProfileUpgrade(View):
    """The calls an upgrade made, in order; the stored profile changed only if ``accepted``."""

    accepted: bool
    security_profile: int
    calls: list[CallView]


class TokenView(View):
    """The seed's Token JSON plus status / expiry."""

    country_code: str
    party_id: str
    type: str
    uid: str
    contract_id: str
    issuer: str
    valid: bool
    cache_mode: str
    visual_number: str | None = None
    group_id: str | None = None
    language_code: str | None = None
    status: str | None = None
    expiry_date: datetime | None = None
    last_updated: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        # The seed omits absent optional fields (Go ``omitempty``); so do we.
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class TokenInput(View):
    """A token to store. ``contract_id`` is normalised (eMAID) before storing."""

    country_code: str
    party_id: str
    type: Literal["AD_HOC_USER", "APP_USER", "OTHER", "RFID"]
    uid: str
    contract_id: str
    issuer: str
    valid: bool
    cache_mode: Literal["ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"]
    visual_number: str | None = None
    group_id: str | None = None
    language_code: str | None = None
    status: Literal["Accepted", "Blocked", "Expired", "Invalid"] | None = None
    expiry_date: datetime | None = None


class CertificateInput(View):
    """One certificate for ``POST /cs/{csId}/certificates``."""

    type: Literal["V2G", "MO", "MF", "CSMS"]
    certificate: str
    status: Literal["Accepted", "Rejected", "Pending"] | None = None


# ---------------------------------------------------------------------------------------------
# Filters


@dataclass(frozen=True, slots=True)
class StationFilter:
    """``text``: substring of the station id (case-insensitive); ``ocpp_version``: "1.6"/"2.0.1"."""

    connected: bool | None = None
    ocpp_version: str | None = None
    text: str | None = None
    status: str | None = None  # any connector reports this status (e.g. "Faulted")


# ---------------------------------------------------------------------------------------------
# Version mapping tables

# Actions the CSMS may send, per version (the raw-call endpoint accepts exactly these).
CSMS_ACTIONS: dict[OcppVersion, frozenset[str]] = {
    OcppVersion.V16: frozenset(
        {
            "CancelReservation",
            "CertificateSigned",
            "ChangeAvailability",
            "ChangeConfiguration",
            "ClearCache",
            "ClearChargingProfile",
            "DataTransfer",
            "DeleteCertificate",
            "ExtendedTriggerMessage",
            "GetCompositeSchedule",
            "GetConfiguration",
            "GetDiagnostics",
            "GetInstalledCertificateIds",
            "GetLocalListVersion",
            "GetLog",
            "InstallCertificate",
            "RemoteStartTransaction",
            "RemoteStopTransaction",
            "ReserveNow",
            "Reset",
            "SendLocalList",
            "SetChargingProfile",
            "SignedUpdateFirmware",
            "TriggerMessage",
            "UnlockConnector",
            "UpdateFirmware",
        }
    ),
    OcppVersion.V201: frozenset(
        {
            "CancelReservation",
            "CertificateSigned",
            "ChangeAvailability",
            "ClearCache",
            "ClearChargingProfile",
            "ClearDisplayMessage",
            "ClearVariableMonitoring",
            "CostUpdated",
            "CustomerInformation",
            "DataTransfer",
            "DeleteCertificate",
            "GetBaseReport",
            "GetChargingProfiles",
            "GetCompositeSchedule",
            "GetDisplayMessages",
            "GetInstalledCertificateIds",
            "GetLocalListVersion",
            "GetLog",
            "GetMonitoringReport",
            "GetReport",
            "GetTransactionStatus",
            "GetVariables",
            "InstallCertificate",
            "PublishFirmware",
            "RequestStartTransaction",
            "RequestStopTransaction",
            "ReserveNow",
            "Reset",
            "SendLocalList",
            "SetChargingProfile",
            "SetDisplayMessage",
            "SetMonitoringBase",
            "SetMonitoringLevel",
            "SetNetworkProfile",
            "SetVariableMonitoring",
            "SetVariables",
            "TriggerMessage",
            "UnlockConnector",
            "UnpublishFirmware",
            "UpdateFirmware",
        }
    ),
}

ResetKind = Literal["Soft", "Hard", "OnIdle", "Immediate"]
# 1.6 Soft/Hard and 2.0.1 OnIdle/Immediate are the same two intents.
_RESET_16 = {"Soft": "Soft", "OnIdle": "Soft", "Hard": "Hard", "Immediate": "Hard"}
_RESET_201 = {"Soft": "OnIdle", "OnIdle": "OnIdle", "Hard": "Immediate", "Immediate": "Immediate"}

# What the seed's ``POST /cs/{csId}/trigger`` accepts (stored for the sync loop).
SYNC_TRIGGERS = (
    "BootNotification",
    "StatusNotification",
    "SignV2GCertificate",
    "SignChargingStationCertificate",
    "SignCombinedCertificate",
)
REPORT_BASES = ("FullInventory", "ConfigurationInventory", "SummaryInventory")

_PASSWORD_ALPHABET = string.ascii_letters + string.digits
_VERSIONS = {"1.6": OcppVersion.V16, "2.0.1": OcppVersion.V201}
# Answers that mean "the station took the new value" (RebootRequired: after its next reboot).
_ACCEPTING = frozenset({"Accepted", "RebootRequired"})


def generate_password(length: int = 16) -> str:
    """The seed's admin-UI password: ``length`` characters from a-zA-Z0-9."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def validate_station_id(station_id: str, field: str = "csId") -> str:
    """``station_id`` when it is a usable identity (:mod:`core.station_id`), else
    :class:`Invalid` saying why."""
    problem = station_id_problem(station_id)
    if problem is not None:
        raise Invalid(problem, field=field)
    return station_id


def parse_certificates(pem: str, field: str = "certificate") -> list[x509.Certificate]:
    """All certificates in ``pem`` (leaf first); :class:`Invalid` when there is none."""
    try:
        certs = x509.load_pem_x509_certificates(pem.encode())
    except ValueError as exc:
        raise Invalid(f"not a PEM certificate: {exc}", field=field) from exc
    if not certs:
        raise Invalid("no certificate in the PEM data", field=field)
    return certs


# ---------------------------------------------------------------------------------------------
# The service


class CsmsService:
    """Everything the REST API and the console can do. One instance per process."""

    def __init__(
        self,
        store: ServiceStore,
        call_maker: CallMaker,
        events: EventBus,
        clock: Clock,
        connections: ConnectionRegistry,
        *,
        urls: ConnectionUrls | None = None,
        tariff: TariffService | None = None,
        normalise_emaid: Callable[[str], str] = normalise_emaid,
        recent_limit: int = 20,
        own_certificates: Sequence[tuple[str, str]] = (),
        station_ca: LocalCa | None = None,
        org_name: str = "Thoughtworks",
    ) -> None:
        self._store = store
        self._calls = call_maker
        self._events = events
        self._clock = clock
        self._connections = connections
        self._urls = urls or ConnectionUrls()
        self._tariff = tariff
        self._normalise_emaid = normalise_emaid
        self._recent = recent_limit
        self._own_certificates = list(own_certificates)
        self._station_ca = station_ca
        self._org_name = org_name

    # -- events ---------------------------------------------------------------------------

    def subscribe(self, maxsize: int | None = None) -> Subscription:
        """A live feed of the core's events; call ``close()`` on it when done."""
        return self._events.subscribe(maxsize)

    def connected_stations(self) -> set[str]:
        return set(self._connections.connected())

    # -- stations -------------------------------------------------------------------------

    async def list_stations(
        self, filters: StationFilter | None = None, after: str = "", limit: int = 50
    ) -> StationPage:
        """One page of stations in id order. Filters apply before paging, so a page is full
        unless the list is exhausted."""
        _int(limit, limits.PAGE_LIMIT, "limit")
        filters = filters or StationFilter()
        connected = self._connections.connected()
        active = await self._active_transactions_by_station()
        result: list[StationSummary] = []
        cursor = after
        batch = max(limit, 100)
        while len(result) < limit:
            stations = await self._store.list_stations(after=cursor, limit=batch)
            for station in stations:
                summary = await self._summary(station, connected, active)
                cursor = station.station_id
                if self._matches(summary, filters):
                    result.append(summary)
                    if len(result) == limit:
                        break
            if len(stations) < batch:
                break
        next_after = result[-1].station_id if len(result) == limit else None
        if next_after is not None and not await self._store.list_stations(after=cursor, limit=1):
            next_after = None
        return StationPage(stations=result, next_after=next_after)

    @staticmethod
    def _matches(summary: StationSummary, f: StationFilter) -> bool:
        if f.connected is not None and summary.connected != f.connected:
            return False
        if f.ocpp_version and summary.ocpp_version != f.ocpp_version:
            return False
        if f.text and f.text.lower() not in summary.station_id.lower():
            return False
        return not (f.status and all(c.status != f.status for c in summary.connectors))

    async def _active_transactions_by_station(self) -> dict[str, list[TransactionSummary]]:
        by_station: dict[str, list[TransactionSummary]] = {}
        for tx in await self._store.list_transactions(active=True, limit=100_000):
            by_station.setdefault(tx.station_id, []).append(_tx_summary(tx))
        return by_station

    async def _summary(
        self,
        station: Station,
        connected: set[str],
        active: dict[str, list[TransactionSummary]],
    ) -> StationSummary:
        runtime = await self._store.lookup_runtime_details(station.station_id)
        connectors = await self._store.list_connector_statuses(station.station_id)
        return StationSummary(
            station_id=station.station_id,
            connected=station.station_id in connected,
            security_profile=int(station.auth.security_profile),
            pending_boot=station.pending_boot,
            registered_at=station.registered_at,
            connectors=[_connector_view(c) for c in connectors],
            active_transactions=active.get(station.station_id, []),
            **_runtime_fields(runtime),
        )

    async def _station(self, station_id: str) -> Station:
        station = await self._store.lookup_station(station_id)
        if station is None:
            raise NotFound(f"station {station_id} is not registered", field="csId")
        return station

    async def station_summary(self, station_id: str) -> StationSummary:
        station = await self._station(station_id)
        active = [
            _tx_summary(t)
            for t in await self._store.list_transactions(station_id=station_id, active=True)
        ]
        return await self._summary(
            station, self._connections.connected(), {station_id: active} if active else {}
        )

    async def station_detail(self, station_id: str) -> StationDetail:
        station = await self._station(station_id)
        summary = await self.station_summary(station_id)
        runtime = await self._store.lookup_runtime_details(station_id)
        settings = await self._store.lookup_settings(station_id)
        device_model = await self._store.lookup_device_model(station_id)
        certificates = await self._store.lookup_install_certificates(station_id)
        trigger = await self._store.lookup_trigger(station_id)
        events = await self._store.list_station_events(station_id, limit=self._recent)
        messages = await self._store.list_messages(station_id=station_id, limit=self._recent)
        calls = await self._store.list_calls(station_id=station_id, limit=self._recent)
        now = self._clock.now()
        reservations = [
            _reservation_view(r, now)
            for r in await self._store.list_reservations(station_id, limit=self._recent)
        ]
        return StationDetail(
            reservations=reservations,
            **summary.model_dump(),
            invalid_username_allowed=station.auth.invalid_username_allowed,
            has_password=station.auth.password_hash is not None,
            boot_reason=runtime.boot_reason if runtime else "",
            settings=[
                SettingView(
                    name=s.name, value=s.value, status=s.status.value, send_after=s.send_after
                )
                for s in settings
            ],
            device_model=[
                DeviceVariableView(
                    component=v.component,
                    variable=v.variable,
                    component_instance=v.component_instance,
                    evse_id=v.evse_id,
                    connector_id=v.connector_id,
                    variable_instance=v.variable_instance,
                    attribute_type=v.attribute_type,
                    value=v.value,
                    mutability=v.mutability,
                )
                for v in device_model
            ],
            certificates=[_certificate_view(c) for c in certificates],
            trigger=(
                TriggerView(
                    message=trigger.message,
                    status=trigger.status.value,
                    attempts=trigger.attempts,
                    send_after=trigger.send_after,
                )
                if trigger
                else None
            ),
            recent_events=[
                StationEventView(
                    id=e.id,
                    station_id=e.station_id,
                    at=e.at,
                    event_type=e.event_type,
                    detail=e.detail,
                )
                for e in events
            ],
            recent_messages=[_message_view(m) for m in messages],
            recent_calls=[_call_view(c) for c in calls],
        )

    async def station_auth(self, station_id: str) -> StationAuthView:
        """The seed's auth lookup (the gateway's view of a station's credentials)."""
        station = await self._station(station_id)
        return StationAuthView(
            security_profile=int(station.auth.security_profile),
            base64_sha256_password=station.auth.password_hash,
            invalid_username_allowed=station.auth.invalid_username_allowed,
        )

    async def set_station_auth(
        self,
        station_id: str,
        security_profile: int,
        password_hash: str | None = None,
        invalid_username_allowed: bool = False,
    ) -> None:
        """The seed's ``POST /cs/{csId}``: register a station with a given password hash.

        Deliberately not the seed's upsert: there, posting an existing id silently replaced its
        credentials, so a typo or a re-run script locked a working station out. The same body
        again is accepted (scripts that set up stations stay re-runnable); different credentials
        for an existing id are refused (:class:`Conflict`), saying how to change them."""
        validate_station_id(station_id)
        profile = _profile(security_profile)
        if password_hash is not None:
            _check_password_hash(password_hash)
        auth = StationAuth(profile, password_hash, invalid_username_allowed)
        if await self._store.add_station(station_id, auth, self._clock.now()):
            return
        existing = await self._store.lookup_station(station_id)
        if existing is not None and existing.auth == auth:
            return
        raise _already_registered(station_id)

    async def register_station(
        self,
        station_id: str,
        security_profile: int = int(SecurityProfile.TLS_BASIC),
        invalid_username_allowed: bool = False,
        password: str | None = None,
        *,
        csr: str | None = None,
        issue_certificate: bool = False,
    ) -> StationRegistration:
        """Register a new station (an existing id is refused: :class:`Conflict`). For
        basic-auth profiles generate a password (unless given), store only its hash and return
        it once with the connection URL. For profile 2, ``csr`` (PEM) or ``issue_certificate``
        (a generated key) gets a client certificate from the local CA, returned once."""
        validate_station_id(station_id)
        profile = _profile(security_profile)
        if profile in (SecurityProfile.BASIC, SecurityProfile.TLS_BASIC):
            if password is None:
                password = generate_password()
            else:
                _length(password, limits.PASSWORD, "password")
        elif password is not None:
            raise Invalid("this security profile does not use a password", field="password")
        wants_certificate = csr is not None or issue_certificate
        if wants_certificate and profile is not SecurityProfile.TLS_CLIENT_CERT:
            raise Invalid(
                "a client certificate is for security profile 2 (TLS + client certificate)",
                field="csr" if csr is not None else "issueCertificate",
            )
        if csr is not None and issue_certificate:
            raise Invalid(
                "give a CSR or ask for a generated key, not both", field="issueCertificate"
            )
        # Checked before anything is signed; add_station below settles a concurrent register.
        if await self._store.lookup_station(station_id) is not None:
            raise _already_registered(station_id)
        issued = self._issue_certificate(station_id, csr) if wants_certificate else None
        auth = StationAuth(
            profile, hash_password(password) if password else None, invalid_username_allowed
        )
        if not await self._store.add_station(station_id, auth, self._clock.now()):
            raise _already_registered(station_id)
        if issued is not None:
            # Kept for gateways behind a TLS-terminating proxy, which look the station's
            # certificate up by its hash (GET /certificate/{hash}).
            await self.store_certificate(
                parse_certificates(issued.chain_pem)[0].public_bytes(Encoding.PEM).decode()
            )
        return StationRegistration(
            station_id=station_id,
            security_profile=int(profile),
            url=self._urls.url_for(station_id, profile),
            password=password,
            invalid_username_allowed=invalid_username_allowed,
            certificate=issued.chain_pem if issued else None,
            private_key=issued.private_key_pem if issued else None,
        )

    def _issue_certificate(self, station_id: str, csr: str | None) -> IssuedCertificate:
        field = "csr" if csr is not None else "issueCertificate"
        if self._station_ca is None:
            raise Conflict(NO_LOCAL_CA, field=field)
        try:
            return issue_station_certificate(self._station_ca, station_id, self._org_name, csr)
        except CertificateRequestError as exc:
            raise Invalid(str(exc), field="csr") from exc

    async def delete_station(self, station_id: str) -> None:
        if not await self._store.delete_station(station_id):
            raise NotFound(f"station {station_id} is not registered", field="csId")

    async def set_pending_boot(self, station_id: str, pending: bool) -> None:
        """Answer the station's next BootNotification with Pending (or stop doing so)."""
        await self._station(station_id)
        await self._store.set_pending_boot(station_id, pending)

    async def set_security_profile(self, station_id: str, security_profile: int) -> None:
        """Change the profile the gateway enforces. Basic-auth profiles need a stored password;
        the station's own network profile is the operator's to change (SetNetworkProfile)."""
        station = await self._station(station_id)
        profile = _profile(security_profile)
        if (
            profile in (SecurityProfile.BASIC, SecurityProfile.TLS_BASIC)
            and station.auth.password_hash is None
        ):
            raise Invalid(
                "the station has no password yet: give it one first "
                f"(csms-tui station rotate-password {station_id})",
                field="securityProfile",
            )
        station.auth.security_profile = profile
        await self._store.register_station(station_id, station.auth, station.registered_at)

    async def upgrade_security_profile(
        self,
        station_id: str,
        security_profile: int,
        configuration_slot: int = 1,
        timeout: float | None = None,
    ) -> SecurityProfileUpgrade:
        """Move a connected station up to a higher security profile (OCPP forbids going down)
        and switch what the gateway enforces only once the station has accepted:

        - 1.6 (security whitepaper): ChangeConfiguration ``SecurityProfile``; the station
          reconnects with the new profile.
        - 2.0.1 (B09/A05): SetNetworkProfile into ``configuration_slot`` with our URL for that
          profile, NetworkConfigurationPriority with that slot first, then Reset OnIdle.
        """
        _int(configuration_slot, limits.CONFIGURATION_SLOT, "configurationSlot")
        station = await self._station(station_id)
        profile = _profile(security_profile)
        current = station.auth.security_profile
        if profile is SecurityProfile.NO_AUTH or profile <= current:
            raise Invalid(
                f"must be higher than the current profile ({int(current)}): OCPP stations "
                "refuse to go down; PUT the profile to change only what the gateway enforces",
                field="securityProfile",
            )
        if profile is not SecurityProfile.TLS_CLIENT_CERT and station.auth.password_hash is None:
            raise Invalid(
                "the station has no password yet: rotate its password first",
                field="securityProfile",
            )
        version = await self._connected_version(station_id)
        ocpp_profile = int(profile) + 1  # OCPP numbers the profiles 1..3
        calls: list[CallView] = []

        async def call(action: str, request: JsonObject) -> CallRecord:
            record = await self._send(station_id, action, request, version=version, origin="api")
            final = await self._calls.wait(record.call_id, timeout)
            calls.append(_call_view(final))
            return final

        def done(final: CallRecord) -> bool:
            return final.state is CallState.ANSWERED and _accepted(final)

        if version is OcppVersion.V16:
            accepted = done(
                await call(
                    "ChangeConfiguration", {"key": "SecurityProfile", "value": str(ocpp_profile)}
                )
            )
        else:
            accepted = await self._upgrade_201(
                call, done, profile, ocpp_profile, station_id, configuration_slot
            )
        if accepted:
            station.auth.security_profile = profile
            await self._store.register_station(station_id, station.auth, station.registered_at)
        return SecurityProfileUpgrade(
            accepted=accepted, security_profile=int(station.auth.security_profile), calls=calls
        )

    async def _upgrade_201(
        self,
        call: Callable[[str, JsonObject], Awaitable[CallRecord]],
        done: Callable[[CallRecord], bool],
        profile: SecurityProfile,
        ocpp_profile: int,
        station_id: str,
        slot: int,
    ) -> bool:
        # The station appends "/<its id>" to ocppCsmsUrl.
        url = self._urls.url_for(station_id, profile).rsplit("/", 1)[0]
        network = {
            "configurationSlot": slot,
            "connectionData": {
                "ocppVersion": "OCPP20",
                "ocppTransport": "JSON",
                "ocppCsmsUrl": url,
                "messageTimeout": 30,
                "securityProfile": ocpp_profile,
                "ocppInterface": "Wired0",
            },
        }
        if not done(await call("SetNetworkProfile", network)):
            return False
        # Keep the station's other slots as fallbacks, after the new one.
        priority = str(slot)
        read = await call(
            "GetVariables",
            {
                "getVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "NetworkConfigurationPriority"},
                    }
                ]
            },
        )
        results = (read.response or {}).get("getVariableResult") or []
        if results and results[0].get("attributeStatus") == "Accepted":
            others = [
                p.strip()
                for p in str(results[0].get("attributeValue", "")).split(",")
                if p.strip() and p.strip() != str(slot)
            ]
            priority = ",".join([str(slot), *others])
        priority_set = await call(
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "NetworkConfigurationPriority"},
                        "attributeValue": priority,
                    }
                ]
            },
        )
        if not done(priority_set):
            return False
        # RebootRequired is an acceptance here: this Reset is the reboot ("Scheduled": it
        # happens when the running transaction ends).
        reset = await call("Reset", {"type": "OnIdle"})
        return reset.state is CallState.ANSWERED and (reset.response or {}).get("status") in (
            "Accepted",
            "Scheduled",
        )

    async def replace_password(
        self, station_id: str, password: str | None = None
    ) -> StationRegistration:
        """Store a new basic-auth password for the station without sending it (for a station
        that is not connected, or lost its password): the old password stops working at once,
        and the station must be given the new one, shown once here, before it next connects.
        :meth:`rotate_password` is the way for a connected station."""
        station = await self._station(station_id)
        if password is None:
            password = generate_password()
        else:
            _length(password, limits.PASSWORD, "password")
        station.auth.password_hash = hash_password(password)
        await self._store.register_station(station_id, station.auth, station.registered_at)
        profile = station.auth.security_profile
        return StationRegistration(
            station_id=station_id,
            security_profile=int(profile),
            url=self._urls.url_for(station_id, profile),
            password=password,
            invalid_username_allowed=station.auth.invalid_username_allowed,
        )

    async def rotate_password(
        self, station_id: str, password: str | None = None, timeout: float | None = None
    ) -> PasswordRotation:
        """Send a new basic-auth password to the station and switch the stored hash only when
        the station accepts it, so a refusal or a timeout never locks the station out."""
        station = await self._station(station_id)
        version = await self._connected_version(station_id)
        if password is None:
            # 1.6 AuthorizationKey is specified as up to 40 hex digits; 2.0.1 BasicAuthPassword
            # as 16-40 characters. Hex digits satisfy both readings.
            password = (
                secrets.token_hex(20) if version is OcppVersion.V16 else generate_password(24)
            )
        else:
            _length(password, limits.PASSWORD, "password")
        if version is OcppVersion.V16:
            action = "ChangeConfiguration"
            request: JsonObject = {"key": "AuthorizationKey", "value": password}
        else:
            action = "SetVariables"
            request = {
                "setVariableData": [
                    {
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                        "attributeValue": password,
                    }
                ]
            }
        record = await self._send(station_id, action, request, version=version, origin="api")
        final = await self._calls.wait(record.call_id, timeout)
        accepted = final.state is CallState.ANSWERED and _accepted(final)
        if accepted:
            station.auth.password_hash = hash_password(password)
            await self._store.register_station(station_id, station.auth, station.registered_at)
        return PasswordRotation(
            call=_call_view(final), accepted=accepted, password=password if accepted else None
        )

    # -- seed sync inputs: settings, certificates, triggers ---------------------------------

    async def reconfigure(self, station_id: str, settings: Mapping[str, str]) -> None:
        """Store settings as Pending; the sync loop pushes them to the station."""
        await self._station(station_id)
        runtime = await self._store.lookup_runtime_details(station_id)
        max_len = 500 if runtime and runtime.ocpp_version == "1.6" else 1000
        for name, value in settings.items():
            if not isinstance(value, str):
                raise Invalid("must be a string", field=name)
            if len(value) > max_len:
                raise Invalid(f"longer than {max_len} characters", field=name)
        await self._store.update_settings(
            station_id,
            [Setting(name, value, SettingStatus.PENDING) for name, value in settings.items()],
        )

    async def install_certificates(
        self, station_id: str, certificates: Sequence[CertificateInput]
    ) -> list[str]:
        """Store certificates to install (sync pushes them); returns their ids (hex SHA-256)."""
        await self._station(station_id)
        items: list[InstallCertificate] = []
        for i, cert in enumerate(certificates):
            leaf = parse_certificates(cert.certificate, field=f"certificates/{i}/certificate")[0]
            items.append(
                InstallCertificate(
                    certificate_id=certificate_id(leaf),
                    certificate_type=CertificateType(cert.type),
                    certificate_data=cert.certificate,
                    status=CertificateStatus(cert.status or "Pending"),
                )
            )
        await self._store.upsert_install_certificates(station_id, items)
        return [i.certificate_id for i in items]

    async def install_root_certificate(
        self, station_id: str, pem: str, certificate_type: str = "CSMS"
    ) -> list[str]:
        """Queue a root certificate for installation on the station (Pending, for sync)."""
        if certificate_type not in ("V2G", "MO", "MF", "CSMS"):
            raise Invalid("must be one of V2G, MO, MF, CSMS", field="type")
        return await self.install_certificates(
            station_id,
            [CertificateInput(type=certificate_type, certificate=pem)],  # type: ignore[arg-type]
        )

    async def set_trigger(self, station_id: str, message: str) -> None:
        """Store a trigger for the sync loop (the seed's ``POST /cs/{csId}/trigger``)."""
        await self._station(station_id)
        if message not in SYNC_TRIGGERS:
            raise Invalid(f"must be one of {', '.join(SYNC_TRIGGERS)}", field="trigger")
        await self._store.set_trigger(station_id, TriggerMessage(message, TriggerStatus.PENDING))

    # -- client certificate store (TLS offload) ---------------------------------------------

    async def list_certificates(self) -> CertificateOverview:
        """Every station's installed and pending certificates, and the CSMS's own."""
        stations: list[StationCertificateView] = []
        after = ""
        while True:
            page = await self._store.list_stations(after=after, limit=500)
            for station in page:
                for c in await self._store.lookup_install_certificates(station.station_id):
                    view = _certificate_view(c)
                    stations.append(
                        StationCertificateView(station_id=station.station_id, **view.model_dump())
                    )
            if len(page) < 500:
                break
            after = page[-1].station_id
        own = [_own_certificate(role, path) for role, path in self._own_certificates]
        return CertificateOverview(stations=stations, own=own)

    async def store_certificate(self, pem: str) -> str:
        """Store a client certificate; returns its hash (unpadded base64url SHA-256 of DER)."""
        parse_certificates(pem)
        try:
            return await self._store.set_certificate(pem)
        except ValueError as exc:
            raise Invalid(str(exc), field="certificate") from exc

    async def lookup_certificate(self, certificate_hash: str) -> str:
        pem = await self._store.lookup_certificate(certificate_hash)
        if pem is None:
            raise NotFound(f"no certificate with hash {certificate_hash}")
        return pem

    async def delete_certificate(self, certificate_hash: str) -> None:
        await self._store.delete_certificate(certificate_hash)

    # -- station commands -------------------------------------------------------------------

    async def _connected_version(self, station_id: str) -> OcppVersion:
        await self._station(station_id)
        if not self._connections.is_connected(station_id):
            raise StationOffline(f"station {station_id} is not connected", field="csId")
        try:
            return await self._calls.station_version(station_id)
        except CallRejectedError as exc:
            raise Conflict(str(exc), field="csId") from exc

    async def _send(
        self,
        station_id: str,
        action: str,
        request: JsonObject,
        *,
        version: OcppVersion,
        origin: str,
    ) -> CallRecord:
        try:
            return await self._calls.send(
                station_id, action, request, version=version, origin=origin
            )
        except CallRejectedError as exc:
            raise Invalid(str(exc), field="payload") from exc

    async def _command(
        self,
        station_id: str,
        build: Callable[[OcppVersion], tuple[str, JsonObject]],
        wait: float | None,
        origin: str,
    ) -> CallView:
        version = await self._connected_version(station_id)
        action, request = build(version)
        record = await self._send(station_id, action, request, version=version, origin=origin)
        if wait:
            record = await self._calls.wait(record.call_id, wait)
        return _call_view(record)

    async def _command_in_parts(
        self,
        station_id: str,
        action: str,
        key: str,
        result_key: str,
        items: list[JsonObject],
        wait: float | None,
        origin: str,
    ) -> CallView:
        """A 2.0.1 GetVariables/SetVariables in as many calls as the station's per-message
        limits need (core.message_limits). With ``wait``, the view holds every part's results
        in order, and the first part that failed decides its state."""
        max_items, max_bytes = await message_limits.per_message_limits(
            self._store, station_id, action
        )
        payloads = message_limits.split(key, items, max_items, max_bytes, action)
        records = [
            await self._send(station_id, action, payload, version=OcppVersion.V201, origin=origin)
            for payload in payloads
        ]
        if wait:
            records = [await self._calls.wait(r.call_id, wait) for r in records]
        if len(records) == 1:
            return _call_view(records[0])
        first = _call_view(records[0])
        failed = next((r for r in records if r.state is not CallState.ANSWERED), None)
        results = [x for r in records for x in (r.response or {}).get(result_key, [])]
        return first.model_copy(
            update={
                "request": {key: items},
                "call_ids": [r.call_id for r in records],
                "state": (failed or records[-1]).state.value,
                "completed_at": None if failed is not None else records[-1].completed_at,
                "response": None if failed is not None else {result_key: results},
                "error_code": failed.error_code if failed is not None else "",
                "error_description": failed.error_description if failed is not None else "",
            }
        )

    # -- reservations --------------------------------------------------------------------------

    async def reserve_now(
        self,
        station_id: str,
        id_token: str,
        expires_at: datetime,
        evse_id: int = 0,
        token_type: str = "ISO14443",  # an IdTokenType, not a secret
        group_id: str | None = None,
        wait: float | None = None,
        origin: str = "api",
        external_id: str | None = None,
    ) -> ReservationCommand:
        """1.6 ReserveNow (``evse_id`` = connectorId, 0 = the charge point) / 2.0.1 ReserveNow
        (``evse_id`` 0 = any EVSE). The reservation id is ours; its status follows the answer."""
        _aware(expires_at, "expiresAt")
        now = self._clock.now()
        if expires_at <= now:
            raise Invalid("must be in the future", field="expiresAt")
        if not id_token:
            raise Invalid("must not be empty", field="idToken")
        _length(id_token, limits.ID_TOKEN, "idToken")
        if group_id is not None:
            _length(group_id, limits.ID_TOKEN, "groupId")
        evse_id = _int(evse_id, limits.EVSE_ID, "evseId")
        version = await self._connected_version(station_id)
        reservation = Reservation(
            station_id=station_id,
            evse_id=evse_id,
            id_token=id_token,
            token_type=token_type,
            expires_at=expires_at,
            status=ReservationStatus.REQUESTED,
            created_at=now,
            updated_at=now,
            group_id=group_id,
            external_id=external_id,
        )
        rid = await self._store.add_reservation(reservation)
        expiry = _iso(expires_at)
        if version is OcppVersion.V16:
            request: JsonObject = {
                "connectorId": evse_id,
                "expiryDate": expiry,
                "idTag": id_token,
                "reservationId": rid,
            }
            if group_id:
                request["parentIdTag"] = group_id
        else:
            request = {
                "id": rid,
                "expiryDateTime": expiry,
                "idToken": {"idToken": id_token, "type": token_type},
            }
            if evse_id:
                request["evseId"] = evse_id
            if group_id:
                request["groupIdToken"] = {"idToken": group_id, "type": "Central"}
        try:
            record = await self._send(
                station_id, "ReserveNow", request, version=version, origin=origin
            )
        except ServiceError:
            await self._store.set_reservation_status(rid, ReservationStatus.FAILED, now)
            raise
        if wait:
            record = await self._calls.wait(record.call_id, wait)
        stored = await self._store.lookup_reservation(rid) or reservation
        if stored.status is ReservationStatus.REQUESTED and record.state is CallState.ANSWERED:
            # The answer is in; its result handler may not have stored it yet.
            stored.status = answered_status(record.response or {})
        return ReservationCommand(
            reservation=_reservation_view(stored, now), call=_call_view(record)
        )

    async def cancel_reservation(
        self, station_id: str, reservation_id: int, wait: float | None = None, origin: str = "api"
    ) -> CallView:
        reservation_id = _int(reservation_id, limits.RESERVATION_ID, "reservationId")
        reservation = await self._store.lookup_reservation(reservation_id)
        if reservation is None or reservation.station_id != station_id:
            raise NotFound(
                f"station {station_id} has no reservation {reservation_id}", field="reservationId"
            )
        if not _reservation_view(reservation, self._clock.now()).active:
            raise Conflict(
                f"reservation {reservation_id} is {reservation.status.value}, not active",
                field="reservationId",
            )
        return await self._command(
            station_id,
            lambda v: ("CancelReservation", {"reservationId": reservation_id}),
            wait,
            origin,
        )

    async def list_reservations(
        self, station_id: str | None = None, active: bool | None = None, limit: int = 100
    ) -> list[ReservationView]:
        _int(limit, limits.PAGE_LIMIT, "limit")
        now = self._clock.now()
        return [
            _reservation_view(r, now)
            for r in await self._store.list_reservations(station_id, active, limit, now)
        ]

    async def raw_call(
        self,
        station_id: str,
        action: str,
        payload: JsonObject,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """Send any CSMS-initiated action of the station's version, schema-checked first."""
        _encodable(payload, "payload")
        version = await self._connected_version(station_id)
        if action not in CSMS_ACTIONS[version]:
            raise Invalid(
                f"{action} is not a CSMS-initiated OCPP {version.short} action", field="action"
            )
        record = await self._send(station_id, action, payload, version=version, origin=origin)
        if wait:
            record = await self._calls.wait(record.call_id, wait)
        return _call_view(record)

    async def reset(
        self,
        station_id: str,
        kind: ResetKind = "Soft",
        evse_id: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        if kind not in _RESET_16:
            raise Invalid("must be Soft, Hard, OnIdle or Immediate", field="type")
        evse_id = _opt_int(evse_id, limits.EVSE_ID, "evseId")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                return "Reset", {"type": _RESET_16[kind]}
            req: JsonObject = {"type": _RESET_201[kind]}
            if evse_id:
                req["evseId"] = evse_id
            return "Reset", req

        return await self._command(station_id, build, wait, origin)

    async def remote_start(
        self,
        station_id: str,
        id_token: str,
        evse_id: int | None = None,
        token_type: str = "Central",  # an IdTokenType, not a secret
        remote_start_id: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """1.6 RemoteStartTransaction (``evse_id`` = connectorId) / 2.0.1
        RequestStartTransaction (``remote_start_id`` generated when not given)."""
        _length(id_token, limits.ID_TOKEN, "idToken")
        evse_id = _opt_int(evse_id, limits.EVSE_ID, "evseId")
        remote_start_id = _opt_int(remote_start_id, limits.REQUEST_ID, "remoteStartId")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                req: JsonObject = {"idTag": id_token}
                if evse_id:
                    req["connectorId"] = evse_id
                return "RemoteStartTransaction", req
            req = {
                "idToken": {"idToken": id_token, "type": token_type},
                "remoteStartId": (
                    remote_start_id if remote_start_id is not None else _request_id()
                ),
            }
            if evse_id:
                req["evseId"] = evse_id
            return "RequestStartTransaction", req

        return await self._command(station_id, build, wait, origin)

    async def remote_stop(
        self,
        station_id: str,
        transaction_id: str,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """1.6 RemoteStopTransaction (the id is an integer there) / 2.0.1
        RequestStopTransaction."""
        _length(transaction_id, limits.TRANSACTION_ID_TEXT, "transactionId")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                number = _int_text(transaction_id, limits.TRANSACTION_ID_16, "transactionId")
                return "RemoteStopTransaction", {"transactionId": number}
            return "RequestStopTransaction", {"transactionId": transaction_id}

        return await self._command(station_id, build, wait, origin)

    async def change_availability(
        self,
        station_id: str,
        operative: bool,
        evse_id: int = 0,
        connector_id: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """``evse_id`` 0 = the whole station. For 1.6, ``evse_id`` is the connectorId."""
        evse_id = _int(evse_id, limits.EVSE_ID, "evseId")
        connector_id = _opt_int(connector_id, limits.EVSE_ID, "connectorId")
        status = "Operative" if operative else "Inoperative"

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                return "ChangeAvailability", {"connectorId": evse_id, "type": status}
            req: JsonObject = {"operationalStatus": status}
            if evse_id:
                evse: JsonObject = {"id": evse_id}
                if connector_id:
                    evse["connectorId"] = connector_id
                req["evse"] = evse
            return "ChangeAvailability", req

        return await self._command(station_id, build, wait, origin)

    async def unlock_connector(
        self,
        station_id: str,
        evse_id: int,
        connector_id: int = 1,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """1.6 takes the connector as ``evse_id``; 2.0.1 takes both."""
        evse_id = _int(evse_id, limits.CONNECTOR_ID, "evseId")
        connector_id = _int(connector_id, limits.CONNECTOR_ID, "connectorId")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                return "UnlockConnector", {"connectorId": evse_id}
            return "UnlockConnector", {"evseId": evse_id, "connectorId": connector_id}

        return await self._command(station_id, build, wait, origin)

    async def get_configuration(
        self,
        station_id: str,
        keys: Sequence[str] = (),
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """1.6 GetConfiguration (no keys = all); 2.0.1 GetVariables with keys written
        ``Component[.instance]/Variable[.instance]`` or ``Component.Variable``."""
        for i, key in enumerate(keys):
            _length(key, limits.CONFIGURATION_KEY, f"keys/{i}")

        version = await self._connected_version(station_id)
        if version is OcppVersion.V16:
            request = {"key": list(keys)} if keys else {}
            return await self._command(
                station_id, lambda v: ("GetConfiguration", request), wait, origin
            )
        if not keys:
            raise Invalid(
                "OCPP 2.0.1 needs at least one Component.Variable (or use get_report)",
                field="keys",
            )
        data = [{"component": c, "variable": var} for c, var in map(parse_variable_key, keys)]
        return await self._command_in_parts(
            station_id, "GetVariables", "getVariableData", "getVariableResult", data, wait, origin
        )

    async def set_configuration(
        self,
        station_id: str,
        values: Mapping[str, str],
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """1.6 ChangeConfiguration (one key per call, as 1.6 allows); 2.0.1 SetVariables."""
        if not values:
            raise Invalid("give at least one key and value", field="values")
        for key, value in values.items():
            _length(key, limits.CONFIGURATION_KEY, "values")
            _length(value, limits.CONFIGURATION_VALUE, f"values/{key}")

        version = await self._connected_version(station_id)
        if version is OcppVersion.V16:
            if len(values) != 1:
                raise Invalid("OCPP 1.6 ChangeConfiguration sets one key per call", field="values")
            ((key, value),) = values.items()
            change = {"key": key, "value": value}
            return await self._command(
                station_id, lambda v: ("ChangeConfiguration", change), wait, origin
            )
        data = []
        for key, value in values.items():
            component, variable = parse_variable_key(key)
            data.append({"component": component, "variable": variable, "attributeValue": value})
        return await self._command_in_parts(
            station_id, "SetVariables", "setVariableData", "setVariableResult", data, wait, origin
        )

    async def update_firmware(
        self,
        station_id: str,
        location: str,
        retrieve_at: datetime | None = None,
        signing_certificate: str | None = None,
        signature: str | None = None,
        retries: int | None = None,
        retry_interval: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """1.6 UpdateFirmware, or SignedUpdateFirmware (security whitepaper) when a signing
        certificate and signature are given; 2.0.1 UpdateFirmware. Progress arrives as
        (Signed)FirmwareStatusNotification station events."""
        _check_url(location, "location")
        _aware(retrieve_at, "retrieveAt")
        if (signing_certificate is None) != (signature is None):
            raise Invalid("give both the signing certificate and the signature, or neither",
                          field="signature")  # fmt: skip
        retries = _opt_int(retries, limits.FIRMWARE_RETRIES, "retries")
        retry_interval = _opt_int(retry_interval, limits.FIRMWARE_RETRY_INTERVAL, "retryInterval")
        when = _iso(retrieve_at or self._clock.now())
        request_id = _request_id()
        extra: JsonObject = {}
        if retries is not None:
            extra["retries"] = retries
        if retry_interval is not None:
            extra["retryInterval"] = retry_interval

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16 and signature is None:
                return "UpdateFirmware", {"location": location, "retrieveDate": when, **extra}
            firmware: JsonObject = {"location": location, "retrieveDateTime": when}
            if signature is not None:
                firmware["signingCertificate"] = signing_certificate
                firmware["signature"] = signature
            action = "SignedUpdateFirmware" if v is OcppVersion.V16 else "UpdateFirmware"
            return action, {"requestId": request_id, "firmware": firmware, **extra}

        return await self._command(station_id, build, wait, origin)

    async def get_log(
        self,
        station_id: str,
        location: str,
        log_type: str = "DiagnosticsLog",
        oldest: datetime | None = None,
        latest: datetime | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """Ask the station to upload a log to ``location``: 1.6 GetDiagnostics (core profile)
        for the diagnostics log, GetLog (security whitepaper) for the security log; 2.0.1
        GetLog. Progress arrives as Diagnostics/LogStatusNotification station events."""
        _check_url(location, "location")
        if log_type not in ("DiagnosticsLog", "SecurityLog"):
            raise Invalid("must be DiagnosticsLog or SecurityLog", field="logType")
        _aware(oldest, "oldest")
        _aware(latest, "latest")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16 and log_type == "DiagnosticsLog":
                req: JsonObject = {"location": location}
                if oldest is not None:
                    req["startTime"] = _iso(oldest)
                if latest is not None:
                    req["stopTime"] = _iso(latest)
                return "GetDiagnostics", req
            log: JsonObject = {"remoteLocation": location}
            if oldest is not None:
                log["oldestTimestamp"] = _iso(oldest)
            if latest is not None:
                log["latestTimestamp"] = _iso(latest)
            return "GetLog", {
                "logType": log_type,
                "requestId": _request_id(),
                "log": log,
            }

        return await self._command(station_id, build, wait, origin)

    # -- smart charging ------------------------------------------------------------------------

    async def set_charging_profile(
        self,
        station_id: str,
        evse_id: int,
        profile: JsonObject,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """SetChargingProfile with a profile in the station's version's shape (1.6
        csChargingProfiles / 2.0.1 ChargingProfileType); schema-checked before it is sent."""
        evse_id = _int(evse_id, limits.EVSE_ID, "evseId")
        _encodable(profile, "profile")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                return "SetChargingProfile", {"connectorId": evse_id, "csChargingProfiles": profile}
            return "SetChargingProfile", {"evseId": evse_id, "chargingProfile": profile}

        return await self._command(station_id, build, wait, origin)

    async def set_charging_limit(
        self,
        station_id: str,
        evse_id: int,
        limit: float,
        unit: str = "W",
        duration: int | None = None,
        stack_level: int = 0,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """A one-period Absolute profile from now: TxDefaultProfile on an EVSE/connector, the
        station-wide maximum on 0 (1.6 ChargePointMaxProfile / 2.0.1 ChargingStationMaxProfile)."""
        if unit not in ("W", "A"):
            raise Invalid("must be W or A", field="unit")
        evse_id = _int(evse_id, limits.EVSE_ID, "evseId")
        limit = _number(limit, limits.CHARGING_LIMIT, "limit")
        duration = _opt_int(duration, limits.DURATION_SECONDS, "duration")
        stack_level = _int(stack_level, limits.STACK_LEVEL, "stackLevel")
        start = _iso(self._clock.now())
        profile_id = _request_id()
        schedule: JsonObject = {
            "startSchedule": start,
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
        }
        if duration is not None:
            schedule["duration"] = duration
        version = await self._connected_version(station_id)
        if version is OcppVersion.V16:
            profile: JsonObject = {
                "chargingProfileId": profile_id,
                "stackLevel": stack_level,
                "chargingProfilePurpose": "ChargePointMaxProfile" if evse_id == 0
                else "TxDefaultProfile",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": schedule,
            }  # fmt: skip
        else:
            profile = {
                "id": profile_id,
                "stackLevel": stack_level,
                "chargingProfilePurpose": "ChargingStationMaxProfile" if evse_id == 0
                else "TxDefaultProfile",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": [{"id": 1, **schedule}],
            }  # fmt: skip
        return await self.set_charging_profile(station_id, evse_id, profile, wait, origin)

    async def clear_charging_profile(
        self,
        station_id: str,
        profile_id: int | None = None,
        evse_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """ClearChargingProfile: by id, or every profile matching the criteria (none: all)."""
        profile_id = _opt_int(profile_id, limits.PROFILE_ID, "id")
        evse_id = _opt_int(evse_id, limits.EVSE_ID, "evseId")
        stack_level = _opt_int(stack_level, limits.STACK_LEVEL, "stackLevel")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            req: JsonObject = {}
            if v is OcppVersion.V16:
                for key, value in (
                    ("id", profile_id),
                    ("connectorId", evse_id),
                    ("chargingProfilePurpose", purpose),
                    ("stackLevel", stack_level),
                ):
                    if value is not None:
                        req[key] = value
                return "ClearChargingProfile", req
            if profile_id is not None:
                req["chargingProfileId"] = profile_id
            criteria: JsonObject = {}
            for key, value in (
                ("evseId", evse_id),
                ("chargingProfilePurpose", purpose),
                ("stackLevel", stack_level),
            ):
                if value is not None:
                    criteria[key] = value
            if criteria:
                req["chargingProfileCriteria"] = criteria
            return "ClearChargingProfile", req

        return await self._command(station_id, build, wait, origin)

    async def get_composite_schedule(
        self,
        station_id: str,
        evse_id: int,
        duration: int,
        unit: str | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        evse_id = _int(evse_id, limits.EVSE_ID, "evseId")
        duration = _int(duration, limits.DURATION_SECONDS, "duration")
        if unit is not None and unit not in ("W", "A"):
            raise Invalid("must be W or A", field="unit")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            key = "connectorId" if v is OcppVersion.V16 else "evseId"
            req: JsonObject = {key: evse_id, "duration": duration}
            if unit is not None:
                req["chargingRateUnit"] = unit
            return "GetCompositeSchedule", req

        return await self._command(station_id, build, wait, origin)

    # -- display messages (2.0.1) ---------------------------------------------------------------

    async def _command_201(
        self,
        station_id: str,
        what: str,
        action: str,
        request: JsonObject,
        wait: float | None,
        origin: str,
    ) -> CallView:
        """A 2.0.1-only command: 409 naming ``what`` 1.6 lacks, nothing sent."""

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                raise Conflict(f"OCPP 1.6 has no {what}", field="csId")
            return action, request

        return await self._command(station_id, build, wait, origin)

    async def set_display_message(
        self,
        station_id: str,
        text: str,
        priority: str = "NormalCycle",
        minutes: int | None = None,
        message_id: int | None = None,
        language: str | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """2.0.1 SetDisplayMessage (UTF-8 text, shown from now, for ``minutes`` if given)."""
        _length(text, limits.DISPLAY_TEXT, "text")
        if priority not in ("AlwaysFront", "InFront", "NormalCycle"):
            raise Invalid("must be AlwaysFront, InFront or NormalCycle", field="priority")
        # Bounded before ``now + timedelta(minutes=…)`` below can overflow.
        minutes = _opt_int(minutes, limits.MINUTES, "minutes")
        message_id = _opt_int(message_id, limits.REQUEST_ID, "id")
        if language is not None:
            _length(language, limits.LANGUAGE, "language")
        content: JsonObject = {"format": "UTF8", "content": text}
        if language:
            content["language"] = language
        now = self._clock.now()
        message: JsonObject = {
            "id": message_id if message_id is not None else _request_id(),
            "priority": priority,
            "message": content,
            "startDateTime": _iso(now),
        }
        if minutes is not None:
            message["endDateTime"] = _iso(now + timedelta(minutes=minutes))
        return await self._command_201(
            station_id, "display messages", "SetDisplayMessage", {"message": message}, wait, origin
        )

    async def clear_display_message(
        self, station_id: str, message_id: int, wait: float | None = None, origin: str = "api"
    ) -> CallView:
        message_id = _int(message_id, limits.REQUEST_ID, "id")
        return await self._command_201(
            station_id, "display messages", "ClearDisplayMessage", {"id": message_id}, wait, origin
        )

    async def get_display_messages(
        self, station_id: str, wait: float | None = None, origin: str = "api"
    ) -> CallView:
        """2.0.1 GetDisplayMessages; the messages arrive as NotifyDisplayMessages events."""
        request = {"requestId": _request_id()}
        return await self._command_201(
            station_id, "display messages", "GetDisplayMessages", request, wait, origin
        )

    # -- transaction status, customer information (2.0.1) ---------------------------------------

    async def get_transaction_status(
        self,
        station_id: str,
        transaction_id: str | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """2.0.1 GetTransactionStatus: is the transaction (or any) still queued or ongoing?"""
        if transaction_id is not None:
            _length(transaction_id, limits.TRANSACTION_ID_TEXT, "transactionId")
        request: JsonObject = {} if transaction_id is None else {"transactionId": transaction_id}
        return await self._command_201(
            station_id, "GetTransactionStatus", "GetTransactionStatus", request, wait, origin
        )

    async def customer_information(
        self,
        station_id: str,
        report: bool,
        clear: bool,
        customer_identifier: str | None = None,
        id_token: str | None = None,
        token_type: str = "ISO14443",  # an IdTokenType, not a secret
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """2.0.1 CustomerInformation about one customer (an identifier or an id token): report
        it (arrives as NotifyCustomerInformation events) and/or clear it on the station."""
        if not (report or clear):
            raise Invalid("ask for a report, a clear or both", field="report")
        if (customer_identifier is None) == (id_token is None):
            raise Invalid("name the customer by customerIdentifier or by idToken", field="idToken")
        if customer_identifier is not None:
            _length(customer_identifier, limits.CUSTOMER_IDENTIFIER, "customerIdentifier")
        if id_token is not None:
            _length(id_token, limits.ID_TOKEN, "idToken")
        request: JsonObject = {
            "requestId": _request_id(),
            "report": report,
            "clear": clear,
        }
        if customer_identifier is not None:
            request["customerIdentifier"] = customer_identifier
        else:
            request["idToken"] = {"idToken": id_token, "type": token_type}
        return await self._command_201(
            station_id, "CustomerInformation", "CustomerInformation", request, wait, origin
        )

    # -- variable monitoring (2.0.1) ------------------------------------------------------------

    async def set_variable_monitor(
        self,
        station_id: str,
        component: str,
        variable: str,
        kind: str,
        value: float,
        severity: int = 8,
        evse_id: int | None = None,
        monitor_id: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """2.0.1 SetVariableMonitoring of one variable; the station's NotifyEvent reports
        become its events. ``monitor_id`` replaces that monitor."""
        if kind not in MONITOR_KINDS:
            raise Invalid(f"must be one of {', '.join(MONITOR_KINDS)}", field="type")
        _length(component, limits.COMPONENT_NAME, "component")
        _length(variable, limits.COMPONENT_NAME, "variable")
        value = _number(value, limits.MONITOR_VALUE, "value")
        severity = _int(severity, limits.SEVERITY, "severity")
        evse_id = _opt_int(evse_id, limits.EVSE_ID, "evseId")
        monitor_id = _opt_int(monitor_id, limits.REQUEST_ID, "id")
        target: JsonObject = {"name": component}
        if evse_id is not None:
            target["evse"] = {"id": evse_id}
        monitor: JsonObject = {
            "value": value,
            "type": kind,
            "severity": severity,
            "component": target,
            "variable": {"name": variable},
        }
        if monitor_id is not None:
            monitor["id"] = monitor_id
        request = {"setMonitoringData": [monitor]}
        return await self._command_201(
            station_id, "variable monitoring", "SetVariableMonitoring", request, wait, origin
        )

    async def clear_variable_monitors(
        self, station_id: str, ids: Sequence[int], wait: float | None = None, origin: str = "api"
    ) -> CallView:
        if not ids:
            raise Invalid("name at least one monitor id", field="ids")
        if len(ids) > limits.MONITOR_IDS:
            raise Invalid(f"name at most {limits.MONITOR_IDS} monitor ids", field="ids")
        request = {"id": [_int(i, limits.REQUEST_ID, f"ids/{n}") for n, i in enumerate(ids)]}
        return await self._command_201(
            station_id, "variable monitoring", "ClearVariableMonitoring", request, wait, origin
        )

    async def set_monitoring_base(
        self, station_id: str, base: str, wait: float | None = None, origin: str = "api"
    ) -> CallView:
        if base not in ("All", "FactoryDefault", "HardWiredOnly"):
            raise Invalid("must be All, FactoryDefault or HardWiredOnly", field="base")
        request = {"monitoringBase": base}
        return await self._command_201(
            station_id, "variable monitoring", "SetMonitoringBase", request, wait, origin
        )

    async def set_monitoring_level(
        self, station_id: str, severity: int, wait: float | None = None, origin: str = "api"
    ) -> CallView:
        """Only events of ``severity`` or more urgent (lower) are reported."""
        severity = _int(severity, limits.SEVERITY, "severity")
        request = {"severity": severity}
        return await self._command_201(
            station_id, "variable monitoring", "SetMonitoringLevel", request, wait, origin
        )

    async def get_monitoring_report(
        self, station_id: str, wait: float | None = None, origin: str = "api"
    ) -> CallView:
        """GetMonitoringReport; the monitors arrive as NotifyMonitoringReport events."""
        request = {"requestId": _request_id()}
        return await self._command_201(
            station_id, "variable monitoring", "GetMonitoringReport", request, wait, origin
        )

    async def get_local_list_version(
        self, station_id: str, wait: float | None = None, origin: str = "api"
    ) -> CallView:
        return await self._command(station_id, lambda v: ("GetLocalListVersion", {}), wait, origin)

    async def send_local_list(
        self,
        station_id: str,
        update_type: str = "Full",
        uids: Sequence[str] | None = None,
        remove: Sequence[str] = (),
        version: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """SendLocalList built from our tokens (status, expiry, group as authorisation gives
        them). Full: ``uids`` or, when None, every token that may be cached (not whitelist
        NEVER); an empty list empties the station's list. Differential: ``uids`` updated,
        ``remove`` deleted. Without ``version``, the station's version + 1
        (GetLocalListVersion first)."""
        if update_type not in ("Full", "Differential"):
            raise Invalid("must be Full or Differential", field="updateType")
        if update_type == "Full" and remove:
            raise Invalid("a Full list replaces everything: nothing to remove", field="remove")
        version = _opt_int(version, limits.LIST_VERSION, "version")
        for name, given in (("tokens", uids or ()), ("remove", remove)):
            if len(given) > limits.LOCAL_LIST_TOKENS:
                raise Invalid(f"name at most {limits.LOCAL_LIST_TOKENS} tokens", field=name)
        station_version = await self._connected_version(station_id)
        if update_type == "Differential" and not uids and not remove:
            raise Invalid("name the tokens to update or remove", field="tokens")
        tokens = await self._local_list_tokens(uids if update_type == "Full" else uids or [])
        if version is None:
            version = await self._next_list_version(station_id, origin)
        now = self._clock.now()
        v16 = station_version is OcppVersion.V16
        entries: list[JsonObject] = []
        for token in tokens:
            if v16 and len(token.uid) > 20 and uids is None:
                continue  # a 1.6 idTag holds at most 20 characters: such a token cannot be listed
            if v16:
                entries.append({"idTag": token.uid, "idTagInfo": id_tag_info(token, now)})
            else:
                entries.append(
                    {
                        "idToken": {"idToken": token.uid, "type": ocpp201_token_type(token.type)},
                        "idTokenInfo": id_token_info(token, now),
                    }
                )
        for uid in remove:
            entries.append(
                {"idTag": uid} if v16 else {"idToken": {"idToken": uid, "type": "ISO14443"}}
            )
        request: JsonObject = (
            {"listVersion": version, "updateType": update_type}
            if v16
            else {"versionNumber": version, "updateType": update_type}
        )
        if entries:
            request["localAuthorizationList"] = entries
        return await self._command(station_id, lambda v: ("SendLocalList", request), wait, origin)

    async def _local_list_tokens(self, uids: Sequence[str] | None) -> list[Token]:
        """The named tokens, or (None) every token that may be cached."""
        if uids is None:
            found: list[Token] = []
            offset = 0
            while offset < 100_000:
                page = await self._store.list_tokens(offset, 100)
                found += [t for t in page if t.cache_mode is not CacheMode.NEVER]
                if len(page) < 100:
                    break
                offset += len(page)
            return found
        tokens: list[Token] = []
        for i, uid in enumerate(uids):
            token = await self._store.lookup_token(uid)
            if token is None:
                raise Invalid(f"unknown token {uid}", field=f"tokens/{i}")
            tokens.append(token)
        return tokens

    async def _next_list_version(self, station_id: str, origin: str) -> int:
        """The station's list version + 1; 1 when it has none, does not say, cannot, or is at
        the end of the 32-bit range."""
        record = await self.get_local_list_version(station_id, wait=10, origin=origin)
        response = record.response or {}
        current = response.get("listVersion", response.get("versionNumber"))
        if isinstance(current, int) and 0 <= current < limits.LIST_VERSION.hi:
            return current + 1
        return 1

    async def clear_cache(
        self, station_id: str, wait: float | None = None, origin: str = "api"
    ) -> CallView:
        return await self._command(station_id, lambda v: ("ClearCache", {}), wait, origin)

    async def trigger_message(
        self,
        station_id: str,
        message: str,
        evse_id: int | None = None,
        connector_id: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """An immediate TriggerMessage (the seed's stored trigger is :meth:`set_trigger`)."""
        evse_id = _opt_int(evse_id, limits.EVSE_ID, "evseId")
        connector_id = _opt_int(connector_id, limits.EVSE_ID, "connectorId")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            allowed = TRIGGER_MESSAGES_16 if v is OcppVersion.V16 else TRIGGER_MESSAGES_201
            if message not in allowed:
                raise Invalid(
                    f"OCPP {v.short} can trigger {', '.join(sorted(allowed))}",
                    field="requestedMessage",
                )
            req: JsonObject = {"requestedMessage": message}
            if v is OcppVersion.V16:
                if evse_id:
                    req["connectorId"] = evse_id
            elif evse_id:
                evse: JsonObject = {"id": evse_id}
                if connector_id:
                    evse["connectorId"] = connector_id
                req["evse"] = evse
            return "TriggerMessage", req

        return await self._command(station_id, build, wait, origin)

    async def data_transfer(
        self,
        station_id: str,
        vendor_id: str,
        message_id: str | None = None,
        data: Any = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        _length(vendor_id, limits.VENDOR_ID, "vendorId")
        if message_id is not None:
            _length(message_id, limits.MESSAGE_ID, "messageId")
        _encodable(data, "data")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            req: JsonObject = {"vendorId": vendor_id}
            if message_id:
                req["messageId"] = message_id
            if data is not None:
                # 1.6 ``data`` is a string; 2.0.1 takes any JSON.
                if v is OcppVersion.V16 and not isinstance(data, str):
                    raise Invalid("OCPP 1.6 DataTransfer data is a string", field="data")
                req["data"] = data
            return "DataTransfer", req

        return await self._command(station_id, build, wait, origin)

    async def get_report(
        self,
        station_id: str,
        report_base: str = "FullInventory",
        request_id: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """2.0.1 GetBaseReport (the station answers with NotifyReport, stored as its device
        model); 1.6 has no reports, so the full GetConfiguration stands in."""
        if report_base not in REPORT_BASES:
            raise Invalid(f"must be one of {', '.join(REPORT_BASES)}", field="reportBase")
        request_id = _opt_int(request_id, limits.REQUEST_ID, "requestId")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                return "GetConfiguration", {}
            rid = request_id if request_id is not None else _request_id()
            return "GetBaseReport", {"requestId": rid, "reportBase": report_base}

        return await self._command(station_id, build, wait, origin)

    # -- call records -------------------------------------------------------------------

    async def get_call(self, call_id: str) -> CallView:
        record = await self._store.lookup_call(call_id)
        if record is None:
            raise NotFound(f"no call with id {call_id}", field="callId")
        return _call_view(record)

    async def wait_call(self, call_id: str, timeout: float) -> CallView:
        """Wait up to ``timeout`` seconds for a call to reach its final state."""
        try:
            return _call_view(await self._calls.wait(call_id, timeout))
        except KeyError as exc:
            raise NotFound(f"no call with id {call_id}", field="callId") from exc

    async def list_calls(self, station_id: str | None = None, limit: int = 100) -> list[CallView]:
        _int(limit, limits.PAGE_LIMIT, "limit")
        return [_call_view(c) for c in await self._store.list_calls(station_id, limit)]

    # -- transactions -----------------------------------------------------------------------

    async def list_transactions(
        self,
        station_id: str | None = None,
        active: bool | None = None,
        since: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[TransactionSummary]:
        _int(limit, limits.PAGE_LIMIT, "limit")
        _int(offset, limits.ROW, "offset")
        _aware(since, "since")
        txs = await self._store.list_transactions(station_id, active, since, limit, offset)
        return [_tx_summary(t) for t in txs]

    async def transaction_detail(
        self, transaction_id: str, station_id: str | None = None
    ) -> TransactionDetail:
        """A transaction with meter values and cost. Transaction ids are unique per station;
        without ``station_id`` the id must identify one transaction."""
        if station_id is None:
            matches = await self._find_transaction_stations(transaction_id)
            if not matches:
                raise NotFound(f"no transaction {transaction_id}", field="transactionId")
            if len(matches) > 1:
                raise Conflict(
                    f"transaction id {transaction_id} exists at {len(matches)} stations; "
                    "give the station",
                    field="station",
                )
            station_id = matches[0]
        tx = await self._store.find_transaction(station_id, transaction_id)
        if tx is None:
            raise NotFound(
                f"no transaction {transaction_id} at station {station_id}", field="transactionId"
            )
        meter_values = tx.meter_values
        if not meter_values:
            stored = await self._store.list_meter_values(station_id, transaction_id)
            meter_values = [s.meter_value for s in stored]
        cost, currency = tx.cost, tx.currency
        if cost is None and self._tariff is not None and meter_values:
            estimate = self._tariff.cost(meter_values)
            if estimate is not None:
                cost, currency = estimate.amount, estimate.currency
        summary = _tx_summary(tx).model_dump()
        summary.update(cost=cost, currency=currency)
        return TransactionDetail(
            **summary,
            trigger_reason=tx.trigger_reason,
            offline=tx.offline,
            remote_start_id=tx.remote_start_id,
            stop_id_token=tx.stop_id_token,
            seq_no_gaps=list(tx.seq_no_gaps),
            meter_values=[
                MeterValueView(
                    timestamp=mv.timestamp,
                    sampled_values=[
                        SampledValueView(
                            value=sv.value,
                            measurand=sv.measurand,
                            unit=sv.unit_of_measure.unit if sv.unit_of_measure else None,
                            phase=sv.phase,
                            context=sv.context,
                            location=sv.location,
                        )
                        for sv in mv.sampled_values
                    ],
                )
                for mv in meter_values
            ],
        )

    async def _find_transaction_stations(self, transaction_id: str) -> list[str]:
        found: list[str] = []
        offset, page = 0, 1000
        while True:
            txs = await self._store.list_transactions(limit=page, offset=offset)
            found.extend(t.station_id for t in txs if t.transaction_id == transaction_id)
            if len(txs) < page:
                return found
            offset += page

    # -- message log ------------------------------------------------------------------------

    async def list_messages(
        self,
        station_id: str | None = None,
        action: str | None = None,
        direction: Literal["in", "out"] | None = None,
        since: datetime | None = None,
        before_id: int | None = None,
        errors_only: bool = False,
        limit: int = 100,
    ) -> list[MessageView]:
        """Newest first; page backwards with ``before_id`` = the last id of the page."""
        _int(limit, limits.PAGE_LIMIT, "limit")
        if direction not in (None, "in", "out"):
            raise Invalid("must be in or out", field="direction")
        _opt_int(before_id, limits.ROW, "before")
        _aware(since, "since")
        messages = await self._store.list_messages(
            station_id=station_id,
            action=action,
            direction=direction,
            since=since,
            before_id=before_id,
            errors_only=errors_only,
            limit=limit,
        )
        return [_message_view(m) for m in messages]

    # -- tokens -----------------------------------------------------------------------------

    async def set_token(self, token: TokenInput) -> TokenView:
        """Upsert by uid; the contract id is normalised (eMAID) or rejected."""
        try:
            contract_id = self._normalise_emaid(token.contract_id)
        except ValueError as exc:
            raise Invalid(str(exc), field="contractId") from exc
        _aware(token.expiry_date, "expiryDate")
        stored = Token(
            country_code=token.country_code,
            party_id=token.party_id,
            type=token.type,
            uid=token.uid,
            contract_id=contract_id,
            issuer=token.issuer,
            valid=token.valid,
            cache_mode=CacheMode(token.cache_mode),
            visual_number=token.visual_number,
            group_id=token.group_id,
            language_code=token.language_code,
            status=token.status,
            expiry_date=token.expiry_date,
        )
        await self._store.set_token(stored)
        return await self.get_token(token.uid)

    async def get_token(self, uid: str) -> TokenView:
        token = await self._store.lookup_token(uid)
        if token is None:
            raise NotFound(f"no token {uid}", field="tokenUid")
        return _token_view(token)

    async def list_tokens(self, offset: int = 0, limit: int = 20) -> list[TokenView]:
        _int(offset, limits.ROW, "offset")
        if limit < 1:
            raise Invalid("must be at least 1", field="limit")
        # The seed clamps the page size to 100 rather than refusing larger ones.
        return [_token_view(t) for t in await self._store.list_tokens(offset, min(limit, 100))]

    async def delete_token(self, uid: str) -> None:
        if not await self._store.delete_token(uid):
            raise NotFound(f"no token {uid}", field="tokenUid")


# ---------------------------------------------------------------------------------------------
# Helpers


def parse_variable_key(key: str) -> tuple[JsonObject, JsonObject]:
    """A 2.0.1 variable address written ``Component/Variable`` (or ``Component.Variable``) →
    component and variable objects. Instances go in brackets and an EVSE/connector after ``@``:
    ``OCPPCommCtrlr/HeartbeatInterval``, ``EVSE@1/Power``, ``Connector@1:2/Available``,
    ``TxCtrlr[x]/EVConnectionTimeOut[y]``."""
    sep = "/" if "/" in key else "."
    component_text, _, variable_text = key.partition(sep)
    if not component_text or not variable_text:
        raise Invalid(f"{key!r} is not Component/Variable or Component.Variable", field="keys")
    component_text, at, evse_text = component_text.partition("@")

    def named(text: str) -> JsonObject:
        name, bracket, rest = text.partition("[")
        if not name:
            raise Invalid(f"{key!r}: a name is missing", field="keys")
        obj: JsonObject = {"name": name}
        if bracket:
            if not rest.endswith("]") or len(rest) < 2:
                raise Invalid(f"{key!r}: write an instance as Name[instance]", field="keys")
            obj["instance"] = rest[:-1]
        return obj

    component = named(component_text)
    if at:
        evse_id, colon, connector_id = evse_text.partition(":")
        try:
            evse: JsonObject = {"id": limits.EVSE_ID.parse("keys", evse_id)}
            if colon:
                evse["connectorId"] = limits.CONNECTOR_ID.parse("keys", connector_id)
        except limits.OutOfRange as exc:
            raise Invalid(
                f"{key!r}: write an EVSE as Component@1 or Component@1:2 ({exc.reason})",
                field="keys",
            ) from exc
        component["evse"] = evse
    return component, named(variable_text)


def _accepted(record: CallRecord) -> bool:
    response = record.response or {}
    if record.action == "SetVariables":
        results = response.get("setVariableResult") or []
        return bool(results) and all(r.get("attributeStatus") in _ACCEPTING for r in results)
    return response.get("status") in _ACCEPTING


def _already_registered(station_id: str) -> Conflict:
    return Conflict(
        f"station {station_id} is already registered; registering it again would replace its "
        f"credentials. To change its password: csms-tui station rotate-password {station_id} "
        f"(API: POST /api/v0/cs/{station_id}/password); to start over: remove it first",
        field="csId",
    )


def _profile(value: int) -> SecurityProfile:
    try:
        return SecurityProfile(value)
    except ValueError as exc:
        raise Invalid(
            "must be 0 (basic auth), 1 (TLS + basic auth), 2 (TLS + client certificate) "
            "or -1 (no auth, lab only)",
            field="securityProfile",
        ) from exc


def _check_password_hash(value: str) -> None:
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise Invalid("not base64", field="base64SHA256Password") from exc
    if len(raw) != 32:
        raise Invalid("not a base64 SHA-256 digest", field="base64SHA256Password")


def _aware(value: datetime | None, field: str) -> None:
    """A timestamp we can store: with a time zone, between the years 1900 and 9999 in UTC."""
    if value is None:
        return
    if value.tzinfo is None:
        raise Invalid("needs a timezone (e.g. 2026-01-01T12:00:00Z)", field=field)
    try:
        year = value.astimezone(UTC).year
    except OverflowError:
        year = 0
    if not 1900 <= year <= 9999:
        raise Invalid("must be between the years 1900 and 9999", field=field)


def _runtime_fields(runtime: RuntimeDetails | None) -> dict[str, Any]:
    if runtime is None:
        return {}
    return {
        "ocpp_version": runtime.ocpp_version,
        "vendor": runtime.vendor,
        "model": runtime.model,
        "serial_number": runtime.serial_number,
        "firmware_version": runtime.firmware_version,
        "boot_status": runtime.boot_status,
        "last_boot_at": runtime.last_boot_at,
        "last_seen_at": runtime.last_seen_at,
    }


def _connector_view(c: ConnectorStatus) -> ConnectorView:
    return ConnectorView(
        evse_id=c.evse_id,
        connector_id=c.connector_id,
        status=c.status,
        error_code=c.error_code,
        info=c.info,
        updated_at=c.updated_at,
    )


def _tx_summary(tx: Transaction) -> TransactionSummary:
    energy = None
    if tx.meter_start_wh is not None and tx.meter_stop_wh is not None:
        energy = tx.meter_stop_wh - tx.meter_start_wh
    return TransactionSummary(
        station_id=tx.station_id,
        transaction_id=tx.transaction_id,
        active=tx.active,
        id_token=tx.id_token,
        token_type=tx.token_type,
        evse_id=tx.evse_id,
        connector_id=tx.connector_id,
        started_at=tx.started_at,
        ended_at=tx.ended_at,
        meter_start_wh=tx.meter_start_wh,
        meter_stop_wh=tx.meter_stop_wh,
        energy_wh=energy,
        charging_state=tx.charging_state,
        stopped_reason=tx.stopped_reason,
        cost=tx.cost,
        currency=tx.currency,
        authorized=tx.authorized,
        auth_status=tx.auth_status,
    )


MONITOR_KINDS = ("UpperThreshold", "LowerThreshold", "Delta", "Periodic", "PeriodicClockAligned")


def _request_id() -> int:
    """A fresh id for a station request (OCPP integers are 32-bit, 0 is avoided)."""
    return secrets.randbelow(limits.REQUEST_ID.hi) + 1


def _checked(check: Callable[[], T]) -> T:
    """The value ``check`` returns, or :class:`Invalid` with the field, the range and its reason
    when it is out of range. Checked before anything is stored or sent."""
    try:
        return check()
    except limits.OutOfRange as exc:
        raise Invalid(exc.reason, field=exc.field) from exc


def _int(value: object, bound: limits.Bound, field: str) -> int:
    return _checked(lambda: bound.check(field, value))


def _int_text(text: str, bound: limits.Bound, field: str) -> int:
    """Digits (ASCII only) as an int within ``bound``."""
    return _checked(lambda: bound.parse(field, text))


def _opt_int(value: int | None, bound: limits.Bound, field: str) -> int | None:
    return None if value is None else _int(value, bound, field)


def _number(value: float, bound: limits.NumberBound, field: str) -> float:
    return _checked(lambda: bound.check(field, value))


def _length(value: str, bound: limits.Length, field: str) -> str:
    return _checked(lambda: bound.check(field, value))


def _encodable(value: Any, field: str) -> None:
    """A client's JSON (raw payload, profile, DataTransfer data) the encoder can send."""
    try:
        limits.check_json(field, value)
    except limits.OutOfRange as exc:
        raise Invalid(exc.reason, field=exc.field) from exc


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _check_url(value: str, field: str) -> None:
    """A location a station can reach: an absolute http(s)/ftp(s) URL, as OCPP limits it."""
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in ("http", "https", "ftp", "ftps") or not rest:
        raise Invalid("must be an http(s) or ftp(s) URL", field=field)
    _length(value, limits.URL, field)


def _reservation_view(r: Reservation, now: datetime) -> ReservationView:
    live = r.status in (ReservationStatus.REQUESTED, ReservationStatus.ACCEPTED)
    expired = live and r.expires_at <= now
    return ReservationView(
        reservation_id=r.reservation_id,
        station_id=r.station_id,
        evse_id=r.evse_id,
        id_token=r.id_token,
        token_type=r.token_type,
        group_id=r.group_id,
        expires_at=r.expires_at,
        status=ReservationStatus.EXPIRED.value if expired else r.status.value,
        active=live and not expired,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def _call_view(c: CallRecord) -> CallView:
    latency = None
    if c.completed_at is not None:
        latency = (c.completed_at - c.created_at).total_seconds() * 1000
    return CallView(
        call_id=c.call_id,
        station_id=c.station_id,
        action=c.action,
        request=c.request,
        ocpp_version=c.ocpp_version,
        state=c.state.value,
        origin=c.origin,
        created_at=c.created_at,
        completed_at=c.completed_at,
        latency_ms=latency,
        response=c.response,
        error_code=c.error_code,
        error_description=c.error_description,
    )


def _message_view(m: LoggedMessage) -> MessageView:
    return MessageView(
        id=m.id,
        station_id=m.station_id,
        at=m.at,
        direction=m.direction,
        message_type=m.message_type,
        message_id=m.message_id,
        action=m.action,
        payload=m.payload,
        error_code=m.error_code,
        error_description=m.error_description,
    )


def _own_certificate(role: str, path: str) -> OwnCertificateView:
    try:
        with open(path, "rb") as f:
            cert = x509.load_pem_x509_certificates(f.read())[0]
    except (OSError, ValueError, IndexError) as exc:
        return OwnCertificateView(role=role, path=path, error=str(exc) or type(exc).__name__)
    return OwnCertificateView(
        role=role,
        path=path,
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_after=cert.not_valid_after_utc,
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
    )


def _certificate_view(c: InstallCertificate) -> CertificateView:
    subject, not_after = "", None
    try:
        leaf = x509.load_pem_x509_certificates(c.certificate_data.encode())[0]
        subject, not_after = leaf.subject.rfc4514_string(), leaf.not_valid_after_utc
    except (ValueError, IndexError):
        pass  # stored before validation existed, or a chain we cannot read: show what we have
    return CertificateView(
        certificate_id=c.certificate_id,
        certificate_type=c.certificate_type.value,
        status=c.status.value,
        attempts=c.attempts,
        send_after=c.send_after,
        subject=subject,
        not_after=not_after,
    )


def _token_view(t: Token) -> TokenView:
    return TokenView(
        country_code=t.country_code,
        party_id=t.party_id,
        type=t.type,
        uid=t.uid,
        contract_id=t.contract_id,
        issuer=t.issuer,
        valid=t.valid,
        cache_mode=t.cache_mode.value,
        visual_number=t.visual_number,
        group_id=t.group_id,
        language_code=t.language_code,
        status=t.status,
        expiry_date=t.expiry_date,
        last_updated=t.last_updated,
    )
