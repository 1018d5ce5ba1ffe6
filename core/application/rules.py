"""The application's rules, each kept once: version mapping tables, bounds checks that raise
:class:`~core.application.errors.Invalid` naming the field, and parsers of what operators type."""

from __future__ import annotations

import base64
import secrets
import string
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from cryptography import x509

from core import limits
from core.application.errors import Conflict, Invalid
from core.ocpp.types import JsonObject, OcppVersion
from core.station_id import station_id_problem
from core.store.models import (
    CallRecord,
    SecurityProfile,
)

T = TypeVar("T")


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


# What the seed's ``POST /cs/{csId}/trigger`` accepts (stored for the sync loop).
SYNC_TRIGGERS = (
    "BootNotification",
    "StatusNotification",
    "SignV2GCertificate",
    "SignChargingStationCertificate",
    "SignCombinedCertificate",
)


_PASSWORD_ALPHABET = string.ascii_letters + string.digits


VERSIONS = {"1.6": OcppVersion.V16, "2.0.1": OcppVersion.V201}


# Answers that mean "the station took the new value" (RebootRequired: after its next reboot).
ACCEPTING = frozenset({"Accepted", "RebootRequired"})


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


def answer_accepted(record: CallRecord) -> bool:
    return response_accepted(record.action, record.response or {})


def response_accepted(action: str, response: dict[str, Any]) -> bool:
    """The station took the new value(s): Accepted, or RebootRequired (after its next boot)."""
    if action == "SetVariables":
        results = response.get("setVariableResult") or []
        return bool(results) and all(r.get("attributeStatus") in ACCEPTING for r in results)
    return response.get("status") in ACCEPTING


def already_registered(station_id: str) -> Conflict:
    return Conflict(
        f"station {station_id} is already registered; registering it again would replace its "
        f"credentials. To change its password: csms-tui station rotate-password {station_id} "
        f"(API: POST /api/v0/cs/{station_id}/password); to start over: remove it first",
        field="csId",
    )


def parse_security_profile(value: int) -> SecurityProfile:
    try:
        return SecurityProfile(value)
    except ValueError as exc:
        raise Invalid(
            "must be 0 (basic auth), 1 (TLS + basic auth), 2 (TLS + client certificate) "
            "or -1 (no auth, lab only)",
            field="securityProfile",
        ) from exc


def check_password_hash(value: str) -> None:
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise Invalid("not base64", field="base64SHA256Password") from exc
    if len(raw) != 32:
        raise Invalid("not a base64 SHA-256 digest", field="base64SHA256Password")


def check_aware(value: datetime | None, field: str) -> None:
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


def new_request_id() -> int:
    """A fresh id for a station request (OCPP integers are 32-bit, 0 is avoided)."""
    return secrets.randbelow(limits.REQUEST_ID.hi) + 1


def checked(check: Callable[[], T]) -> T:
    """The value ``check`` returns, or :class:`Invalid` with the field, the range and its reason
    when it is out of range. Checked before anything is stored or sent."""
    try:
        return check()
    except limits.OutOfRange as exc:
        raise Invalid(exc.reason, field=exc.field) from exc


def check_int(value: object, bound: limits.Bound, field: str) -> int:
    return checked(lambda: bound.check(field, value))


def check_int_text(text: str, bound: limits.Bound, field: str) -> int:
    """Digits (ASCII only) as an int within ``bound``."""
    return checked(lambda: bound.parse(field, text))


def check_opt_int(value: int | None, bound: limits.Bound, field: str) -> int | None:
    return None if value is None else check_int(value, bound, field)


def check_number(value: float, bound: limits.NumberBound, field: str) -> float:
    return checked(lambda: bound.check(field, value))


def check_length(value: str, bound: limits.Length, field: str) -> str:
    return checked(lambda: bound.check(field, value))


def check_encodable(value: Any, field: str) -> None:
    """A client's JSON (raw payload, profile, DataTransfer data) the encoder can send."""
    try:
        limits.check_json(field, value)
    except limits.OutOfRange as exc:
        raise Invalid(exc.reason, field=exc.field) from exc


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def check_url(value: str, field: str) -> None:
    """A location a station can reach: an absolute http(s)/ftp(s) URL, as OCPP limits it."""
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in ("http", "https", "ftp", "ftps") or not rest:
        raise Invalid("must be an http(s) or ftp(s) URL", field=field)
    check_length(value, limits.URL, field)
