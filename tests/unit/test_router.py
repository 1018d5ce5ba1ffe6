"""The router's error mapping and result/error flow, on the real SQLite store."""

from __future__ import annotations

from typing import Any

import pytest

from core.clock import FixedClock
from core.events import CallCompleted, EventBus
from core.handlers.router import TIMEOUT_ERROR_CODE, Router
from core.handlers.types import Routes
from core.ocpp.errors import ErrorKind, RpcError
from core.ocpp.types import JsonObject, Message, MessageType, OcppVersion
from core.schemas import SchemaSet
from core.store.models import CallRecord, CallState
from core.store.protocols import Store


class RecordingEmitter:
    """Stands in for the transport: remembers what the router sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[OcppVersion, str, Message]] = []

    async def emit(self, version: OcppVersion, station_id: str, message: Message) -> None:
        self.sent.append((version, station_id, message))


async def _heartbeat(station_id: str, request: JsonObject) -> JsonObject:
    return {"currentTime": "2026-01-01T00:00:00.000Z"}


async def _crash(station_id: str, request: JsonObject) -> JsonObject:
    raise RuntimeError("boom")


async def _bad_response(station_id: str, request: JsonObject) -> JsonObject:
    return {"currentTime": 5}


async def _security(station_id: str, request: JsonObject) -> JsonObject:
    raise RpcError(ErrorKind.SECURITY_ERROR, "not accepted yet")


def _router(
    version: OcppVersion, store: Store, clock: FixedClock, **calls: Any
) -> tuple[Router, RecordingEmitter, EventBus]:
    emitter, bus = RecordingEmitter(), EventBus()
    schema_set = SchemaSet.OCPP16 if version is OcppVersion.V16 else SchemaSet.OCPP201
    routes = Routes(schema_set=schema_set, calls=dict(calls))
    return Router(version, routes, emitter, store, bus, clock), emitter, bus


def _call(action: str, payload: JsonObject, msg_id: str = "m1") -> Message:
    return Message(type=MessageType.CALL, id=msg_id, action=action, request=payload)


V16_BOOT_OK = {"chargePointVendor": "V", "chargePointModel": "M"}
V201_BOOT_OK = {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}}


@pytest.mark.parametrize(
    ("version", "action", "payload", "code"),
    [
        (OcppVersion.V16, "NoSuchAction", {}, "NotImplemented"),
        (OcppVersion.V201, "NoSuchAction", {}, "NotImplemented"),
        (
            OcppVersion.V16,
            "BootNotification",
            {"chargePointVendor": "V"},
            "OccurenceConstraintViolation",
        ),
        (
            OcppVersion.V201,
            "BootNotification",
            {"reason": "PowerUp"},
            "OccurrenceConstraintViolation",
        ),
        (
            OcppVersion.V16,
            "BootNotification",
            {**V16_BOOT_OK, "chargePointModel": 7},
            "TypeConstraintViolation",
        ),
        (
            OcppVersion.V201,
            "BootNotification",
            {**V201_BOOT_OK, "reason": 7},
            "TypeConstraintViolation",
        ),
        (
            OcppVersion.V16,
            "BootNotification",
            {**V16_BOOT_OK, "chargePointModel": "x" * 21},
            "PropertyConstraintViolation",
        ),
        (
            OcppVersion.V201,
            "BootNotification",
            {**V201_BOOT_OK, "reason": "Bored"},
            "PropertyConstraintViolation",
        ),
        (OcppVersion.V16, "BootNotification", {**V16_BOOT_OK, "extra": 1}, "FormationViolation"),
        (OcppVersion.V201, "BootNotification", {**V201_BOOT_OK, "extra": 1}, "FormatViolation"),
        (OcppVersion.V16, "Heartbeat", {}, "InternalError"),  # handler crashes
        (OcppVersion.V201, "Heartbeat", {}, "InternalError"),
    ],
)
async def test_schema_and_handler_failures_map_to_precise_codes(
    sqlite_store: Store,
    clock: FixedClock,
    version: OcppVersion,
    action: str,
    payload: JsonObject,
    code: str,
) -> None:
    router, emitter, _ = _router(
        version, sqlite_store, clock, BootNotification=_heartbeat, Heartbeat=_crash
    )
    await router.route("cs1", _call(action, payload))
    assert len(emitter.sent) == 1
    _, station, reply = emitter.sent[0]
    assert station == "cs1"
    assert reply.type is MessageType.CALL_ERROR
    assert (reply.id, reply.error_code) == ("m1", code)
    # A schema failure tells the station where and which rule; the other codes carry nothing.
    schema_codes = ("Type", "Property", "Occ", "Formation", "Format")
    fields = {"pointer", "keyword", "expected", "got"} if code.startswith(schema_codes) else set()
    assert set(reply.error_details or {}) == fields


async def test_handler_crash_does_not_stop_the_router(
    sqlite_store: Store, clock: FixedClock
) -> None:
    router, emitter, _ = _router(
        OcppVersion.V16, sqlite_store, clock, Heartbeat=_crash, StatusNotification=_heartbeat
    )
    await router.route("cs1", _call("Heartbeat", {}, "a"))
    router.routes.calls["Heartbeat"] = _heartbeat
    await router.route("cs1", _call("Heartbeat", {}, "b"))
    assert [m.type for _, _, m in emitter.sent] == [MessageType.CALL_ERROR, MessageType.CALL_RESULT]
    assert emitter.sent[1][2].response == {"currentTime": "2026-01-01T00:00:00.000Z"}


async def test_rpc_error_from_a_handler_keeps_its_code(
    sqlite_store: Store, clock: FixedClock
) -> None:
    router, emitter, _ = _router(OcppVersion.V201, sqlite_store, clock, Heartbeat=_security)
    await router.route("cs1", _call("Heartbeat", {}))
    assert emitter.sent[0][2].error_code == "SecurityError"
    assert emitter.sent[0][2].error_description == "not accepted yet"


async def test_invalid_own_response_is_an_internal_error(
    sqlite_store: Store, clock: FixedClock
) -> None:
    router, emitter, _ = _router(OcppVersion.V16, sqlite_store, clock, Heartbeat=_bad_response)
    await router.route("cs1", _call("Heartbeat", {}))
    assert emitter.sent[0][2].error_code == "InternalError"


async def _pending_call(
    store: Store, clock: FixedClock, call_id: str, action: str, request: JsonObject
) -> None:
    await store.create_call(
        CallRecord(
            call_id=call_id,
            station_id="cs1",
            action=action,
            request=request,
            ocpp_version="2.0.1",
            created_at=clock.now(),
        )
    )


async def test_call_result_reaches_result_handler_with_the_original_request(
    sqlite_store: Store, clock: FixedClock
) -> None:
    seen: list[tuple[str, JsonObject, JsonObject]] = []

    async def reset_result(
        station_id: str, request: JsonObject, response: JsonObject, state: Any
    ) -> None:
        seen.append((station_id, request, response))

    router, emitter, bus = _router(OcppVersion.V201, sqlite_store, clock)
    router.routes.results["Reset"] = reset_result
    sub = bus.subscribe()
    await _pending_call(sqlite_store, clock, "c1", "Reset", {"type": "Immediate"})
    await router.route(
        "cs1",
        Message(
            type=MessageType.CALL_RESULT,
            id="c1",
            action="Reset",
            request={"type": "Immediate"},
            response={"status": "Accepted"},
        ),
    )
    assert seen == [("cs1", {"type": "Immediate"}, {"status": "Accepted"})]
    assert emitter.sent == []  # a result is never answered
    record = await sqlite_store.lookup_call("c1")
    assert record is not None
    assert record.state is CallState.ANSWERED
    assert record.response == {"status": "Accepted"}
    event = sub.get_nowait()
    assert isinstance(event, CallCompleted)
    assert event.call_id == "c1"
    assert event.state == "answered"


async def test_station_call_errors_are_recorded_and_reach_the_caller(
    sqlite_store: Store, clock: FixedClock
) -> None:
    errors: list[tuple[str, str]] = []

    async def on_error(station_id: str, request: JsonObject, code: str, description: str) -> None:
        errors.append((code, description))

    router, _, bus = _router(OcppVersion.V201, sqlite_store, clock)
    router.routes.errors["Reset"] = on_error
    sub = bus.subscribe()
    await _pending_call(sqlite_store, clock, "c2", "Reset", {"type": "Immediate"})
    await router.route(
        "cs1",
        Message(
            type=MessageType.CALL_ERROR,
            id="c2",
            action="Reset",
            request={"type": "Immediate"},
            error_code="NotSupported",
            error_description="no",
        ),
    )
    assert errors == [("NotSupported", "no")]
    record = await sqlite_store.lookup_call("c2")
    assert record is not None
    assert record.state is CallState.ERROR
    assert (record.error_code, record.error_description) == ("NotSupported", "no")
    event = sub.get_nowait()
    assert isinstance(event, CallCompleted)
    assert event.state == "error"


async def test_gateway_timeout_marks_the_call_timed_out(
    sqlite_store: Store, clock: FixedClock
) -> None:
    router, _, _ = _router(OcppVersion.V201, sqlite_store, clock)
    await _pending_call(sqlite_store, clock, "c3", "Reset", {"type": "Immediate"})
    await router.route(
        "cs1",
        Message(
            type=MessageType.CALL_ERROR,
            id="c3",
            action="Reset",
            error_code=TIMEOUT_ERROR_CODE,
            error_description="30 s",
        ),
    )
    record = await sqlite_store.lookup_call("c3")
    assert record is not None
    assert record.state is CallState.TIMED_OUT


async def test_invalid_result_from_station_is_recorded_as_error(
    sqlite_store: Store, clock: FixedClock
) -> None:
    called: list[str] = []

    async def reset_result(
        station_id: str, request: JsonObject, response: JsonObject, state: Any
    ) -> None:
        called.append(station_id)

    router, _, _ = _router(OcppVersion.V201, sqlite_store, clock)
    router.routes.results["Reset"] = reset_result
    await _pending_call(sqlite_store, clock, "c4", "Reset", {"type": "Immediate"})
    await router.route(
        "cs1",
        Message(
            type=MessageType.CALL_RESULT,
            id="c4",
            action="Reset",
            request={"type": "Immediate"},
            response={"status": "Maybe"},
        ),
    )
    assert called == []
    record = await sqlite_store.lookup_call("c4")
    assert record is not None
    assert record.state is CallState.ERROR
