"""What a simulated OCPP 2.0.1 charging station says, and how it answers the CSMS.

Every answer here is valid against the OCA 2.0.1 schemas (``tests/unit/test_simulate_answers.py``
checks each one, accept and reject). Transactions start when the driver is authorised (TxStartPoint
Authorized) and the station names them itself, a UUID each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.clock import iso
from core.ocpp.types import JsonObject, OcppVersion
from csms_tui.simulate.state import (
    AVAILABLE,
    FAULTED,
    UNAVAILABLE,
    Availability,
    Connector,
    Effect,
    Reading,
    Reboot,
    RemoteStart,
    RemoteStop,
    Report,
    Session,
    StationState,
    Trigger,
)

VERSION = OcppVersion.V201


def _status(accept: str, reject: str = "Rejected") -> tuple[JsonObject, JsonObject]:
    return {"status": accept}, {"status": reject}


# Answers that depend on nothing but the action: (accept, reject).
STATIC: dict[str, tuple[JsonObject, JsonObject]] = {
    "CancelReservation": _status("Accepted"),
    "CertificateSigned": _status("Accepted"),
    "ClearCache": _status("Accepted"),
    "ClearChargingProfile": _status("Accepted", "Unknown"),
    "ClearDisplayMessage": _status("Accepted", "Unknown"),
    "CostUpdated": ({}, {}),
    "CustomerInformation": _status("Accepted"),
    "DataTransfer": _status("Accepted"),
    "DeleteCertificate": _status("Accepted", "Failed"),
    # "Accepted" would promise ReportChargingProfiles; a station without profiles says so.
    "GetChargingProfiles": _status("NoProfiles", "NoProfiles"),
    "GetCompositeSchedule": _status("Accepted"),
    "GetDisplayMessages": _status("Unknown", "Unknown"),
    "GetInstalledCertificateIds": _status("NotFound", "NotFound"),
    "GetLocalListVersion": ({"versionNumber": 0}, {"versionNumber": 0}),
    "GetLog": ({"status": "Accepted", "filename": "station.log"}, {"status": "Rejected"}),
    "GetMonitoringReport": _status("EmptyResultSet", "Rejected"),
    "GetTransactionStatus": ({"messagesInQueue": False}, {"messagesInQueue": False}),
    "InstallCertificate": _status("Accepted"),
    "PublishFirmware": _status("Accepted"),
    "ReserveNow": _status("Accepted"),
    "SendLocalList": _status("Accepted", "Failed"),
    "SetChargingProfile": _status("Accepted"),
    "SetDisplayMessage": _status("Accepted"),
    "SetMonitoringBase": _status("Accepted"),
    "SetMonitoringLevel": _status("Accepted"),
    "SetNetworkProfile": _status("Accepted"),
    "UnlockConnector": _status("Unlocked", "UnlockFailed"),
    "UnpublishFirmware": _status("Unpublished", "NoFirmware"),
    "UpdateFirmware": _status("Accepted"),
}

# (component, variable, instance) → (value, mutability, data type). Settings are keyed by
# "component/variable" (with "[instance]" where there is one).
VARIABLES: dict[tuple[str, str, str], tuple[str, str, str]] = {
    ("AuthCtrlr", "AuthorizeRemoteStart", ""): ("false", "ReadWrite", "boolean"),
    ("AuthCtrlr", "LocalPreAuthorize", ""): ("false", "ReadWrite", "boolean"),
    ("DeviceDataCtrlr", "BytesPerMessage", "GetVariables"): ("65000", "ReadOnly", "integer"),
    ("DeviceDataCtrlr", "BytesPerMessage", "SetVariables"): ("65000", "ReadOnly", "integer"),
    ("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"): ("50", "ReadOnly", "integer"),
    ("DeviceDataCtrlr", "ItemsPerMessage", "SetVariables"): ("50", "ReadOnly", "integer"),
    ("OCPPCommCtrlr", "HeartbeatInterval", ""): ("300", "ReadWrite", "integer"),
    ("OCPPCommCtrlr", "OfflineThreshold", ""): ("60", "ReadWrite", "integer"),
    ("SampledDataCtrlr", "TxUpdatedInterval", ""): ("60", "ReadWrite", "integer"),
    ("SampledDataCtrlr", "TxUpdatedMeasurands", ""): (
        "Energy.Active.Import.Register,Power.Active.Import",
        "ReadWrite",
        "MemberList",
    ),
    ("SecurityCtrlr", "BasicAuthPassword", ""): ("", "WriteOnly", "string"),
    ("SecurityCtrlr", "Identity", ""): ("", "ReadOnly", "string"),
    ("SecurityCtrlr", "OrganizationName", ""): ("csms-tui", "ReadWrite", "string"),
    ("SecurityCtrlr", "SecurityProfile", ""): ("0", "ReadOnly", "integer"),
    ("TxCtrlr", "EVConnectionTimeOut", ""): ("60", "ReadWrite", "integer"),
    ("TxCtrlr", "StopTxOnEVSideDisconnect", ""): ("true", "ReadWrite", "boolean"),
    ("TxCtrlr", "TxStartPoint", ""): ("Authorized", "ReadWrite", "MemberList"),
    ("TxCtrlr", "TxStopPoint", ""): ("EVConnected,Authorized", "ReadWrite", "MemberList"),
}
_COMPONENTS = frozenset(component for component, _, _ in VARIABLES)

ANSWERS = frozenset(STATIC) | {
    "ChangeAvailability",
    "ClearVariableMonitoring",
    "GetBaseReport",
    "GetReport",
    "GetVariables",
    "RequestStartTransaction",
    "RequestStopTransaction",
    "Reset",
    "SetVariableMonitoring",
    "SetVariables",
    "TriggerMessage",
}

_TRIGGERABLE = frozenset(
    {
        "BootNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "LogStatusNotification",
        "MeterValues",
        "StatusNotification",
        "TransactionEvent",
    }
)

# How a transaction ends, by stop reason: the TransactionEvent's trigger.
_END_TRIGGER = {
    "Local": "StopAuthorized",
    "Remote": "RemoteStop",
    "EVDisconnected": "EVDeparted",
    "Reboot": "ResetCommand",
    "ImmediateReset": "ResetCommand",
    "DeAuthorized": "Deauthorized",
}

_CONNECTOR_STATUS = {AVAILABLE: "Available", FAULTED: "Faulted", UNAVAILABLE: "Unavailable"}


def _key(component: str, variable: str, instance: str = "") -> str:
    return f"{component}/{variable}[{instance}]" if instance else f"{component}/{variable}"


Handler = Callable[[StationState, JsonObject], tuple[JsonObject, Effect | None]]


class Ocpp201:
    """The 2.0.1 dialect (see :class:`csms_tui.simulate.dialect.Dialect`)."""

    version = VERSION
    answers = ANSWERS

    def init_settings(self, st: StationState) -> None:
        st.settings = {_key(*name): value for name, (value, _, _) in VARIABLES.items()}
        st.settings[_key("SecurityCtrlr", "Identity")] = st.station_id
        st.settings[_key("SecurityCtrlr", "SecurityProfile")] = str(
            max(st.profile.security_profile, 0)
        )
        st.settings[_key("SampledDataCtrlr", "TxUpdatedInterval")] = f"{st.meter_interval:.0f}"

    # --- what the station says ----------------------------------------------------------------

    def boot(self, st: StationState, reason: str) -> JsonObject:
        p = st.profile
        return {
            "chargingStation": {
                "model": p.model[:20],
                "vendorName": p.vendor[:50],
                "serialNumber": st.station_id[:25],
                "firmwareVersion": p.firmware_version[:50],
            },
            "reason": reason,
        }

    def statuses(self, st: StationState, at: str) -> list[JsonObject]:
        return [self.status(c, at) for c in st.connectors]

    def status(self, c: Connector, at: str) -> JsonObject:
        return {
            "timestamp": at,
            "connectorStatus": _CONNECTOR_STATUS.get(c.status, "Occupied"),
            "evseId": c.evse,
            "connectorId": c.connector,
        }

    def authorize(self, token: str) -> JsonObject:
        return {"idToken": {"idToken": token, "type": "ISO14443"}}

    def token_status(self, answer: JsonObject) -> str:
        info = answer.get("idTokenInfo")
        return str(info.get("status", "")) if isinstance(info, dict) else ""

    def _event(self, s: Session, kind: str, trigger: str, r: Reading, offline: bool) -> JsonObject:
        event: JsonObject = {
            "eventType": kind,
            "timestamp": iso(r.at),
            "triggerReason": trigger,
            "seqNo": s.next_seq(),
            "transactionInfo": {"transactionId": s.local_id, "chargingState": "Charging"},
        }
        if offline:
            event["offline"] = True
        return event

    def start(self, s: Session, r: Reading, offline: bool) -> tuple[str, JsonObject]:
        trigger = "RemoteStart" if s.remote_start_id is not None else "Authorized"
        event = self._event(s, "Started", trigger, r, offline)
        if s.remote_start_id is not None:
            event["transactionInfo"]["remoteStartId"] = s.remote_start_id
        event["idToken"] = {"idToken": s.token, "type": s.token_type}
        event["evse"] = {"id": s.connector.evse, "connectorId": s.connector.connector}
        event["meterValue"] = [_meter_value(r, "Transaction.Begin", power=False)]
        return "TransactionEvent", event

    def start_answered(self, s: Session, answer: JsonObject) -> bool:
        # No idTokenInfo: the CSMS had nothing to say about the token (a remote start's).
        return "idTokenInfo" not in answer or self.token_status(answer) == "Accepted"

    def meter(
        self, s: Session, r: Reading, offline: bool, trigger: bool = False
    ) -> tuple[str, JsonObject] | None:
        reason = "Trigger" if trigger else "MeterValuePeriodic"
        event = self._event(s, "Updated", reason, r, offline)
        context = "Trigger" if trigger else "Sample.Periodic"
        event["meterValue"] = [_meter_value(r, context, power=True)]
        return "TransactionEvent", event

    def stop(self, s: Session, r: Reading, offline: bool) -> tuple[str, JsonObject] | None:
        trigger = _END_TRIGGER.get(s.stop_reason, "AbnormalCondition")
        event = self._event(s, "Ended", trigger, r, offline)
        event["transactionInfo"].update(chargingState="EVConnected", stoppedReason=s.stop_reason)
        if s.stop_reason == "Local":
            event["idToken"] = {"idToken": s.token, "type": s.token_type}
        event["meterValue"] = [_meter_value(r, "Transaction.End", power=False)]
        return "TransactionEvent", event

    def notification(self, message: str) -> JsonObject:
        return {"status": "Idle"}

    def report(self, st: StationState, request_id: int, at: str) -> JsonObject:
        data = []
        for (component, variable, instance), (_, mutability, kind) in VARIABLES.items():
            attribute: JsonObject = {"type": "Actual", "mutability": mutability}
            if mutability != "WriteOnly":
                attribute["value"] = st.settings[_key(component, variable, instance)]
            entry: JsonObject = {
                "component": {"name": component},
                "variable": {"name": variable, "instance": instance}
                if instance
                else {"name": variable},
                "variableAttribute": [attribute],
                "variableCharacteristics": {"dataType": kind, "supportsMonitoring": False},
            }
            data.append(entry)
        return {
            "requestId": request_id,
            "generatedAt": at,
            "seqNo": 0,
            "tbc": False,
            "reportData": data,
        }

    def triggered_meter(self, c: Connector, r: Reading) -> JsonObject:
        """MeterValues (outside a transaction) for a triggered reading."""
        return {"evseId": c.evse, "meterValue": [_meter_value(r, "Trigger", power=True)]}

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


def _meter_value(r: Reading, context: str, power: bool) -> JsonObject:
    sampled: list[JsonObject] = [
        {
            "value": round(r.wh, 1),
            "context": context,
            "measurand": "Energy.Active.Import.Register",
            "unitOfMeasure": {"unit": "Wh"},
        }
    ]
    if power:
        sampled.append(
            {
                "value": round(r.power_w, 1),
                "context": context,
                "measurand": "Power.Active.Import",
                "unitOfMeasure": {"unit": "W"},
            }
        )
    return {"timestamp": iso(r.at), "sampledValue": sampled}


def _refusal(action: str, request: JsonObject) -> JsonObject:
    if action == "GetVariables":
        return {
            "getVariableResult": [
                _echo(item, attributeStatus="Rejected")
                for item in _items(request, "getVariableData")
            ]
        }
    if action == "SetVariables":
        return {
            "setVariableResult": [
                _echo(item, attributeStatus="Rejected")
                for item in _items(request, "setVariableData")
            ]
        }
    if action == "ClearVariableMonitoring":
        ids = request.get("id") or []
        return {"clearMonitoringResult": [{"status": "Rejected", "id": i} for i in ids]}
    if action == "SetVariableMonitoring":
        return {
            "setMonitoringResult": [
                _monitor(item, "Rejected") for item in _items(request, "setMonitoringData")
            ]
        }
    return {"status": "Rejected"}


def _items(request: JsonObject, key: str) -> list[JsonObject]:
    items = request.get(key)
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _echo(item: JsonObject, **fields: Any) -> JsonObject:
    """A result item naming the component and variable it answers for, as requested."""
    result: JsonObject = {
        "component": item.get("component", {}),
        "variable": item.get("variable", {}),
    }
    if "attributeType" in item:
        result["attributeType"] = item["attributeType"]
    result.update(fields)
    return result


def _lookup(st: StationState, item: JsonObject) -> tuple[str, str | None]:
    """(status, settings key) for one requested component/variable."""
    component, variable = item.get("component", {}), item.get("variable", {})
    name = (component.get("name", ""), variable.get("name", ""), variable.get("instance", ""))
    if name[0] not in _COMPONENTS:
        return "UnknownComponent", None
    if name not in VARIABLES:
        return "UnknownVariable", None
    if item.get("attributeType", "Actual") != "Actual":
        return "NotSupportedAttributeType", None
    return "Accepted", _key(*name)


def _get_variables(st: StationState, request: JsonObject) -> tuple[JsonObject, None]:
    results = []
    for item in _items(request, "getVariableData"):
        status, key = _lookup(st, item)
        if key is not None and key.startswith("SecurityCtrlr/BasicAuthPassword"):
            status = "Rejected"  # write-only
        result = _echo(item, attributeStatus=status)
        if status == "Accepted" and key is not None:
            result["attributeValue"] = st.settings[key]
        results.append(result)
    return {"getVariableResult": results}, None


def _set_variables(st: StationState, request: JsonObject) -> tuple[JsonObject, None]:
    results = []
    for item in _items(request, "setVariableData"):
        status, key = _lookup(st, item)
        value = str(item.get("attributeValue", ""))
        if key is not None:
            status = _set(st, key, value)
        results.append(_echo(item, attributeStatus=status))
    return {"setVariableResult": results}, None


def _set(st: StationState, key: str, value: str) -> str:
    component, _, rest = key.partition("/")
    variable, _, instance = rest.partition("[")
    _, mutability, kind = VARIABLES[(component, variable, instance.rstrip("]"))]
    if mutability == "ReadOnly":
        return "Rejected"
    if kind == "integer" and not value.isdigit():
        return "Rejected"
    if key == _key("SecurityCtrlr", "BasicAuthPassword"):
        # The new password counts from the next connection on, as on a real station.
        st.password = value
        return "Accepted"
    if key == _key("OCPPCommCtrlr", "HeartbeatInterval"):
        st.heartbeat_interval = float(value)
    elif key == _key("SampledDataCtrlr", "TxUpdatedInterval"):
        st.meter_interval = max(float(value), 1.0)
    st.settings[key] = value
    return "Accepted"


def _monitor(item: JsonObject, status: str, monitor_id: int | None = None) -> JsonObject:
    result: JsonObject = {
        "status": status,
        "type": item.get("type", "Delta"),
        "severity": item.get("severity", 0),
        "component": item.get("component", {}),
        "variable": item.get("variable", {}),
    }
    if monitor_id is not None:
        result["id"] = monitor_id
    return result


def _set_monitoring(st: StationState, request: JsonObject) -> tuple[JsonObject, None]:
    items = _items(request, "setMonitoringData")
    return {
        "setMonitoringResult": [
            _monitor(item, "Accepted", item.get("id", n)) for n, item in enumerate(items, 1)
        ]
    }, None


def _clear_monitoring(st: StationState, request: JsonObject) -> tuple[JsonObject, None]:
    ids = request.get("id") or []
    return {"clearMonitoringResult": [{"status": "Accepted", "id": i} for i in ids]}, None


def _report(st: StationState, request: JsonObject) -> tuple[JsonObject, Effect]:
    return {"status": "Accepted"}, Report(int(request.get("requestId", 0)))


def _reset(st: StationState, request: JsonObject) -> tuple[JsonObject, Effect | None]:
    if "evseId" in request:
        return {"status": "Accepted"}, None  # one EVSE: nothing the connection sees
    if request.get("type") == "OnIdle" and st.sessions():
        return {"status": "Scheduled"}, Reboot("ImmediateReset", "ScheduledReset", when_idle=True)
    return {"status": "Accepted"}, Reboot("ImmediateReset")


def _request_start(st: StationState, request: JsonObject) -> tuple[JsonObject, Effect | None]:
    evse = request.get("evseId")
    c = st.connector_at(evse) if isinstance(evse, int) else st.free_connector()
    if c is None or c.session is not None or c.status != AVAILABLE or not c.operative:
        return {"status": "Rejected"}, None
    token = request.get("idToken", {})
    remote_id = request.get("remoteStartId")
    return {"status": "Accepted"}, RemoteStart(
        c,
        str(token.get("idToken", "")),
        remote_id if isinstance(remote_id, int) else None,
        str(token.get("type", "ISO14443")),
    )


def _request_stop(st: StationState, request: JsonObject) -> tuple[JsonObject, Effect | None]:
    session = st.session_by_tx(request.get("transactionId"))
    if session is None:
        return {"status": "Rejected"}, None
    return {"status": "Accepted"}, RemoteStop(session)


def _trigger(st: StationState, request: JsonObject) -> tuple[JsonObject, Effect | None]:
    message = str(request.get("requestedMessage", ""))
    if message not in _TRIGGERABLE:
        return {"status": "NotImplemented"}, None
    evse = request.get("evse")
    connector = None
    if isinstance(evse, dict):
        connector = st.connector_at(int(evse.get("id", 0)), int(evse.get("connectorId", 1)))
        if connector is None:
            return {"status": "Rejected"}, None
    return {"status": "Accepted"}, Trigger(message, connector)


def _change_availability(st: StationState, request: JsonObject) -> tuple[JsonObject, Effect]:
    operative = request.get("operationalStatus") == "Operative"
    evse = request.get("evse")
    if isinstance(evse, dict):
        targets = tuple(
            c
            for c in st.connectors
            if c.evse == evse.get("id") and evse.get("connectorId") in (None, c.connector)
        )
    else:
        targets = tuple(st.connectors)
    busy = any(c.session is not None for c in targets)
    return {"status": "Scheduled" if busy else "Accepted"}, Availability(targets, operative)


_HANDLERS: dict[str, Handler] = {
    "ChangeAvailability": _change_availability,
    "ClearVariableMonitoring": _clear_monitoring,
    "GetBaseReport": _report,
    "GetReport": _report,
    "GetVariables": _get_variables,
    "RequestStartTransaction": _request_start,
    "RequestStopTransaction": _request_stop,
    "Reset": _reset,
    "SetVariableMonitoring": _set_monitoring,
    "SetVariables": _set_variables,
    "TriggerMessage": _trigger,
}
