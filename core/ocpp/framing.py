"""Parse and serialise OCPP-J frames: ``[2,id,action,payload]``, ``[3,id,payload]``,
``[4,id,code,description,details]``.

:func:`parse_frame` never raises: a malformed frame comes back as a :class:`FrameError` that holds
the CALLERROR to answer with (or ``None`` when the spec says to drop it, e.g. a malformed
CALLRESULT, which must never be answered). The gateway sends that reply and keeps the connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from core.ocpp.errors import ErrorKind, error_code
from core.ocpp.types import Message, MessageType, OcppVersion

MAX_ID_LENGTH = 36
UNREADABLE_ID = "-1"
# Deepest nesting of arrays and objects in a frame. OCPP's own messages stay under ten levels;
# the bound is for DataTransfer's free-form data and is far below what the message log's
# encoder can write (254 levels), so whatever is accepted can also be stored.
MAX_NESTING = 32


@dataclass(slots=True, frozen=True)
class FrameError:
    """A frame that cannot be processed, and the CALLERROR frame to answer it with (if any)."""

    reason: str
    reply: Message | None


def _error_reply(version: OcppVersion, msg_id: str, kind: ErrorKind, description: str) -> Message:
    return Message(
        type=MessageType.CALL_ERROR,
        id=msg_id,
        error_code=error_code(kind, version),
        error_description=description,
        error_details={},
    )


def _bad(version: OcppVersion, msg_id: str, kind: ErrorKind, reason: str) -> FrameError:
    return FrameError(reason=reason, reply=_error_reply(version, msg_id, kind, reason))


def parse_frame(raw: str | bytes, version: OcppVersion) -> Message | FrameError:
    """Decode one websocket text frame from a station."""
    try:
        frame = orjson.loads(raw)
    except orjson.JSONDecodeError:
        # The id cannot be read from invalid JSON; 2.0.1 Part 4 §4.2.3 says answer with "-1" and
        # never echo the invalid text back.
        return _bad(
            version, UNREADABLE_ID, ErrorKind.RPC_FRAMEWORK_ERROR, "frame is not valid JSON"
        )
    if _nesting_exceeds(raw, frame, MAX_NESTING):
        msg_id = frame[1] if isinstance(frame, list) and len(frame) > 1 else None
        reason = f"the frame nests arrays and objects deeper than {MAX_NESTING} levels"
        if not isinstance(msg_id, str) or not 0 < len(msg_id) <= MAX_ID_LENGTH:
            return _bad(version, UNREADABLE_ID, ErrorKind.RPC_FRAMEWORK_ERROR, reason)
        if frame[0] != MessageType.CALL:
            return FrameError(reason=f"{reason}: dropped", reply=None)  # answers are not answered
        return _bad(version, msg_id, ErrorKind.FORMAT_VIOLATION, reason)
    if not isinstance(frame, list) or not frame:
        return _bad(
            version,
            UNREADABLE_ID,
            ErrorKind.RPC_FRAMEWORK_ERROR,
            "frame is not a non-empty JSON array",
        )
    msg_type = frame[0]
    msg_id = frame[1] if len(frame) > 1 else None
    if not isinstance(msg_id, str) or not msg_id:
        return _bad(
            version, UNREADABLE_ID, ErrorKind.RPC_FRAMEWORK_ERROR, "message id cannot be read"
        )
    if len(msg_id) > MAX_ID_LENGTH:
        # Answering with an over-long id would violate the spec ourselves; use "-1".
        return _bad(
            version,
            UNREADABLE_ID,
            ErrorKind.RPC_FRAMEWORK_ERROR,
            f"message id longer than {MAX_ID_LENGTH} characters",
        )
    if type(msg_type) is not int:
        return _bad(
            version, msg_id, ErrorKind.RPC_FRAMEWORK_ERROR, "message type id is not an integer"
        )
    if msg_type == MessageType.CALL:
        return _parse_call(frame, msg_id, version)
    if msg_type == MessageType.CALL_RESULT:
        return _parse_result(frame, msg_id)
    if msg_type == MessageType.CALL_ERROR:
        return _parse_error(frame, msg_id)
    return _bad(
        version,
        msg_id,
        ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED,
        f"message type {msg_type} is not supported",
    )


def _nesting_exceeds(raw: str | bytes, frame: Any, limit: int) -> bool:
    # Counting brackets in the text is C-speed and bounds the depth from above, so the walk
    # below only runs for the rare frame with many of them.
    if isinstance(raw, str):
        brackets = raw.count("[") + raw.count("{")
    else:
        brackets = raw.count(b"[") + raw.count(b"{")
    if brackets <= limit:
        return False
    level: list[tuple[Any, int]] = [(frame, 1)]
    while level:
        node, depth = level.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            level.extend((v, depth + 1) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            level.extend((v, depth + 1) for v in node if isinstance(v, dict | list))
    return False


def _parse_call(frame: list[Any], msg_id: str, version: OcppVersion) -> Message | FrameError:
    if len(frame) != 4:
        return _bad(
            version, msg_id, ErrorKind.FORMAT_VIOLATION, f"a CALL has 4 elements, got {len(frame)}"
        )
    action, payload = frame[2], frame[3]
    if not isinstance(action, str) or not action:
        return _bad(version, msg_id, ErrorKind.FORMAT_VIOLATION, "action is not a non-empty string")
    if not isinstance(payload, dict):
        return _bad(version, msg_id, ErrorKind.FORMAT_VIOLATION, "payload is not a JSON object")
    return Message(type=MessageType.CALL, id=msg_id, action=action, request=payload)


def _parse_result(frame: list[Any], msg_id: str) -> Message | FrameError:
    # A malformed CALLRESULT is never answered (answering a result would start a ping-pong);
    # it is dropped and logged by the caller.
    if len(frame) != 3 or not isinstance(frame[2], dict):
        return FrameError(reason="malformed CALLRESULT dropped", reply=None)
    return Message(type=MessageType.CALL_RESULT, id=msg_id, response=frame[2])


def _parse_error(frame: list[Any], msg_id: str) -> Message | FrameError:
    if len(frame) not in (4, 5) or not isinstance(frame[2], str) or not isinstance(frame[3], str):
        return FrameError(reason="malformed CALLERROR dropped", reply=None)
    details = frame[4] if len(frame) == 5 and isinstance(frame[4], dict) else {}
    return Message(
        type=MessageType.CALL_ERROR,
        id=msg_id,
        error_code=frame[2],
        error_description=frame[3],
        error_details=details,
    )


def serialise(message: Message) -> str:
    """Encode a message as an OCPP-J frame (text)."""
    if message.type is MessageType.CALL:
        frame: list[Any] = [2, message.id, message.action, message.request or {}]
    elif message.type is MessageType.CALL_RESULT:
        frame = [3, message.id, message.response if message.response is not None else {}]
    else:
        frame = [
            4,
            message.id,
            message.error_code,
            message.error_description,
            message.error_details or {},
        ]
    return orjson.dumps(frame).decode()
