"""The simulated stations speak valid OCPP: every answer to every CSMS-initiated action of each
version (accept and reject) and every message they send pass the OCA schemas — the same
compiled validators the CSMS's router uses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from core.application.rules import CSMS_ACTIONS
from core.ocpp.types import OcppVersion
from core.schemas import Direction, SchemaSet, validate
from csms_tui.simulate.dialect import Dialect, dialect_for
from csms_tui.simulate.model import Profile
from csms_tui.simulate.state import (
    CHARGING,
    FAULTED,
    Reading,
    Reboot,
    RemoteStart,
    RemoteStop,
    Session,
    StationState,
    Trigger,
)

# The specifications' lists of messages the central system sends (1.6 with the security
# whitepaper's; 2.0.1 Part 2), written out here rather than taken from the simulator's tables.
# Every action the CSMS may send, from the one list the raw-call endpoint checks against.
CSMS_ACTIONS_16 = sorted(CSMS_ACTIONS[OcppVersion.V16])
CSMS_ACTIONS_201 = sorted(CSMS_ACTIONS[OcppVersion.V201])

# Requests for the actions whose answer depends on what was asked.
REQUESTS_16: dict[str, dict[str, Any]] = {
    "ChangeAvailability": {"connectorId": 0, "type": "Inoperative"},
    "ChangeConfiguration": {"key": "HeartbeatInterval", "value": "60"},
    "ExtendedTriggerMessage": {"requestedMessage": "StatusNotification"},
    "GetConfiguration": {"key": ["HeartbeatInterval", "NoSuchKey"]},
    "RemoteStartTransaction": {"idTag": "TAG1"},
    "RemoteStopTransaction": {"transactionId": 7},
    "Reset": {"type": "Hard"},
    "TriggerMessage": {"requestedMessage": "MeterValues", "connectorId": 1},
}
_HEARTBEAT = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
_PASSWORD = {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}}
_UNKNOWN = {"component": {"name": "NoSuchCtrlr"}, "variable": {"name": "Nothing"}}
REQUESTS_201: dict[str, dict[str, Any]] = {
    "ChangeAvailability": {"operationalStatus": "Inoperative", "evse": {"id": 1}},
    "ClearVariableMonitoring": {"id": [1, 2]},
    "GetBaseReport": {"requestId": 3, "reportBase": "FullInventory"},
    "GetReport": {"requestId": 4},
    "GetVariables": {"getVariableData": [_HEARTBEAT, _PASSWORD, _UNKNOWN]},
    "RequestStartTransaction": {
        "idToken": {"idToken": "TOK", "type": "Central"},
        "remoteStartId": 9,
    },
    "RequestStopTransaction": {"transactionId": "tx-1"},
    "Reset": {"type": "OnIdle"},
    "SetVariableMonitoring": {
        "setMonitoringData": [{"value": 1.0, "type": "Delta", "severity": 5, **_HEARTBEAT}]
    },
    "SetVariables": {
        "setVariableData": [
            {"attributeValue": "120", **_HEARTBEAT},
            {"attributeValue": "a-new-password-of-24ch", **_PASSWORD},
            {"attributeValue": "x", **_UNKNOWN},
        ]
    },
    "TriggerMessage": {"requestedMessage": "StatusNotification", "evse": {"id": 1}},
}
AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def _schemas(version: OcppVersion) -> SchemaSet:
    return SchemaSet.OCPP16 if version is OcppVersion.V16 else SchemaSet.OCPP201


def _station(ocpp: str) -> tuple[Dialect, StationState]:
    profile = Profile(ocpp="1.6" if ocpp == "1.6" else "2.0.1", evses=[1, 2])
    dialect = dialect_for(OcppVersion.V16 if ocpp == "1.6" else OcppVersion.V201)
    state = StationState.build("SIM-001", profile)
    dialect.init_settings(state)
    return dialect, state


CASES = [("1.6", a, REQUESTS_16.get(a, {})) for a in CSMS_ACTIONS_16] + [
    ("2.0.1", a, REQUESTS_201.get(a, {})) for a in CSMS_ACTIONS_201
]


@pytest.mark.parametrize(("ocpp", "action", "request_"), CASES)
@pytest.mark.parametrize("reject", [False, True])
def test_every_csms_action_gets_a_schema_valid_answer(
    ocpp: str, action: str, request_: dict[str, Any], reject: bool
) -> None:
    dialect, state = _station(ocpp)
    assert action in dialect.answers
    if request_:  # the answer depends on the question: a fair one
        validate(_schemas(dialect.version), action, Direction.REQUEST, request_)
    answer, _ = dialect.answer(state, action, request_, reject)
    validate(_schemas(dialect.version), action, Direction.RESPONSE, answer)


def test_answers_act_on_the_station() -> None:
    dialect, state = _station("1.6")
    answer, effect = dialect.answer(state, "Reset", {"type": "Hard"}, reject=False)
    assert answer == {"status": "Accepted"}
    assert effect == Reboot(stop_reason="HardReset")
    answer, effect = dialect.answer(state, "Reset", {"type": "Hard"}, reject=True)
    assert (answer, effect) == ({"status": "Rejected"}, None)
    answer, _ = dialect.answer(
        state, "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "42"}, False
    )
    assert answer == {"status": "Accepted"}
    assert state.heartbeat_interval == 42.0
    answer, _ = dialect.answer(state, "GetConfiguration", {"key": ["HeartbeatInterval"]}, False)
    assert answer == {
        "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "42"}]
    }
    _, effect = dialect.answer(state, "RemoteStartTransaction", {"idTag": "T"}, False)
    assert isinstance(effect, RemoteStart)
    assert effect.connector.number == 1


def test_2_0_1_variables_read_back_and_the_password_is_write_only() -> None:
    dialect, state = _station("2.0.1")
    set_request = REQUESTS_201["SetVariables"]
    answer, _ = dialect.answer(state, "SetVariables", set_request, False)
    statuses = [r["attributeStatus"] for r in answer["setVariableResult"]]
    assert statuses == ["Accepted", "Accepted", "UnknownComponent"]
    assert state.password == "a-new-password-of-24ch"
    answer, _ = dialect.answer(state, "GetVariables", REQUESTS_201["GetVariables"], False)
    results = answer["getVariableResult"]
    assert [r["attributeStatus"] for r in results] == ["Accepted", "Rejected", "UnknownComponent"]
    assert results[0]["attributeValue"] == "120"


def test_remote_stop_finds_the_session_by_its_transaction_id() -> None:
    dialect, state = _station("2.0.1")
    c = state.connectors[0]
    c.session = Session(c, "TOK", 60.0, local_id="tx-1")
    answer, effect = dialect.answer(
        state, "RequestStopTransaction", {"transactionId": "tx-1"}, False
    )
    assert answer == {"status": "Accepted"}
    assert effect == RemoteStop(c.session)
    _, effect = dialect.answer(state, "TriggerMessage", {"requestedMessage": "Heartbeat"}, False)
    assert effect == Trigger("Heartbeat", None)


@pytest.mark.parametrize("ocpp", ["1.6", "2.0.1"])
def test_every_message_a_station_sends_is_schema_valid(ocpp: str) -> None:
    dialect, state = _station(ocpp)
    schemas = _schemas(dialect.version)

    def check(action: str, payload: dict[str, Any]) -> None:
        validate(schemas, action, Direction.REQUEST, payload)

    check("BootNotification", dialect.boot(state, "PowerUp"))
    for payload in dialect.statuses(state, "2026-03-14T09:30:00.000Z"):
        check("StatusNotification", payload)
    c = state.connectors[1]
    c.status, c.error_code = FAULTED, "GroundFailure"
    check("StatusNotification", dialect.status(c, "2026-03-14T09:30:00.000Z"))
    check("Authorize", dialect.authorize("SIMTOKEN01"))
    c.status = CHARGING
    session = Session(c, "SIMTOKEN01", 60.0, remote_start_id=5, token_type="Central")
    c.session = session
    reading = Reading(AT, 1234.5, 11_000.0)
    action, payload = dialect.start(session, reading, offline=True)
    check(action, payload)
    dialect.start_answered(session, {"idTagInfo": {"status": "Accepted"}, "transactionId": 3})
    for trigger in (False, True):
        built = dialect.meter(session, reading, offline=False, trigger=trigger)
        assert built is not None
        check(*built)
    session.stop_reason = "Local"
    built = dialect.stop(session, reading, offline=False)
    assert built is not None
    check(*built)
    check("MeterValues", dialect.triggered_meter(c, reading))
    notifications = (
        ["DiagnosticsStatusNotification", "FirmwareStatusNotification", "LogStatusNotification"]
        if ocpp == "1.6"
        else ["FirmwareStatusNotification", "LogStatusNotification"]
    )
    for name in notifications:
        check(name, dialect.notification(name))
    if ocpp == "2.0.1":
        check("NotifyReport", dialect.report(state, 3, "2026-03-14T09:30:00.000Z"))


def test_a_1_6_transaction_started_offline_is_named_once_the_csms_has_numbered_it() -> None:
    dialect, state = _station("1.6")
    c = state.connectors[0]
    session = Session(c, "SIMTOKEN01", 60.0)
    reading = Reading(AT, 10.0, 0.0)
    assert dialect.meter(session, reading, offline=True) is None
    assert (
        dialect.start_answered(session, {"idTagInfo": {"status": "Invalid"}, "transactionId": 41})
        is False
    )
    built = dialect.stop(session, reading, offline=True)
    assert built is not None
    assert built[1]["transactionId"] == 41
