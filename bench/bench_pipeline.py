"""Messages per second through framing + router + handler + SQLite store, one process.

Run: `python bench/bench_pipeline.py [N]`. Prints figures; not a test. Each message is parsed
from its wire text, routed (request and response validated), handled against a real SQLite
store (group commit; every reply is produced only after its commit) and serialised. N concurrent
"stations" keep one call outstanding each, as OCPP-J requires.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson

from core import schemas
from core.clock import Clock, SystemClock
from core.config import Config
from core.events import EventBus
from core.handlers.call_maker import CallMaker, Emitter
from core.handlers.deps import HandlerDeps, HandlerSettings
from core.handlers.ocpp16.routes import routes as routes16
from core.handlers.ocpp201.routes import routes as routes201
from core.handlers.router import Router
from core.ocpp.framing import parse_frame, serialise
from core.ocpp.types import Message, OcppVersion
from core.services.factory import build_services
from core.store.models import CacheMode, Token
from core.store.sqlite import SqliteStore


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def emit(self, version: OcppVersion, station_id: str, message: Message) -> None:
        serialise(message)
        self.count += 1


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def meter_values(n: int) -> list[dict[str, object]]:
    return [
        {
            "timestamp": now(),
            "sampledValue": [
                {"value": str(1000 + i), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
                for i in range(n)
            ],
        }
    ]


def tx_event(kind: str, station: int, seq: int) -> str:
    payload = {
        "eventType": kind,
        "timestamp": now(),
        "triggerReason": "MeterValuePeriodic",
        "seqNo": seq,
        "transactionInfo": {"transactionId": f"T{station}", "chargingState": "Charging"},
        "evse": {"id": 1, "connectorId": 1},
        "meterValue": [
            {
                "timestamp": now(),
                "sampledValue": [
                    {
                        "value": 1000.0 + i,
                        "measurand": "Energy.Active.Import.Register",
                        "unitOfMeasure": {"unit": "Wh"},
                    }
                    for i in range(10)
                ],
            }
        ],
    }
    if kind == "Started":
        payload["idToken"] = {"idToken": "TAG", "type": "ISO14443"}
    return orjson.dumps([2, f"m{station}-{seq}", "TransactionEvent", payload]).decode()


def handler_deps(store: SqliteStore, clock: Clock, bus: EventBus, sink: Emitter) -> HandlerDeps:
    """The handlers' dependencies as the daemon composes them from the default configuration,
    the CSMS's calls going to ``sink``."""
    services = build_services(Config(), store, clock)
    return HandlerDeps.of(
        store,
        clock,
        bus,
        CallMaker(sink, store, store, bus, clock),
        services,
        HandlerSettings.from_config(Config()),
    )


async def run(
    name: str,
    router: Router,
    version: OcppVersion,
    frame: Callable[[int, int], str],
    stations: int,
    per_station: int,
) -> float:
    async def station(i: int) -> None:
        for n in range(per_station):
            msg = parse_frame(frame(i, n), version)
            assert isinstance(msg, Message)
            await router.route(f"CS{i}", msg)

    start = time.perf_counter()
    await asyncio.gather(*(station(i) for i in range(stations)))
    elapsed = time.perf_counter() - start
    rate = stations * per_station / elapsed
    print(f"{name:<36} {rate:>10,.0f} msg/s  ({stations} stations x {per_station})")
    return rate


def validation_share(
    version_set: schemas.SchemaSet, action: str, payload: object, response: object, rate: float
) -> str:
    n = 20_000
    start = time.perf_counter()
    for _ in range(n):
        schemas.validate(version_set, action, schemas.Direction.REQUEST, payload)
        schemas.validate(version_set, action, schemas.Direction.RESPONSE, response)
    per_msg = (time.perf_counter() - start) / n
    return f"validation {per_msg * 1e6:.1f} µs/msg = {per_msg * rate * 100:.1f} % of the time"


async def main() -> None:
    stations = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(str(Path(tmp) / "bench.db"))
        await store.open()
        clock, bus, sink = SystemClock(), EventBus(), Sink()
        await store.set_token(
            Token("GB", "TWK", "RFID", "TAG", "GBTWK012345678V", "b", True, CacheMode.ALWAYS)
        )
        deps = handler_deps(store, clock, bus, sink)
        r16 = Router(OcppVersion.V16, routes16(deps), sink, store, bus, clock)
        r201 = Router(OcppVersion.V201, routes201(deps), sink, store, bus, clock)
        print(f"framing + router + handler + SQLite (group commit), {stations} concurrent stations")
        hb = await run(
            "1.6 Heartbeat",
            r16,
            OcppVersion.V16,
            lambda i, n: f'[2,"h{i}-{n}","Heartbeat",{{}}]',
            stations,
            100,
        )
        boot = orjson.dumps({"chargePointVendor": "Acme", "chargePointModel": "X1"}).decode()
        await run(
            "1.6 BootNotification",
            r16,
            OcppVersion.V16,
            lambda i, n: f'[2,"b{i}-{n}","BootNotification",{boot}]',
            stations,
            20,
        )
        mv = orjson.dumps({"connectorId": 1, "meterValue": meter_values(10)}).decode()
        mvr = await run(
            "1.6 MeterValues (10 sampled values)",
            r16,
            OcppVersion.V16,
            lambda i, n: f'[2,"v{i}-{n}","MeterValues",{mv}]',
            stations,
            50,
        )

        def cycle(i: int, n: int) -> str:
            kind = "Started" if n == 0 else ("Ended" if n == 49 else "Updated")
            return tx_event(kind, i, n)

        te = await run("2.0.1 TransactionEvent cycle", r201, OcppVersion.V201, cycle, stations, 50)
        print(
            f"store: {store.jobs:,} writes in {store.batches:,} commits ({store.jobs / max(store.batches, 1):.1f} per commit)"
        )
        te_payload = orjson.loads(tx_event("Updated", 0, 1))[3]
        print(
            "2.0.1 TransactionEvent "
            + validation_share(schemas.SchemaSet.OCPP201, "TransactionEvent", te_payload, {}, te)
        )
        print(
            "1.6 Heartbeat "
            + validation_share(
                schemas.SchemaSet.OCPP16, "Heartbeat", {}, {"currentTime": now()}, hb
            )
        )
        print(
            "1.6 MeterValues "
            + validation_share(schemas.SchemaSet.OCPP16, "MeterValues", orjson.loads(mv), {}, mvr)
        )
        await store.close()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
