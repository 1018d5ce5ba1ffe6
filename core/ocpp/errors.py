"""OCPP-J RPC error codes, spelled as each version's specification spells them.

Code in the core raises and maps :class:`RpcError` kinds; only the framing layer turns a kind into
the wire string for the connection's version. 1.6 keeps its frozen typos (``FormationViolation``,
``OccurenceConstraintViolation``, see the 1.6J errata "Do not fix"); 2.0.1 renames them and adds
``RpcFrameworkError`` and ``MessageTypeNotSupported``.
"""

from __future__ import annotations

from enum import Enum

from core.ocpp.types import OcppVersion


class ErrorKind(Enum):
    NOT_IMPLEMENTED = "NotImplemented"
    NOT_SUPPORTED = "NotSupported"
    INTERNAL_ERROR = "InternalError"
    PROTOCOL_ERROR = "ProtocolError"
    SECURITY_ERROR = "SecurityError"
    FORMAT_VIOLATION = "FormatViolation"
    PROPERTY_CONSTRAINT_VIOLATION = "PropertyConstraintViolation"
    OCCURRENCE_CONSTRAINT_VIOLATION = "OccurrenceConstraintViolation"
    TYPE_CONSTRAINT_VIOLATION = "TypeConstraintViolation"
    GENERIC_ERROR = "GenericError"
    RPC_FRAMEWORK_ERROR = "RpcFrameworkError"
    MESSAGE_TYPE_NOT_SUPPORTED = "MessageTypeNotSupported"


# 1.6 has neither RpcFrameworkError nor MessageTypeNotSupported: a frame whose id cannot be read
# is not conform the PDU structure (FormationViolation); an unknown message type number is a
# protocol violation (ProtocolError).
_V16_NAMES: dict[ErrorKind, str] = {
    ErrorKind.FORMAT_VIOLATION: "FormationViolation",
    ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION: "OccurenceConstraintViolation",
    ErrorKind.RPC_FRAMEWORK_ERROR: "FormationViolation",
    ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED: "ProtocolError",
}


def error_code(kind: ErrorKind, version: OcppVersion) -> str:
    """The wire spelling of ``kind`` for ``version``."""
    if version is OcppVersion.V16:
        return _V16_NAMES.get(kind, kind.value)
    return kind.value


class RpcError(Exception):
    """Raised anywhere in the manager to answer a CALL with a specific CALLERROR."""

    def __init__(
        self, kind: ErrorKind, description: str = "", details: dict[str, object] | None = None
    ):
        super().__init__(description or kind.value)
        self.kind = kind
        self.description = description
        self.details = details or {}
