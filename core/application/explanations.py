"""Explanations for stored messages and call records, worked out when they are read.

Neither the message log nor a call record keeps a CALLERROR's details, and none are needed: the
payload that broke the schema is stored (the station's CALL beside the CSMS's CALLERROR, the
station's CALLRESULT on its call record), so validating it again finds the same field and rule.
That costs one schema check per error shown, and nothing on the path of a frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core.ocpp.errors import ErrorKind
from core.ocpp.explain import (
    Explanation,
    explain,
    explain_invalid_result,
    kind_of,
    version_of,
)
from core.ocpp.types import MessageType, OcppVersion
from core.schemas import Direction, SchemaSet, first_violation
from core.store.models import CallRecord, CallState, LoggedMessage
from core.store.protocols import MessageLogStore, RuntimeStore

# The code the router records on a call whose CALLRESULT failed validation.
INVALID_RESULT_CODE = "FormatViolation"

_SCHEMA_KINDS = {
    ErrorKind.FORMAT_VIOLATION,
    ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    ErrorKind.TYPE_CONSTRAINT_VIOLATION,
}
# How far back to look for the CALL a CALLERROR answers, when it is not on the page being read.
_CALL_LOOKBACK = 20


def _schema_set(version: OcppVersion) -> SchemaSet:
    return SchemaSet.OCPP16 if version is OcppVersion.V16 else SchemaSet.OCPP201


def explain_call(record: CallRecord) -> Explanation | None:
    """A failed or unanswered CSMS call: the station's CALLERROR, its timeout, or its answer
    that the CSMS refused (a response is kept only for those)."""
    if record.state not in (CallState.ERROR, CallState.TIMED_OUT) or not record.error_code:
        return None
    version = version_of(record.ocpp_version)
    if record.response is not None:
        details = first_violation(
            _schema_set(version), record.action, Direction.RESPONSE, record.response
        )
        return explain_invalid_result(record.error_code, version, record.action, details)
    return explain(
        record.error_code,
        version,
        "station",
        action=record.action,
        description=record.error_description,
    )


class _Reads(RuntimeStore, MessageLogStore, Protocol):
    """The two reads an explanation may need."""


class MessageExplainer:
    """Explains the rows of one page of the message log (reads the store only for what the
    page lacks: a station's version, a CALL from before the page)."""

    def __init__(self, store: _Reads) -> None:
        self._store = store
        self._versions: dict[str, OcppVersion] = {}

    async def explain_page(self, page: Sequence[LoggedMessage]) -> list[Explanation | None]:
        calls = {
            (m.station_id, m.message_id): m
            for m in page
            if m.message_type == MessageType.CALL and m.direction == "in"
        }
        return [await self._explain(m, calls) for m in page]

    async def _version(self, station_id: str, code: str) -> OcppVersion:
        if station_id not in self._versions:
            details = await self._store.lookup_runtime_details(station_id)
            if details is not None:
                self._versions[station_id] = version_of(details.ocpp_version)
            elif code in ("FormationViolation", "OccurenceConstraintViolation"):
                return OcppVersion.V16  # a station never booted: its code's spelling tells
            else:
                return OcppVersion.V201
        return self._versions[station_id]

    async def _explain(
        self, m: LoggedMessage, calls: dict[tuple[str, str], LoggedMessage]
    ) -> Explanation | None:
        if m.message_type == MessageType.CALL_ERROR:
            version = await self._version(m.station_id, m.error_code)
            if m.direction == "in":
                return explain(m.error_code, version, "station", m.action, m.error_description)
            details = None
            if m.action and kind_of(m.error_code) in _SCHEMA_KINDS:
                call = calls.get((m.station_id, m.message_id)) or await self._find_call(m)
                if call is not None and isinstance(call.payload, dict):
                    details = first_violation(
                        _schema_set(version), m.action, Direction.REQUEST, call.payload
                    )
            return explain(m.error_code, version, "csms", m.action, m.error_description, details)
        if m.message_type == MessageType.CALL_RESULT and m.direction == "in" and m.action:
            version = await self._version(m.station_id, "")
            details = first_violation(_schema_set(version), m.action, Direction.RESPONSE, m.payload)
            if details is not None:
                return explain_invalid_result(INVALID_RESULT_CODE, version, m.action, details)
        return None

    async def _find_call(self, error: LoggedMessage) -> LoggedMessage | None:
        earlier = await self._store.list_messages(
            station_id=error.station_id,
            action=error.action,
            direction="in",
            before_id=error.id,
            limit=_CALL_LOOKBACK,
        )
        for m in earlier:
            if m.message_id == error.message_id and m.message_type == MessageType.CALL:
                return m
        return None
