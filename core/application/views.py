"""The views the application service returns: JSON-serialisable pydantic models
(``model_dump(mode="json", by_alias=True)`` gives the API's camelCase; the console reads the
snake_case attributes), and the mappers that build them from the store's models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from core.application.explanations import explain_call
from core.ocpp.explain import Explanation
from core.store.models import (
    CallRecord,
    ConnectorStatus,
    InstallCertificate,
    LoggedMessage,
    Reservation,
    ReservationStatus,
    RuntimeDetails,
    Token,
    Transaction,
)


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
    # Why an operator closed it, when its station never would ("" when the station ended it).
    close_reason: str = ""


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
    # A CALLERROR, or a station answer that failed its schema: what it means and whose it is.
    explanation: Explanation | None = None


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
    explanation: Explanation | None = None  # when the call failed or was never answered


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


@dataclass(frozen=True, slots=True)
class StationFilter:
    """``text``: substring of the station id (case-insensitive); ``ocpp_version``: "1.6"/"2.0.1"."""

    connected: bool | None = None
    ocpp_version: str | None = None
    text: str | None = None
    status: str | None = None  # any connector reports this status (e.g. "Faulted")


def runtime_fields(runtime: RuntimeDetails | None) -> dict[str, Any]:
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


def connector_view(c: ConnectorStatus) -> ConnectorView:
    return ConnectorView(
        evse_id=c.evse_id,
        connector_id=c.connector_id,
        status=c.status,
        error_code=c.error_code,
        info=c.info,
        updated_at=c.updated_at,
    )


def tx_summary(tx: Transaction) -> TransactionSummary:
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
        close_reason=tx.close_reason,
    )


def reservation_view(r: Reservation, now: datetime) -> ReservationView:
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


def call_view(c: CallRecord) -> CallView:
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
        explanation=explain_call(c),
    )


def message_view(m: LoggedMessage, explanation: Explanation | None = None) -> MessageView:
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
        explanation=explanation,
    )


def own_certificate_view(role: str, path: str) -> OwnCertificateView:
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


def certificate_view(c: InstallCertificate) -> CertificateView:
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


def token_view(t: Token) -> TokenView:
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
