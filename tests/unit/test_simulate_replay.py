"""Reading a recording and comparing answers: the console's own export is a recording, a
station's version is told from what it said, and only the fields that differ from run to run
are left out of the comparison."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.events import MessageLogged
from core.ocpp.types import Message, MessageType, OcppVersion
from csms_tui.panes.messages import _message_json
from csms_tui.simulate.replay import (
    Frame,
    RecordingError,
    compare,
    frame_from_json,
    infer_version,
    load_recording,
    scripts,
)

T0 = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def frame(
    seconds: float,
    direction: str,
    kind: int,
    msg_id: str,
    action: str,
    payload: Any,
    station: str = "CS1",
) -> Frame:
    return Frame(T0 + timedelta(seconds=seconds), station, direction, kind, msg_id, action, payload)


def test_the_console_s_messages_export_is_a_recording(tmp_path: Path) -> None:
    logged = MessageLogged(
        station_id="CS1",
        at=T0,
        direction="in",
        message_type=2,
        message_id="42",
        action="Authorize",
        payload={"idTag": "TAG1"},
    )
    path = tmp_path / "messages.jsonl"
    # As the Messages tab writes its export (csms_tui/panes/messages.py).
    path.write_text(json.dumps(_message_json(logged), default=str) + "\n")
    (loaded,) = load_recording(path)
    assert loaded == frame(0, "in", 2, "42", "Authorize", {"idTag": "TAG1"})
    assert loaded.to_json() == _message_json(logged)


def test_a_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"at": "2026-03-14T09:30:00Z"}\n')
    with pytest.raises(RecordingError, match=r"bad\.jsonl:1: no 'direction'"):
        load_recording(path)
    with pytest.raises(ValueError, match="not a message of the log"):
        frame_from_json(
            {
                "at": "2026-03-14T09:30:00Z",
                "station": "S",
                "id": "1",
                "direction": "sideways",
                "type": 2,
            }
        )


def test_the_version_is_told_from_what_the_station_said() -> None:
    boot16 = frame(0, "in", 2, "1", "BootNotification", {"chargePointVendor": "V"})
    status201 = frame(0, "in", 2, "1", "StatusNotification", {"connectorStatus": "Available"})
    answer = frame(0, "out", 3, "1", "BootNotification", {"status": "Accepted"})
    assert infer_version([answer, boot16]) is OcppVersion.V16
    assert infer_version([status201]) is OcppVersion.V201
    assert infer_version([answer]) is None
    with pytest.raises(RecordingError, match="give it with --ocpp"):
        scripts([frame(0, "in", 2, "1", "Heartbeat", {})])


def test_calls_pair_with_their_answers_and_csms_calls_with_the_station_s() -> None:
    frames = [
        frame(0, "in", 2, "1", "Authorize", {"idTag": "TAG1"}),
        frame(0.1, "out", 3, "1", "Authorize", {"idTagInfo": {"status": "Accepted"}}),
        frame(1, "out", 2, "c1", "Reset", {"type": "Soft"}),
        frame(1.5, "in", 3, "c1", "Reset", {"status": "Accepted"}),
        frame(2, "in", 2, "2", "Heartbeat", {}),  # the recording ends before its answer
        frame(0, "in", 2, "9", "Heartbeat", {}, station="OTHER"),
    ]
    (script,) = scripts(frames, stations={"CS1"})
    assert script.version is OcppVersion.V16
    assert [(c.action, a is not None) for c, a in script.calls] == [
        ("Authorize", True),
        ("Heartbeat", False),
    ]
    assert script.csms_calls == {"Reset": 1}
    (reply, delay) = script.answers["Reset"][0]
    assert (reply.payload, delay) == ({"status": "Accepted"}, 0.5)


def result(payload: dict[str, Any]) -> Message:
    return Message(MessageType.CALL_RESULT, "x", response=payload)


def test_only_fields_that_differ_from_run_to_run_are_left_out() -> None:
    recorded = frame(
        0,
        "out",
        3,
        "1",
        "StartTransaction",
        {
            "transactionId": 7,
            "idTagInfo": {"status": "Accepted", "expiryDate": "2026-03-14T10:00:00Z"},
        },
    )
    same = result(
        {
            "transactionId": 99,
            "idTagInfo": {"status": "Accepted", "expiryDate": "2027-01-01T00:00:00Z"},
        }
    )
    assert compare(OcppVersion.V16, "StartTransaction", recorded, same) == []
    refused = result({"transactionId": 99, "idTagInfo": {"status": "Invalid"}})
    # expiryDate is gone from the answer: left out like the transaction id; the status counts.
    assert compare(OcppVersion.V16, "StartTransaction", recorded, refused) == [
        ("idTagInfo.status", "Accepted", "Invalid")
    ]
    # transactionId is generated only in 1.6's StartTransaction answer; elsewhere it counts.
    other = frame(0, "out", 3, "2", "DataTransfer", {"status": "Accepted", "transactionId": 1})
    assert compare(OcppVersion.V16, "DataTransfer", other, result({"status": "Accepted"})) == [
        ("transactionId", 1, None)
    ]


def test_an_error_instead_of_a_result_is_one_difference() -> None:
    recorded = frame(0, "out", 3, "1", "Heartbeat", {"currentTime": "2026-03-14T09:30:00Z"})
    error = Message(MessageType.CALL_ERROR, "x", error_code="SecurityError", error_description="d")
    assert compare(OcppVersion.V16, "Heartbeat", recorded, error) == [
        ("", "CALLRESULT", "CALLERROR SecurityError")
    ]
