"""The router: the only place that validates, dispatches and maps failures to CALLERRORs.

CALL        → validate request → handler → validate response → CALLRESULT (or CALLERROR)
CALLRESULT  → validate → result handler (with the original request) → call record answered
CALLERROR   → error handler (if any) → call record error — stations' errors are never dropped

A CALL or CALLRESULT that fails validation gets one second chance: the payload leniencies the
station is granted (core/leniency) repair it, and if it then validates, it is handled as repaired
and each repair is logged and counted. A valid message never reaches that path.
"""

from __future__ import annotations

import logging

from core.clock import Clock
from core.events import CallCompleted, EventBus
from core.handlers.boot_gate import BootGate
from core.handlers.types import Emitter, Routes
from core.leniency import PAYLOAD
from core.leniency.policy import LeniencyPolicy
from core.leniency.repair import repair
from core.ocpp.errors import ErrorKind, RpcError, error_code
from core.ocpp.types import JsonObject, Message, MessageType, OcppVersion
from core.schemas import Direction, SchemaMissingError, validate
from core.store.models import CallState
from core.store.protocols import CallStore

log = logging.getLogger(__name__)

# The gateway reports a CSMS call the station never answered as a CALLERROR with this code
# (internal to the transport; never sent to a station).
TIMEOUT_ERROR_CODE = "Timeout"


class Router:
    def __init__(
        self,
        version: OcppVersion,
        routes: Routes,
        emitter: Emitter,
        calls: CallStore,
        events: EventBus,
        clock: Clock,
        gate: BootGate | None = None,
        leniency: LeniencyPolicy | None = None,
    ) -> None:
        self.version = version
        self.routes = routes
        self._emitter = emitter
        self._calls = calls
        self._events = events
        self._clock = clock
        self._gate = gate
        self._leniency = leniency

    async def route(self, station_id: str, message: Message) -> None:
        """Handle one message from a station. Never raises."""
        try:
            if message.type is MessageType.CALL:
                reply = await self.handle_call(station_id, message)
                await self._emitter.emit(self.version, station_id, reply)
            elif message.type is MessageType.CALL_RESULT:
                await self.handle_result(station_id, message)
            else:
                await self.handle_error(station_id, message)
        except Exception:
            # Only the emitter or the call store can get here; the process carries on.
            log.exception("routing %s %s from %s failed", message.action, message.id, station_id)

    async def handle_call(self, station_id: str, message: Message) -> Message:
        """Run a station CALL through its handler; always returns the reply to send."""
        action = message.action
        handler = self.routes.calls.get(action)
        if handler is None:
            return self._error(message, ErrorKind.NOT_IMPLEMENTED, f"{action} not implemented")
        if self._gate is not None and (refused := await self._gate.refusal(station_id, action)):
            return self._error(message, ErrorKind.SECURITY_ERROR, refused)
        request: JsonObject = message.request if message.request is not None else {}
        try:
            validate(self.routes.schema_set, action, Direction.REQUEST, request)
        except RpcError as exc:
            repaired = await self._repaired(station_id, action, Direction.REQUEST, request)
            if repaired is None:
                return self._error(message, exc.kind, exc.description, exc.details)
            request = repaired
        try:
            response = await handler(station_id, request)
        except RpcError as exc:
            return self._error(message, exc.kind, exc.description, exc.details)
        except Exception as exc:
            log.exception("handler %s failed for station %s", action, station_id)
            return self._error(message, ErrorKind.INTERNAL_ERROR, f"{action}: {type(exc).__name__}")
        try:
            validate(self.routes.schema_set, action, Direction.RESPONSE, response)
        except (RpcError, SchemaMissingError) as exc:
            # Our own reply is wrong: a bug. Say so rather than send the station invalid data.
            log.error("invalid %s response for %s: %s", action, station_id, exc)
            return self._error(message, ErrorKind.INTERNAL_ERROR, f"{action}: invalid response")
        return Message(
            type=MessageType.CALL_RESULT, id=message.id, action=action, response=response
        )

    async def _already_answered(self, station_id: str, message: Message) -> bool:
        """A result or error for a call a station already answered: a transport duplicate
        (at-least-once delivery). Its side effects ran once; running the handler again could
        repeat them. A late answer after a timeout still runs (the record keeps its first
        outcome, but what the station reports is worth keeping)."""
        record = await self._calls.lookup_call(message.id)
        if record is None or record.state not in (CallState.ANSWERED, CallState.ERROR):
            return False
        log.info("duplicate %s %s from %s ignored", message.action, message.id, station_id)
        return True

    async def handle_result(self, station_id: str, message: Message) -> None:
        action = message.action
        handler = self.routes.results.get(action)
        # Without a result handler (CostUpdated's, sent while transactions charge) there are no
        # side effects to keep from running twice: completing the record takes only a pending
        # one, so a duplicate changes nothing, and one store round trip per answer is saved.
        if handler is not None and await self._already_answered(station_id, message):
            return
        request: JsonObject = message.request if message.request is not None else {}
        response: JsonObject = message.response if message.response is not None else {}
        state = CallState.ANSWERED
        error_desc = ""
        try:
            response = await self._valid_result(station_id, action, response)
            if handler is not None:
                await handler(station_id, request, response, message.state)
            elif action:
                # Debug, not info: results with nothing to act on (CostUpdated's, for every
                # meter reading of every charging station) would be a log line each.
                log.debug("%s result from %s has no result handler", action, station_id)
        except RpcError as exc:
            log.warning("invalid %s result from %s: %s", action, station_id, exc.description)
            state, error_desc = CallState.ERROR, exc.description
        except SchemaMissingError:
            log.warning("result for unknown action %r from %s", action, station_id)
        except Exception:
            log.exception("%s result handler failed for %s", action, station_id)
        await self._complete(
            station_id,
            message,
            state,
            response=response,
            error_code="FormatViolation" if error_desc else "",
            error_description=error_desc,
        )

    async def _valid_result(self, station_id: str, action: str, response: JsonObject) -> JsonObject:
        """The station's answer, validated; repaired under its leniencies if need be."""
        try:
            validate(self.routes.schema_set, action, Direction.RESPONSE, response)
        except RpcError:
            repaired = await self._repaired(station_id, action, Direction.RESPONSE, response)
            if repaired is None:
                raise
            return repaired
        return response

    async def _repaired(
        self, station_id: str, action: str, direction: Direction, payload: JsonObject
    ) -> JsonObject | None:
        """The payload repaired under the station's payload leniencies, when that makes it
        valid (the repairs logged and counted); None when the station is to be refused."""
        if self._leniency is None:
            return None
        try:
            granted = (await self._leniency.granted(station_id)).names & PAYLOAD
        except Exception:
            # Without its grants the station is held to the spec, as it is by default.
            log.exception("could not read the leniencies of %s", station_id)
            return None
        if not granted:
            return None
        fixed, uses = repair(self.routes.schema_set, action, direction, payload, granted)
        if not uses or not isinstance(fixed, dict):
            return None
        try:
            validate(self.routes.schema_set, action, direction, fixed)
        except RpcError:
            return None  # still invalid: refused for what was wrong in the first place
        await self._leniency.record(station_id, uses)
        return fixed

    async def handle_error(self, station_id: str, message: Message) -> None:
        if await self._already_answered(station_id, message):
            return
        log.info(
            "station %s answered %s %s with %s: %s",
            station_id,
            message.action or "call",
            message.id,
            message.error_code,
            message.error_description,
        )
        handler = self.routes.errors.get(message.action)
        if handler is not None:
            try:
                await handler(
                    station_id, message.request or {}, message.error_code, message.error_description
                )
            except Exception:
                log.exception("%s error handler failed for %s", message.action, station_id)
        state = CallState.TIMED_OUT if message.error_code == TIMEOUT_ERROR_CODE else CallState.ERROR
        await self._complete(
            station_id,
            message,
            state,
            error_code=message.error_code,
            error_description=message.error_description,
        )

    async def _complete(
        self,
        station_id: str,
        message: Message,
        state: CallState,
        response: JsonObject | None = None,
        error_code: str = "",
        error_description: str = "",
    ) -> None:
        now = self._clock.now()
        record = await self._calls.complete_call(
            message.id, state, now, response, error_code, error_description
        )
        if record is None:
            # Unknown call, or already final (a late answer after the gateway's timeout): the
            # record keeps its first outcome and nobody waits for it any more.
            log.info(
                "%s %s from %s completes no pending call", message.action, message.id, station_id
            )
            return
        self._events.publish(
            CallCompleted(
                station_id=station_id,
                at=now,
                call_id=message.id,
                action=record.action,
                state=state.value,
                response=response,
                error_code=error_code,
                error_description=error_description,
            )
        )

    def _error(
        self,
        message: Message,
        kind: ErrorKind,
        description: str,
        details: dict[str, object] | None = None,
    ) -> Message:
        return Message(
            type=MessageType.CALL_ERROR,
            id=message.id,
            action=message.action,
            error_code=error_code(kind, self.version),
            error_description=description[:255],
            error_details=dict(details or {}),
        )
