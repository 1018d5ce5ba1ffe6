"""Plain data the store reads and writes. Timestamps are timezone-aware UTC."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any, Protocol

import orjson


class SecurityProfile(IntEnum):
    """MaEVe's 0-based numbering, as used on ``/api/v0`` (OCPP SP1..SP3 = 0..2), plus an explicit
    lab-only "no auth" setting that must be chosen deliberately."""

    BASIC = 0  # OCPP SP1: basic auth, no TLS
    TLS_BASIC = 1  # OCPP SP2: TLS + basic auth
    TLS_CLIENT_CERT = 2  # OCPP SP3: TLS + client certificate
    NO_AUTH = -1  # lab/bench only; off unless a station is registered with it


@dataclass(slots=True)
class StationAuth:
    security_profile: SecurityProfile
    password_hash: str | None = None  # base64(SHA-256(password)), padded
    invalid_username_allowed: bool = False


@dataclass(slots=True)
class Station:
    station_id: str
    auth: StationAuth
    registered_at: datetime
    pending_boot: bool = False  # answer the next BootNotification with Pending


@dataclass(slots=True)
class RuntimeDetails:
    ocpp_version: str  # "1.6" / "2.0.1"
    vendor: str = ""
    model: str = ""
    serial_number: str = ""
    firmware_version: str = ""
    boot_reason: str = ""
    boot_status: str = ""
    last_boot_at: datetime | None = None
    last_seen_at: datetime | None = None


@dataclass(slots=True)
class ConnectorStatus:
    """1.6: evse_id = connector_id, connector_id = connector_id. 2.0.1: EVSE and connector."""

    evse_id: int
    connector_id: int
    status: str
    error_code: str = ""
    info: str = ""
    updated_at: datetime | None = None


class SettingStatus(StrEnum):
    PENDING = "Pending"
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    REBOOT_REQUIRED = "RebootRequired"
    NOT_SUPPORTED = "NotSupported"


@dataclass(slots=True)
class Setting:
    name: str
    value: str
    status: SettingStatus = SettingStatus.PENDING
    send_after: datetime | None = None


class CertificateType(StrEnum):
    CHARGE_STATION = "ChargeStation"
    EVCC = "EVCC"
    V2G = "V2G"
    MO = "MO"
    MF = "MF"
    CSMS = "CSMS"


class CertificateStatus(StrEnum):
    PENDING = "Pending"
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


@dataclass(slots=True)
class InstallCertificate:
    certificate_id: str  # hex SHA-256 of the leaf DER
    certificate_type: CertificateType
    certificate_data: str  # PEM (chain)
    status: CertificateStatus = CertificateStatus.PENDING
    send_after: datetime | None = None
    attempts: int = 0


class TriggerStatus(StrEnum):
    PENDING = "Pending"
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    NOT_IMPLEMENTED = "NotImplemented"


@dataclass(slots=True)
class TriggerMessage:
    message: str
    status: TriggerStatus = TriggerStatus.PENDING
    send_after: datetime | None = None
    attempts: int = 0


class CacheMode(StrEnum):
    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


@dataclass(slots=True)
class Token:
    country_code: str
    party_id: str
    type: str  # AD_HOC_USER | APP_USER | OTHER | RFID
    uid: str
    contract_id: str
    issuer: str
    valid: bool
    cache_mode: CacheMode
    visual_number: str | None = None
    group_id: str | None = None
    language_code: str | None = None
    status: str | None = None  # Accepted | Blocked | Expired | Invalid (overrides `valid`)
    expiry_date: datetime | None = None
    last_updated: datetime | None = None


@dataclass(slots=True)
class UnitOfMeasure:
    unit: str = "Wh"
    multiplier: int = 0


@dataclass(slots=True)
class SampledValue:
    value: float
    context: str | None = None
    format: str | None = None
    measurand: str | None = None
    phase: str | None = None
    location: str | None = None
    unit_of_measure: UnitOfMeasure | None = None


@dataclass(slots=True)
class MeterValue:
    timestamp: datetime
    sampled_values: list[SampledValue]


@dataclass(slots=True)
class Transaction:
    """One charging session. ``transaction_id`` is a string for both versions (1.6 ints as text)."""

    station_id: str
    transaction_id: str
    id_token: str = ""
    token_type: str = ""
    evse_id: int = 0
    connector_id: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    meter_start_wh: float | None = None
    meter_stop_wh: float | None = None
    start_seq_no: int | None = None
    ended_seq_no: int | None = None
    updated_seq_no_count: int = 0
    last_seq_no: int | None = None
    seq_no_gaps: list[int] = field(default_factory=list)
    offline: bool = False
    trigger_reason: str = ""
    charging_state: str = ""
    stopped_reason: str = ""
    remote_start_id: int | None = None
    stop_id_token: str = ""
    cost: float | None = None
    currency: str = ""
    # The status the CSMS answered for the token that started or authorised the transaction
    # (1.6 idTagInfo / 2.0.1 idTokenInfo); "" when no token was checked. A station may run a
    # transaction the CSMS refused (offline start, StopTransactionOnInvalidId false): it is kept,
    # with its energy, and shown as not authorised.
    auth_status: str = ""
    # Set when an operator closed the transaction because its station never will (see
    # TransactionStore.close_transaction): their reason. The station's own end, if it comes
    # later, still counts.
    close_reason: str = ""
    meter_values: list[MeterValue] = field(default_factory=list)
    # Set by apply_transaction_event, not stored: the seqNo gaps this event revealed.
    new_gaps: list[int] = field(default_factory=list)
    # Set on every transaction the store returns: where the register began and where it stands
    # now, over every reading stored for it (core.store.energy.register_bounds, kept by the
    # store as each reading comes: RegisterSpan). None when there is no reading. Unlike
    # meter_stop_wh, known while the transaction runs: its energy and cost so far.
    register_wh: tuple[float, float] | None = None

    @property
    def active(self) -> bool:
        return self.ended_at is None and self.ended_seq_no is None

    @property
    def authorized(self) -> bool:
        return self.auth_status in ("", "Accepted")


@dataclass(slots=True)
class StoredMeterValues:
    """Meter values as received, in or out of a transaction."""

    station_id: str
    evse_id: int
    transaction_id: str | None
    meter_value: MeterValue


@dataclass(slots=True)
class DeviceModelVariable:
    """One reported variable attribute from a 2.0.1 NotifyReport (the station's device model)."""

    component: str
    variable: str
    component_instance: str = ""
    evse_id: int | None = None
    connector_id: int | None = None
    variable_instance: str = ""
    attribute_type: str = "Actual"
    value: str | None = None
    mutability: str = ""
    characteristics: dict[str, Any] = field(default_factory=dict)


class ReservationStatus(StrEnum):
    REQUESTED = "Requested"  # sent, no answer yet
    ACCEPTED = "Accepted"
    # the station's refusals (1.6 and 2.0.1 ReserveNowStatus)
    FAULTED = "Faulted"
    OCCUPIED = "Occupied"
    REJECTED = "Rejected"
    UNAVAILABLE = "Unavailable"
    FAILED = "Failed"  # CALLERROR or no answer
    CANCELLED = "Cancelled"
    EXPIRED = "Expired"
    REMOVED = "Removed"  # the station removed it (2.0.1 ReservationStatusUpdate)
    USED = "Used"  # a transaction started on it


ACTIVE_RESERVATION = frozenset({ReservationStatus.REQUESTED, ReservationStatus.ACCEPTED})


@dataclass(slots=True)
class Reservation:
    """A reservation the CSMS asked a station to hold. ``evse_id`` is the 1.6 connectorId
    (0 = the whole station) or the 2.0.1 EVSE (0 = any)."""

    station_id: str
    evse_id: int
    id_token: str
    token_type: str
    expires_at: datetime
    status: ReservationStatus
    created_at: datetime
    updated_at: datetime
    group_id: str | None = None
    reservation_id: int = 0
    # Whose id this is elsewhere: an OCPI eMSP's "CC*PID*reservation_id".
    external_id: str | None = None


@dataclass(slots=True)
class EvCharging:
    """What the CSMS holds for ISO 15118 smart charging on one EVSE (2.0.1 K15-K17): the EV's
    last charging needs, the charging profile the station last accepted for it — the limits an
    EV's schedule must keep — and how many EV schedules in a row were rejected. EVSE 0 holds the
    station-wide maximum profile (ChargingStationMaxProfile) the station accepted."""

    station_id: str
    evse_id: int
    updated_at: datetime
    transaction_id: str = ""
    needs: dict[str, Any] | None = None  # NotifyEVChargingNeedsRequest
    profile: dict[str, Any] | None = None  # ChargingProfileType
    rejections: int = 0


@dataclass(slots=True)
class StationEvent:
    station_id: str
    at: datetime
    event_type: str  # e.g. FirmwareStatus, LogStatus, SecurityEvent, AuthFailed, SeqNoGap
    detail: dict[str, Any] = field(default_factory=dict)
    id: int = 0


class LoggableFrame(Protocol):
    """What the message log stores of a frame: a :class:`LoggedMessage`, or anything with its
    fields — the gateway hands over the frame events it published, rather than a copy each."""

    @property
    def station_id(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def direction(self) -> str: ...
    @property
    def message_type(self) -> int: ...
    @property
    def message_id(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def payload(self) -> Any: ...
    @property
    def error_code(self) -> str: ...
    @property
    def error_description(self) -> str: ...


# A frame as the message log stores it: station id, time, direction ("in" | "out"), message type,
# message id, action, payload as JSON text (None: none), error code, error description. A plain
# tuple of atoms, which the garbage collector stops tracking: the gateway holds the frames of the
# last few milliseconds, thousands at a time, and events with their payloads' dicts and lists
# held that long were promoted to the oldest generation, whose full passes then stalled every
# station for 20-40 ms each.
FrameRow = tuple[str, datetime, str, int, str, str, str | None, str, str]


def encode_payload(payload: Any) -> str | None:
    """A frame's payload as the message log keeps it: JSON text, or None. One payload the
    encoder refuses must not lose the batch it is written with."""
    if payload is None:
        return None
    try:
        return orjson.dumps(payload).decode()
    except (TypeError, orjson.JSONEncodeError) as exc:
        return orjson.dumps({"notLogged": f"the payload cannot be stored as JSON: {exc}"}).decode()


def frame_row(frame: LoggableFrame) -> FrameRow:
    return (
        frame.station_id,
        frame.at,
        frame.direction,
        frame.message_type,
        frame.message_id,
        frame.action,
        encode_payload(frame.payload),
        frame.error_code,
        frame.error_description,
    )


@dataclass(slots=True)
class LoggedMessage:
    station_id: str
    at: datetime
    direction: str  # "in" (from station) | "out" (to station)
    message_type: int
    message_id: str
    action: str = ""
    payload: Any = None
    error_code: str = ""
    error_description: str = ""
    id: int = 0


class CallState(StrEnum):
    PENDING = "pending"
    ANSWERED = "answered"
    ERROR = "error"
    TIMED_OUT = "timed-out"


@dataclass(slots=True)
class CallRecord:
    """A CSMS-initiated call. ``call_id`` is its OCPP message id."""

    call_id: str
    station_id: str
    action: str
    request: dict[str, Any]
    ocpp_version: str
    created_at: datetime
    state: CallState = CallState.PENDING
    origin: str = ""  # api | console | sync | ocpi | …
    response: dict[str, Any] | None = None
    error_code: str = ""
    error_description: str = ""
    completed_at: datetime | None = None


@dataclass(slots=True)
class OcpiRegistration:
    token: str
    status: str  # REGISTERED | PENDING


@dataclass(slots=True)
class OcpiParty:
    role: str
    country_code: str
    party_id: str
    url: str
    token: str


@dataclass(slots=True)
class Location:
    """OCPI-shaped location, kept as the OCPI JSON object (``data``) plus its id."""

    id: str
    data: dict[str, Any]
    last_updated: datetime | None = None


@dataclass(slots=True)
class ApiToken:
    name: str
    token_hash: str  # hex SHA-256 of the bearer token
    created_at: datetime
    # Recorded at most once a minute per token (see core.api.auth.BearerAuth).
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LeniencyGrant:
    """The leniencies granted to one station through the API (core.leniency names, sorted);
    ``no_subprotocol`` is the OCPP subprotocol assumed when its handshake offers none ("": not
    granted). Grants from the configuration are not stored: they are read at start."""

    station_id: str
    names: tuple[str, ...] = ()
    no_subprotocol: str = ""


@dataclass(frozen=True, slots=True)
class LeniencyUse:
    """One violation accepted under a leniency: its name and where (action, JSON pointer)."""

    name: str
    detail: str


@dataclass(frozen=True, slots=True)
class LeniencyCount:
    """How many violations a station had accepted under one leniency, and the latest."""

    station_id: str
    name: str
    count: int
    last_at: datetime
    last_detail: str
