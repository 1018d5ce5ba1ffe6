"""Random and mutated frames through framing + router + every real handler: no exception ever
escapes, and every readable CALL gets exactly one reply (CALLRESULT or CALLERROR)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.clock import FixedClock
from core.config import Config
from core.events import EventBus
from core.handlers.call_maker import CallMaker
from core.handlers.deps import HandlerDeps, HandlerSettings
from core.handlers.ocpp16.routes import routes as routes16
from core.handlers.ocpp201.routes import pnc_handlers
from core.handlers.ocpp201.routes import routes as routes201
from core.handlers.router import Router
from core.ocpp.framing import FrameError, parse_frame
from core.ocpp.types import Message, MessageType, OcppVersion
from core.services.factory import build_services
from core.store.sqlite import SqliteStore

SEEDS: dict[OcppVersion, list[tuple[str, dict[str, Any]]]] = {
    OcppVersion.V16: [
        ("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}),
        (
            "StartTransaction",
            {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"},
        ),
        (
            "StopTransaction",
            {"transactionId": 1, "meterStop": 5, "timestamp": "2026-01-01T00:00:00Z"},
        ),
        (
            "MeterValues",
            {
                "connectorId": 1,
                "meterValue": [
                    {"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [{"value": "1"}]}
                ],
            },
        ),
        (
            "DataTransfer",
            {
                "vendorId": "org.openchargealliance.iso15118pnc",
                "messageId": "Authorize",
                "data": "{}",
            },
        ),
        ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}),
    ],
    OcppVersion.V201: [
        (
            "TransactionEvent",
            {
                "eventType": "Started",
                "timestamp": "2026-01-01T00:00:00Z",
                "triggerReason": "Authorized",
                "seqNo": 0,
                "transactionInfo": {"transactionId": "t"},
            },
        ),
        (
            "NotifyReport",
            {
                "requestId": 1,
                "generatedAt": "2026-01-01T00:00:00Z",
                "seqNo": 0,
                "reportData": [
                    {
                        "component": {"name": "C"},
                        "variable": {"name": "V"},
                        "variableAttribute": [{"value": "1"}],
                    }
                ],
            },
        ),
        ("Authorize", {"idToken": {"idToken": "x", "type": "ISO14443"}}),
        (
            "BootNotification",
            {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}},
        ),
    ],
}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
values = st.recursive(
    scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=8,
)


@st.composite
def mutated(draw: st.DrawFn, version: OcppVersion) -> str:
    action, payload = draw(st.sampled_from(SEEDS[version]))
    payload = json.loads(json.dumps(payload))
    for _ in range(draw(st.integers(0, 3))):
        keys = list(payload)
        op = draw(st.sampled_from(["drop", "set", "add"]))
        if op == "drop" and keys:
            payload.pop(draw(st.sampled_from(keys)))
        elif op == "set" and keys:
            payload[draw(st.sampled_from(keys))] = draw(values)
        else:
            payload[draw(st.text(max_size=8))] = draw(values)
    frame: list[Any] = [2, draw(st.text(min_size=1, max_size=40)), action, payload]
    if draw(st.booleans()):
        frame = (
            draw(st.lists(values, max_size=5))
            if draw(st.booleans())
            else frame[: draw(st.integers(0, 4))]
        )
    return json.dumps(frame)


async def _route(version: OcppVersion, raw: str) -> None:
    store = SqliteStore(":memory:")
    await store.open()
    try:
        clock, bus = FixedClock(), EventBus()
        sent: list[Message] = []

        class Sink:
            async def emit(self, v: OcppVersion, station_id: str, message: Message) -> None:
                sent.append(message)

        services = build_services(Config(), store, clock)
        deps = HandlerDeps.of(
            store,
            clock,
            bus,
            CallMaker(Sink(), store, store, bus, clock),
            services,
            HandlerSettings(),
        )
        v201 = routes201(deps)
        routes = v201 if version is OcppVersion.V201 else routes16(deps, pnc=pnc_handlers(v201))
        router = Router(version, routes, Sink(), store, bus, clock)
        parsed = parse_frame(raw, version)
        if isinstance(parsed, FrameError):
            return
        await router.route("CS1", parsed)
        if parsed.type is MessageType.CALL:
            assert len(sent) == 1
            assert sent[0].id == parsed.id
            assert sent[0].type in (MessageType.CALL_RESULT, MessageType.CALL_ERROR)
            if sent[0].type is MessageType.CALL_ERROR:
                assert sent[0].error_code != "InternalError", sent[
                    0
                ].error_description  # no handler crashed
    finally:
        await store.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), version=st.sampled_from(list(OcppVersion)))
def test_mutated_frames_never_escape(data: st.DataObject, version: OcppVersion) -> None:
    asyncio.run(_route(version, data.draw(mutated(version))))
