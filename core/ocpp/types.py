"""The message envelope shared by gateway, transports and manager.

The field names are MaEVe's MQTT envelope (see DESIGN.md "Transport contract"), so the same
object is carried in-process without serialising and encoded verbatim onto MQTT.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any


class MessageType(IntEnum):
    CALL = 2
    CALL_RESULT = 3
    CALL_ERROR = 4


class OcppVersion(StrEnum):
    """The websocket subprotocol names, used verbatim in MQTT topics."""

    V16 = "ocpp1.6"
    V201 = "ocpp2.0.1"

    @property
    def short(self) -> str:
        """The version as stored in runtime details ("1.6" / "2.0.1")."""
        return self.value.removeprefix("ocpp")


JsonObject = dict[str, Any]


@dataclass(slots=True)
class Message:
    """One OCPP-J message plus the context the stateless manager needs.

    For a CALLRESULT/CALLERROR answering a CSMS call, the gateway fills ``action`` and
    ``request`` from the call it forwarded, so the manager can run the result handler without
    remembering anything.
    """

    type: MessageType
    id: str
    action: str = ""
    request: JsonObject | None = None
    response: JsonObject | None = None
    error_code: str = ""
    error_description: str = ""
    error_details: JsonObject | None = None
    state: Any = None

    def to_envelope(self) -> JsonObject:
        """The MaEVe JSON envelope (empty fields omitted, as Go's ``omitempty`` does)."""
        env: JsonObject = {"type": int(self.type), "id": self.id}
        if self.action:
            env["action"] = self.action
        if self.request is not None:
            env["request"] = self.request
        if self.response is not None:
            env["response"] = self.response
        if self.error_code:
            env["error_code"] = self.error_code
        if self.error_description:
            env["error_description"] = self.error_description
        if self.state is not None:
            env["state"] = self.state
        return env

    @classmethod
    def from_envelope(cls, env: JsonObject) -> Message:
        """Decode a MaEVe envelope; raises ``ValueError`` naming the bad field."""
        try:
            msg_type = MessageType(env["type"])
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(
                f"envelope field 'type' is missing or invalid: {env.get('type')!r}"
            ) from exc
        msg_id = env.get("id")
        if not isinstance(msg_id, str):
            raise ValueError("envelope field 'id' must be a string")
        action = env.get("action") or ""
        if not isinstance(action, str):
            raise ValueError("envelope field 'action' must be a string")
        return cls(
            type=msg_type,
            id=msg_id,
            action=action,
            request=env.get("request"),
            response=env.get("response"),
            error_code=env.get("error_code") or "",
            error_description=env.get("error_description") or "",
            state=env.get("state"),
        )
