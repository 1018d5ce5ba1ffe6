"""What differs between a 1.6 and a 2.0.1 station, behind one interface: the station's run
(:mod:`.station`) is the same for both versions and asks its dialect how to word each step."""

from __future__ import annotations

from typing import Protocol

from core.ocpp.types import JsonObject, OcppVersion
from csms_tui.simulate.ocpp16 import Ocpp16
from csms_tui.simulate.ocpp201 import Ocpp201
from csms_tui.simulate.state import Connector, Effect, Reading, Session, StationState


class Dialect(Protocol):
    version: OcppVersion
    # The CSMS-initiated actions it answers; any other gets CALLERROR NotImplemented.
    answers: frozenset[str]

    def init_settings(self, st: StationState) -> None:
        """Fill ``st.settings`` with the configuration the CSMS can read and change."""

    def boot(self, st: StationState, reason: str) -> JsonObject: ...

    def statuses(self, st: StationState, at: str) -> list[JsonObject]:
        """StatusNotifications after a (re)connection: every connector's state."""
        ...

    def status(self, c: Connector, at: str) -> JsonObject: ...

    def authorize(self, token: str) -> JsonObject: ...

    def token_status(self, answer: JsonObject) -> str:
        """The authorisation status in an Authorize (or transaction) answer."""
        ...

    def start(self, s: Session, r: Reading, offline: bool) -> tuple[str, JsonObject]: ...

    def start_answered(self, s: Session, answer: JsonObject) -> bool:
        """Learn from the start's answer; False when the CSMS refused the token."""
        ...

    def meter(
        self, s: Session, r: Reading, offline: bool, trigger: bool = False
    ) -> tuple[str, JsonObject] | None: ...

    def stop(self, s: Session, r: Reading, offline: bool) -> tuple[str, JsonObject] | None: ...

    def notification(self, message: str) -> JsonObject:
        """The payload of a triggered firmware/diagnostics/log status notification."""
        ...

    def triggered_meter(self, c: Connector, r: Reading) -> JsonObject:
        """MeterValues of one connector, asked for by a TriggerMessage."""
        ...

    def report(self, st: StationState, request_id: int, at: str) -> JsonObject:
        """2.0.1 NotifyReport of every variable."""
        ...

    def answer(
        self, st: StationState, action: str, request: JsonObject, reject: bool
    ) -> tuple[JsonObject, Effect | None]:
        """The answer to a CSMS call (the refusal with ``reject``), and what it sets in motion."""
        ...


def dialect_for(version: OcppVersion) -> Dialect:
    return Ocpp16() if version is OcppVersion.V16 else Ocpp201()
