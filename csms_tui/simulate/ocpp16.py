"""What a simulated OCPP 1.6J charge point says, and how it answers the central system.

Every answer here is valid against the OCA 1.6 schemas (``tests/unit/test_simulate_answers.py``
checks each one, accept and reject). Where a message has no way to say no, "reject" answers as
"accept" does."""

from __future__ import annotations

from collections.abc import Callable

from core.clock import iso
from core.ocpp.types import JsonObject, OcppVersion
from csms_tui.simulate.state import (
    AVAILABLE,
    FAULTED,
    Availability,
    Connector,
    Effect,
    Reading,
    Reboot,
    RemoteStart,
    RemoteStop,
    Session,
    StationState,
    Trigger,
)

VERSION = OcppVersion.V16


def _status(accept: str, reject: str = "Rejected") -> tuple[JsonObject, JsonObject]:
    return {"status": accept}, {"status": reject}


# Answers that depend on nothing but the action: (accept, reject).
STATIC: dict[str, tuple[JsonObject, JsonObject]] = {
    "CancelReservation": _status("Accepted"),
    "CertificateSigned": _status("Accepted"),
    "ClearCache": _status("Accepted"),
    "ClearChargingProfile": _status("Accepted", "Unknown"),
    "DataTransfer": _status("Accepted"),
    "DeleteCertificate": _status("Accepted", "Failed"),
    "GetCompositeSchedule": _status("Accepted"),
    "GetDiagnostics": ({"fileName": "diagnostics.zip"}, {}),
    "GetInstalledCertificateIds": _status("NotFound", "NotFound"),
    "GetLocalListVersion": ({"listVersion": 0}, {"listVersion": -1}),
    "GetLog": ({"status": "Accepted", "filename": "station.log"}, {"status": "Rejected"}),
    "InstallCertificate": _status("Accepted"),
    "ReserveNow": _status("Accepted"),
    "SendLocalList": _status("Accepted", "Failed"),
    "SetChargingProfile": _status("Accepted"),
    "SignedUpdateFirmware": _status("Accepted"),
    "UnlockConnector": _status("Unlocked", "UnlockFailed"),
    "UpdateFirmware": ({}, {}),
}

# Configuration keys: value and whether the central system may change it.
CONFIGURATION: dict[str, tuple[str, bool]] = {
    "AuthorizeRemoteTxRequests": ("false", True),
    "ClockAlignedDataInterval": ("0", True),
    "ConnectionTimeOut": ("60", True),
    "HeartbeatInterval": ("300", True),
    "LocalAuthorizeOffline": ("true", True),
    "LocalPreAuthorize": ("false", True),
    "MeterValueSampleInterval": ("60", True),
    "MeterValuesSampledData": ("Energy.Active.Import.Register,Power.Active.Import", True),
    "NumberOfConnectors": ("1", False),
    "SecurityProfile": ("0", True),
    "StopTransactionOnEVSideDisconnect": ("true", True),
    "SupportedFeatureProfiles": (
        "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger",
        False,
    ),
}
# Write-only: accepted, never read back (1.6 security whitepaper).
AUTHORIZATION_KEY = "AuthorizationKey"

ANSWERS = frozenset(STATIC) | {
    "ChangeAvailability",
    "ChangeConfiguration",
    "ExtendedTriggerMessage",
    "GetConfiguration",
    "RemoteStartTransaction",
    "RemoteStopTransaction",
    "Reset",
    "TriggerMessage",
}

_TRIGGERABLE = frozenset(
    {
        "BootNotification",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "LogStatusNotification",
        "MeterValues",
        "StatusNotification",
    }
)


Handler = Callable[[StationState, JsonObject], tuple[JsonObject, Effect | None]]


class Ocpp16:
    """The 1.6J dialect (see :class:`csms_tui.simulate.dialect.Dialect`)."""

    version = VERSION
    answers = ANSWERS

    def init_settings(self, st: StationState) -> None:
        st.settings = {key: value for key, (value, _) in CONFIGURATION.items()}
        st.settings["NumberOfConnectors"] = str(len(st.connectors))
        st.settings["SecurityProfile"] = str(max(st.profile.security_profile, 0))
        st.settings["MeterValueSampleInterval"] = f"{st.meter_interval:.0f}"

    # --- what the station says ----------------------------------------------------------------

    def boot(self, st: StationState, reason: str) -> JsonObject:
        p = st.profile
        return {
            "chargePointVendor": p.vendor[:20],
            "chargePointModel": p.model[:20],
            "chargePointSerialNumber": st.station_id[:25],
            "firmwareVersion": p.firmware_version[:50],
        }

    def statuses(self, st: StationState, at: str) -> list[JsonObject]:
        """After a (re)connection: connector 0 (the charge point itself), then each connector."""
        whole = {"connectorId": 0, "errorCode": "NoError", "status": AVAILABLE, "timestamp": at}
        return [whole, *(self.status(c, at) for c in st.connectors)]

    def status(self, c: Connector, at: str) -> JsonObject:
        error = c.error_code if c.status == FAULTED else "NoError"
        return {"connectorId": c.number, "errorCode": error, "status": c.status, "timestamp": at}

    def authorize(self, token: str) -> JsonObject:
        return {"idTag": token}

    def token_status(self, answer: JsonObject) -> str:
        info = answer.get("idTagInfo")
        return str(info.get("status", "")) if isinstance(info, dict) else ""

    def start(self, s: Session, r: Reading, offline: bool) -> tuple[str, JsonObject]:
        payload: JsonObject = {
            "connectorId": s.connector.number,
            "idTag": s.token,
            "meterStart": round(r.wh),
            "timestamp": iso(r.at),
        }
        return "StartTransaction", payload

    def start_answered(self, s: Session, answer: JsonObject) -> bool:
        """Takes the CSMS's transaction id; False when it refused the token (the station then
        stops the transaction, reason DeAuthorized)."""
        tx = answer.get("transactionId")
        if isinstance(tx, int):
            s.tx_id = tx
        return self.token_status(answer) == "Accepted"

    def meter(
        self, s: Session, r: Reading, offline: bool, trigger: bool = False
    ) -> tuple[str, JsonObject] | None:
        """MeterValues of the running transaction; None while its id is unknown (started
        offline and not yet answered: 1.6 cannot name the transaction then)."""
        if s.tx_id is None:
            return None
        context = "Trigger" if trigger else "Sample.Periodic"
        return "MeterValues", {
            "connectorId": s.connector.number,
            "transactionId": s.tx_id,
            "meterValue": [{"timestamp": iso(r.at), "sampledValue": _sampled(r, context)}],
        }

    def stop(self, s: Session, r: Reading, offline: bool) -> tuple[str, JsonObject] | None:
        if s.tx_id is None:
            return None
        return "StopTransaction", {
            "transactionId": s.tx_id,
            "idTag": s.token,
            "meterStop": round(r.wh),
            "timestamp": iso(r.at),
            "reason": s.stop_reason,
        }

    def notification(self, message: str) -> JsonObject:
        """A triggered diagnostics/firmware/log status notification: nothing going on."""
        return {"status": "Idle"}

    def triggered_meter(self, c: Connector, r: Reading) -> JsonObject:
        payload: JsonObject = {
            "connectorId": c.number,
            "meterValue": [{"timestamp": iso(r.at), "sampledValue": _sampled(r, "Trigger")}],
        }
        if c.session is not None and c.session.tx_id is not None:
            payload["transactionId"] = c.session.tx_id
        return payload

    def report(self, st: StationState, request_id: int, at: str) -> JsonObject:
        raise NotImplementedError("1.6 has no device model report")

    # --- how it answers -----------------------------------------------------------------------

    def answer(
        self, st: StationState, action: str, request: JsonObject, reject: bool
    ) -> tuple[JsonObject, Effect | None]:
        if action in STATIC:
            accept_answer, reject_answer = STATIC[action]
            return (reject_answer if reject else accept_answer), None
        if reject:
            return _refusal(action, request), None
        return _HANDLERS[action](st, request)


def _sampled(r: Reading, context: str) -> list[JsonObject]:
    return [
        {
            "value": f"{r.wh:.0f}",
            "context": context,
            "measurand": "Energy.Active.Import.Register",
            "unit": "Wh",
        },
        {
            "value": f"{r.power_w:.0f}",
            "context": context,
            "measurand": "Power.Active.Import",
            "unit": "W",
        },
    ]


def _refusal(action: str, request: JsonObject) -> JsonObject:
    if action == "GetConfiguration":
        keys = request.get("key")
        return {"unknownKey": keys} if keys else {"configurationKey": []}
    return {"status": "Rejected"}


def _get_configuration(st: StationState, request: JsonObject) -> tuple[JsonObject, None]:
    wanted = request.get("key") or list(st.settings)
    known = [
        {"key": k, "readonly": not CONFIGURATION[k][1], "value": st.settings[k]}
        for k in wanted
        if k in st.settings
    ]
    unknown = [k for k in wanted if k not in st.settings]
    result: JsonObject = {"configurationKey": known}
    if unknown:
        result["unknownKey"] = unknown
    return result, None


def _change_configuration(st: StationState, request: JsonObject) -> tuple[JsonObject, None]:
    key, value = str(request.get("key", "")), str(request.get("value", ""))
    if key == AUTHORIZATION_KEY:
        # The new password counts from the next connection on, as on a real charge point.
        st.password = value
        return {"status": "Accepted"}, None
    if key not in CONFIGURATION:
        return {"status": "NotSupported"}, None
    if not CONFIGURATION[key][1]:
        return {"status": "Rejected"}, None
    if key in ("HeartbeatInterval", "MeterValueSampleInterval"):
        if not value.isdigit():
            return {"status": "Rejected"}, None
        if key == "HeartbeatInterval":
            st.heartbeat_interval = float(value)
        else:
            st.meter_interval = max(float(value), 1.0)
    st.settings[key] = value
    return {"status": "Accepted"}, None


def _reset(st: StationState, request: JsonObject) -> tuple[JsonObject, Effect]:
    kind = request.get("type", "Soft")
    return {"status": "Accepted"}, Reboot(stop_reason=f"{kind}Reset")


def _remote_start(st: StationState, request: JsonObject) -> tuple[JsonObject, Effect | None]:
    number = request.get("connectorId")
    c = st.by_number(number) if isinstance(number, int) else st.free_connector()
    if c is None or c.session is not None or c.status != AVAILABLE or not c.operative:
        return {"status": "Rejected"}, None
    return {"status": "Accepted"}, RemoteStart(c, str(request.get("idTag", "")))


def _remote_stop(st: StationState, request: JsonObject) -> tuple[JsonObject, Effect | None]:
    session = st.session_by_tx(request.get("transactionId"))
    if session is None or session.tx_id is None:
        return {"status": "Rejected"}, None
    return {"status": "Accepted"}, RemoteStop(session)


def _trigger(st: StationState, request: JsonObject) -> tuple[JsonObject, Effect | None]:
    message = str(request.get("requestedMessage", ""))
    if message not in _TRIGGERABLE:
        return {"status": "NotImplemented"}, None
    number = request.get("connectorId")
    connector = None
    if isinstance(number, int) and number > 0:
        connector = st.by_number(number)
        if connector is None:
            return {"status": "Rejected"}, None
    return {"status": "Accepted"}, Trigger(message, connector)


def _change_availability(st: StationState, request: JsonObject) -> tuple[JsonObject, Effect]:
    number = request.get("connectorId", 0)
    operative = request.get("type") == "Operative"
    if number == 0:
        targets = tuple(st.connectors)
    else:
        one = st.by_number(number) if isinstance(number, int) else None
        targets = (one,) if one is not None else ()
    busy = any(c.session is not None for c in targets)
    # A connector in a session changes once it is free again (Scheduled), the rest at once.
    return {"status": "Scheduled" if busy else "Accepted"}, Availability(targets, operative)


_HANDLERS: dict[str, Handler] = {
    "ChangeAvailability": _change_availability,
    "ChangeConfiguration": _change_configuration,
    "ExtendedTriggerMessage": _trigger,
    "GetConfiguration": _get_configuration,
    "RemoteStartTransaction": _remote_start,
    "RemoteStopTransaction": _remote_stop,
    "Reset": _reset,
    "TriggerMessage": _trigger,
}
