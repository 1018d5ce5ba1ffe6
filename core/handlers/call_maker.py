"""CSMS-initiated calls: validate, record, emit — and let a caller await the station's answer.

Every call is a :class:`CallRecord` (pending → answered | error | timed-out) keyed by its OCPP
message id. The answer comes back through the router, which runs the ``_result`` handler, completes
the record and publishes :class:`CallCompleted`; :meth:`CallMaker.wait` wakes on that event,
wherever in the process it was published.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import orjson

from core.clock import Clock, IdFactory, uuid4_str
from core.events import CallCompleted, EventBus
from core.handlers.types import Emitter
from core.ocpp.errors import RpcError
from core.ocpp.secrets import redact
from core.ocpp.types import JsonObject, Message, MessageType, OcppVersion
from core.schemas import Direction, SchemaSet, validate
from core.store.models import CallRecord, CallState
from core.store.protocols import CallStore, RuntimeStore

PNC_VENDOR_ID = "org.openchargealliance.iso15118pnc"

_VERSION_BY_RUNTIME = {"1.6": OcppVersion.V16, "2.0.1": OcppVersion.V201}
_SCHEMA_SET = {OcppVersion.V16: SchemaSet.OCPP16, OcppVersion.V201: SchemaSet.OCPP201}


class CallRejectedError(ValueError):
    """The call was not sent: invalid payload, unknown station version, unknown action."""


class CallMaker:
    def __init__(
        self,
        emitter: Emitter,
        calls: CallStore,
        runtime: RuntimeStore,
        events: EventBus,
        clock: Clock,
        ids: IdFactory = uuid4_str,
        default_timeout: float = 30.0,
    ) -> None:
        self._emitter = emitter
        self._calls = calls
        self._runtime = runtime
        self._events = events
        self._clock = clock
        self._ids = ids
        self.default_timeout = default_timeout

    async def station_version(self, station_id: str) -> OcppVersion:
        details = await self._runtime.lookup_runtime_details(station_id)
        if details is None or details.ocpp_version not in _VERSION_BY_RUNTIME:
            raise CallRejectedError(
                f"station {station_id} has never connected, so its OCPP version is unknown"
            )
        return _VERSION_BY_RUNTIME[details.ocpp_version]

    async def send(
        self,
        station_id: str,
        action: str,
        request: JsonObject,
        *,
        version: OcppVersion | None = None,
        origin: str = "",
        state: Any = None,
    ) -> CallRecord:
        """Validate, record and emit a call; returns the pending record at once."""
        version = version or await self.station_version(station_id)
        try:
            validate(_SCHEMA_SET[version], action, Direction.REQUEST, request)
        except RpcError as exc:
            raise CallRejectedError(exc.description) from exc
        except LookupError as exc:
            raise CallRejectedError(f"{action} is not an OCPP {version.short} action") from exc
        record = CallRecord(
            call_id=self._ids(),
            station_id=station_id,
            action=action,
            request=redact(action, request),  # the record never keeps a password
            ocpp_version=version.short,
            created_at=self._clock.now(),
            origin=origin,
        )
        await self._calls.create_call(record)
        await self._emitter.emit(
            version,
            station_id,
            Message(
                type=MessageType.CALL,
                id=record.call_id,
                action=action,
                request=request,
                state=state,
            ),
        )
        return record

    async def send_pnc(
        self, station_id: str, message_id: str, inner: JsonObject, *, origin: str = ""
    ) -> CallRecord:
        """Send a 2.0.1 PnC message to a 1.6 station tunnelled in DataTransfer (OCA pnc)."""
        try:
            validate(SchemaSet.OCPP201, message_id, Direction.REQUEST, inner)
        except RpcError as exc:
            raise CallRejectedError(exc.description) from exc
        request = {
            "vendorId": PNC_VENDOR_ID,
            "messageId": message_id,
            "data": orjson.dumps(inner).decode(),
        }
        return await self.send(
            station_id, "DataTransfer", request, version=OcppVersion.V16, origin=origin
        )

    async def expire_stale(self, older_than: float) -> int:
        """Time out the calls still pending ``older_than`` seconds after they were made: their
        answer, or the gateway's timeout report, was lost between processes (a manager killed
        with it queued, a broker restart). Waiters wake; a late answer still runs its result
        handler. Returns how many."""
        now = self._clock.now()
        expired = await self._calls.expire_calls(
            now - timedelta(seconds=older_than),
            now,
            f"no answer recorded within {older_than:g} s (lost between CSMS processes)",
        )
        for record in expired:
            self._events.publish(
                CallCompleted(
                    station_id=record.station_id,
                    at=now,
                    call_id=record.call_id,
                    action=record.action,
                    state=record.state.value,
                    response=None,
                    error_code="",
                    error_description=record.error_description,
                )
            )
        return len(expired)

    async def wait(self, call_id: str, timeout: float | None = None) -> CallRecord:
        """Wait until the call is final (or ``timeout`` passes; then the record as it stands)."""
        sub = self._events.subscribe(maxsize=1000)
        try:
            record = await self._calls.lookup_call(call_id)
            if record is None or record.state is not CallState.PENDING:
                if record is None:
                    raise KeyError(call_id)
                return record
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout or self.default_timeout):
                    async for event in sub:
                        if isinstance(event, CallCompleted) and event.call_id == call_id:
                            break
            final = await self._calls.lookup_call(call_id)
            assert final is not None
            return final
        finally:
            sub.close()

    async def call(
        self,
        station_id: str,
        action: str,
        request: JsonObject,
        *,
        timeout: float | None = None,
        origin: str = "",
    ) -> CallRecord:
        """Send and wait. A call nobody answered in time is marked timed-out."""
        sub = self._events.subscribe(maxsize=1000)
        try:
            record = await self.send(station_id, action, request, origin=origin)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout or self.default_timeout):
                    async for event in sub:
                        if isinstance(event, CallCompleted) and event.call_id == record.call_id:
                            break
        finally:
            sub.close()
        final = await self._calls.lookup_call(record.call_id)
        assert final is not None
        if final.state is CallState.PENDING:
            timed_out = await self._calls.complete_call(
                record.call_id,
                CallState.TIMED_OUT,
                self._clock.now(),
                error_description="no answer from the station in time",
            )
            final = timed_out or final
        return final
