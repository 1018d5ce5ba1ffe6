"""TransactionEvents late in a long charging session against the first ones, one process.

A session charging for eight hours with a reading a minute brings 480 TransactionEvents. Each is
parsed, routed (request and response validated), handled (its meter start/stop and running cost
from every reading so far) against a real SQLite store, and answered after its commit. What an
event costs must not grow with the readings before it: N stations run one transaction each, and
the events of a window near the start, the middle and the end are timed.

Run: ``python bench/bench_long_tx.py [--stations 20] [--length 480] [--base DIR]``. With
``--base``, the same run is made on the source tree DIR (e.g. ``git archive`` of an older commit)
in a process of its own, for before/after figures on the same machine in the same run. Prints
figures; not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

WINDOW = 60  # events per station in each timed window
AIM = 0.8  # the last window's rate over the first's: flat, allowing for a machine's noise


def _event(station: int, seq: int, length: int, at: datetime) -> str:
    kind = "Started" if seq == 0 else "Ended" if seq == length - 1 else "Updated"
    stamp = at.isoformat().replace("+00:00", "Z")
    payload: dict[str, object] = {
        "eventType": kind,
        "timestamp": stamp,
        "triggerReason": "MeterValuePeriodic",
        "seqNo": seq,
        "transactionInfo": {"transactionId": f"T{station}", "chargingState": "Charging"},
        "evse": {"id": 1, "connectorId": 1},
        "meterValue": [
            {
                "timestamp": stamp,
                "sampledValue": [
                    # the register, and nine more measurands as a station samples them
                    {"value": 1000.0 + 120.0 * seq, "context": "Sample.Periodic"},
                    *(
                        {"value": 230.0 + i, "measurand": "Voltage", "phase": f"L{1 + i % 3}"}
                        for i in range(9)
                    ),
                ],
            }
        ],
    }
    return orjson.dumps([2, f"m{station}-{seq}", "TransactionEvent", payload]).decode()


Window = tuple[int, int, float, float]  # first and last seqNo, events/s, ms to list them


async def _measure(stations: int, length: int) -> list[Window]:
    """Each timed window's figures."""
    # Imported here: with --base, the child process imports them from the other tree.
    from bench_pipeline import handler_deps

    from core.application.service import CsmsService
    from core.clock import SystemClock
    from core.events import EventBus
    from core.handlers.ocpp201.routes import routes
    from core.handlers.router import Router
    from core.ocpp.framing import parse_frame, serialise
    from core.ocpp.types import Message, OcppVersion
    from core.store.sqlite import SqliteStore

    class Nobody:  # connections: none (the service's reads do not ask)
        def is_connected(self, station_id: str) -> bool:
            return False

        def connected(self) -> set[str]:
            return set()

    class Sink:  # the stations' side: answers and CostUpdated calls serialised, then dropped
        async def emit(self, version: OcppVersion, station_id: str, message: Message) -> None:
            serialise(message)

    t0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    frames = [
        [_event(i, seq, length, t0 + timedelta(minutes=seq)) for seq in range(length)]
        for i in range(stations)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(str(Path(tmp) / "bench.db"))
        await store.open()
        clock, bus, sink = SystemClock(), EventBus(), Sink()
        deps = handler_deps(store, clock, bus, sink)
        router = Router(OcppVersion.V201, routes(deps), sink, store, bus, clock)
        service = CsmsService(store, deps.call_maker, bus, clock, Nobody(), tariff=deps.tariff)

        async def station(i: int, start: int, end: int) -> None:
            for seq in range(start, end):
                message = parse_frame(frames[i][seq], OcppVersion.V201)
                assert isinstance(message, Message)
                await router.route(f"CS{i}", message)

        async def listing() -> float:
            """The transactions page as the console and the API read it (running ones with
            their energy and cost so far): the best of five reads, in ms."""
            times = []
            for _ in range(5):
                began = time.perf_counter()
                page = await service.list_transactions(limit=50)
                times.append(time.perf_counter() - began)
                assert all(tx.energy_wh is not None for tx in page)
            return 1000 * min(times)

        async def run(start: int, end: int) -> float:
            began = time.perf_counter()
            await asyncio.gather(*(station(i, start, end) for i in range(stations)))
            return time.perf_counter() - began

        windows = [(0, WINDOW), ((length - WINDOW) // 2, (length + WINDOW) // 2)]
        windows.append((length - WINDOW - 1, length - 1))  # the last Updated ones, not Ended
        figures: list[Window] = []
        done = 0
        for start, end in windows:
            await run(done, start)  # the readings between windows, untimed
            rate = stations * (end - start) / await run(start, end)
            figures.append((start + 1, end, rate, await listing()))
            done = end
        await run(done, length)
        # Figures count only if the work was done: every session ended, with its register's
        # first and last readings as meter start and stop.
        for i in range(stations):
            tx = await store.find_transaction(f"CS{i}", f"T{i}")
            got = None if tx is None else (tx.active, tx.meter_start_wh, tx.meter_stop_wh)
            if got != (False, 1000.0, 1000.0 + 120.0 * (length - 1)):
                raise SystemExit(f"CS{i}'s transaction was not stored as sent: {got}")
        await store.close()
    return figures


def _print(label: str, figures: list[Window]) -> None:
    first = figures[0][2]
    cells = "   ".join(
        f"events {a}–{b}: {rate:7,.0f}/s ({rate / first:4.2f}×), list {ms:5.1f} ms"
        for a, b, rate, ms in figures
    )
    print(f"{label:<6} {cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=20, help="transactions run at once")
    parser.add_argument("--length", type=int, default=480, help="events per transaction")
    parser.add_argument("--base", type=Path, help="also run on the source tree DIR")
    parser.add_argument("--raw", action="store_true", help=argparse.SUPPRESS)  # --base's child
    args = parser.parse_args()
    if args.length < 3 * WINDOW + 2:
        parser.error(f"--length must be at least {3 * WINDOW + 2}")
    figures = asyncio.run(_measure(args.stations, args.length))
    if args.raw:
        print(orjson.dumps(figures).decode())
        return
    print(
        f"{args.stations} transactions of {args.length} TransactionEvents each (10 sampled"
        f" values, a reading a minute), {os.cpu_count()} cores; each window's events/s, its"
        " ratio to the first window's, and the time to list the running transactions after it"
    )
    _print("csms", figures)
    if args.base is not None:
        sizes = ["--stations", str(args.stations), "--length", str(args.length)]
        child = subprocess.run(
            [sys.executable, __file__, "--raw", *sizes],
            env={**os.environ, "PYTHONPATH": str(args.base.resolve())},
            capture_output=True,
            text=True,
            check=True,
        )
        _print(
            "base", [(a, b, r, ms) for a, b, r, ms in orjson.loads(child.stdout.splitlines()[-1])]
        )
    late = figures[-1][2] / figures[0][2]
    verdict = "met" if late >= AIM else "not met"
    print(f"aim: the last window at ≥ {AIM}× the first ({late:.2f}×: {verdict})")


if __name__ == "__main__":
    main()
