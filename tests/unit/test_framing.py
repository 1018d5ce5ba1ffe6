"""OCPP-J framing: every malformed frame gets the version's CALLERROR (or a documented drop)."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.ocpp.framing import FrameError, parse_frame, serialise
from core.ocpp.types import Message, MessageType, OcppVersion

V16, V201 = OcppVersion.V16, OcppVersion.V201


def _reply(raw: str | bytes, version: OcppVersion) -> list[object]:
    result = parse_frame(raw, version)
    assert isinstance(result, FrameError)
    assert result.reply is not None
    return list(orjson.loads(serialise(result.reply)))


@pytest.mark.parametrize(
    ("raw", "v16", "v201", "msg_id"),
    [
        ("not json", "FormationViolation", "RpcFrameworkError", "-1"),
        ('{"a": 1}', "FormationViolation", "RpcFrameworkError", "-1"),
        ("[]", "FormationViolation", "RpcFrameworkError", "-1"),
        ("[2]", "FormationViolation", "RpcFrameworkError", "-1"),
        ('[2, 17, "Heartbeat", {}]', "FormationViolation", "RpcFrameworkError", "-1"),
        (
            '[2, "' + "x" * 37 + '", "Heartbeat", {}]',
            "FormationViolation",
            "RpcFrameworkError",
            "-1",
        ),
        ('[9, "abc", "Heartbeat", {}]', "ProtocolError", "MessageTypeNotSupported", "abc"),
        ('["2", "abc", "Heartbeat", {}]', "FormationViolation", "RpcFrameworkError", "abc"),
        ('[2, "abc", "Heartbeat"]', "FormationViolation", "FormatViolation", "abc"),
        ('[2, "abc", "Heartbeat", {}, 5]', "FormationViolation", "FormatViolation", "abc"),
        ('[2, "abc", 5, {}]', "FormationViolation", "FormatViolation", "abc"),
        ('[2, "abc", "Heartbeat", []]', "FormationViolation", "FormatViolation", "abc"),
    ],
)
def test_malformed_frames_get_the_versions_error(
    raw: str, v16: str, v201: str, msg_id: str
) -> None:
    for version, code in ((V16, v16), (V201, v201)):
        reply = _reply(raw, version)
        assert reply[0] == 4
        assert reply[1] == msg_id
        assert reply[2] == code
        assert reply[4] == {}  # ErrorDetails must be {} when empty
        assert "not json" not in str(reply[3])  # never echo invalid input


def test_malformed_results_are_dropped_not_answered() -> None:
    for raw in ('[3, "abc"]', '[3, "abc", 5]', '[4, "abc", 5, "x"]', '[4, "abc"]'):
        result = parse_frame(raw, V201)
        assert isinstance(result, FrameError)
        assert result.reply is None


def test_well_formed_frames_round_trip() -> None:
    call = parse_frame('[2,"1","Heartbeat",{}]', V16)
    assert call == Message(type=MessageType.CALL, id="1", action="Heartbeat", request={})
    result = parse_frame('[3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]', V16)
    assert isinstance(result, Message)
    assert result.response == {"currentTime": "2026-01-01T00:00:00Z"}
    error = parse_frame('[4,"1","NotImplemented","nope",{"a":1}]', V201)
    assert isinstance(error, Message)
    assert (error.error_code, error.error_description, error.error_details) == (
        "NotImplemented",
        "nope",
        {"a": 1},
    )
    assert serialise(error) == '[4,"1","NotImplemented","nope",{"a":1}]'
    assert serialise(call) == '[2,"1","Heartbeat",{}]'


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(frame=st.lists(json_values, max_size=6), version=st.sampled_from([V16, V201]))
def test_random_arrays_never_raise(frame: list[object], version: OcppVersion) -> None:
    result = parse_frame(json.dumps(frame), version)
    assert isinstance(result, Message | FrameError)
    if isinstance(result, FrameError) and result.reply is not None:
        assert len(result.reply.id) <= 36


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=200), version=st.sampled_from([V16, V201]))
def test_random_bytes_never_raise(raw: bytes, version: OcppVersion) -> None:
    assert isinstance(parse_frame(raw, version), Message | FrameError)
