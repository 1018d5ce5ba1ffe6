"""The console under load: 1,000 stations connected, a steady flow of frames, key presses timed.

Run: `python bench/bench_tui.py [--stations 1000] [--rate 500] [--seconds 15] [--presses 120]`.
Prints figures; not a test.

- The embedded CSMS (gateway + manager + SQLite + API) runs in this process; the stations run in
  a separate process (aiohttp websocket clients speaking OCPP 1.6J), so this process's CPU time
  is the CSMS's and the console's only.
- `--rate` is frames per second through the CSMS, both directions counted: every CALL a station
  sends (StatusNotification, MeterValues, Heartbeat in turn) is answered, so 500 frames/s is 250
  calls/s, each logged twice (in and out) and shown live in the Messages tab.
- Phase 1 runs the load headless (the daemon); phase 2 runs it with the console attached through
  `App.run_test()` (a real Textual app, headless terminal). The difference in CPU is the console's
  share.
- Key-press latency: from handing the key to the terminal driver to the first frame written
  after its effect (the tab switched, the cursor moved) — what a user waits.

Measured here (2 cores, defaults: 1,000 stations, 500 frames/s, 15 s phases, 120 presses):
    CSMS process CPU, headless daemon :   9.8 % of one core
    CSMS process CPU, console attached:  30.3 % of one core
    console's share                   :  20.5 % of one core
    key press → screen: p50 27.4 ms, p99 46.0 ms, max 49.9 ms
Before the console's own tables (Textual DataTable for stations and messages, Footer), the same
run used a whole core and answered keys after 0.5–1.6 s; `gc.freeze()` after start-up took the
p99 from ~140 ms (a ~100 ms full collection every few seconds) to under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import multiprocessing
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

PASSWORD = "bench-password-123"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------------------------
# The stations (another process)


async def _station(
    url: str,
    station_id: str,
    start: asyncio.Event,
    stop: asyncio.Event,
    period: float,
    phase: float,
) -> int:
    auth = base64.b64encode(f"{station_id}:{PASSWORD}".encode()).decode()
    sent = 0
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(
            f"{url}/{station_id}",
            protocols=("ocpp1.6",),
            headers={"Authorization": f"Basic {auth}"},
        ) as ws,
    ):
        boot = {"chargePointVendor": "Bench", "chargePointModel": "TUI"}
        await ws.send_json([2, f"{station_id}-b", "BootNotification", boot])
        await ws.receive()
        await start.wait()
        # Spread the stations over the period: a steady flow, not a burst every period.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), phase * period)
        n = 0
        while not stop.is_set():
            now = datetime.now(UTC).isoformat()
            kind = n % 3
            if kind == 0:
                status = ("Available", "Preparing", "Charging")[n // 3 % 3]
                call = [
                    2,
                    f"{station_id}-{n}",
                    "StatusNotification",
                    {"connectorId": 1, "errorCode": "NoError", "status": status},
                ]
            elif kind == 1:
                call = [
                    2,
                    f"{station_id}-{n}",
                    "MeterValues",
                    {
                        "connectorId": 1,
                        "meterValue": [
                            {"timestamp": now, "sampledValue": [{"value": str(n * 10)}]}
                        ],
                    },
                ]
            else:
                call = [2, f"{station_id}-{n}", "Heartbeat", {}]
            await ws.send_json(call)
            await ws.receive()
            sent += 1
            n += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), period)
    return sent


async def _stations_main(url: str, stations: int, rate: float, conn: Any) -> None:
    start, stop = asyncio.Event(), asyncio.Event()
    # Each call is two frames; spread the calls evenly over the stations.
    period = stations / (rate / 2)
    tasks = [
        asyncio.create_task(_station(url, f"B{i:04d}", start, stop, period, i / stations))
        for i in range(stations)
    ]
    conn.send("connected")
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command == "start":
            start.set()
            conn.send("started")
        elif command == "stop":
            stop.set()
            sent = sum(await asyncio.gather(*tasks))
            conn.send(sent)
            return


def _stations_process(url: str, stations: int, rate: float, conn: Any) -> None:
    asyncio.run(_stations_main(url, stations, rate, conn))


# --------------------------------------------------------------------------------------------
# The CSMS (this process)


def _config(tmp: Path) -> Any:
    from core.config import config_from_dict

    return config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp / "csms.db")}},
            "gateway": {"ws_addr": "127.0.0.1:0", "status_addr": "", "listen_backlog": 4096},
            "api": {"addr": "127.0.0.1:0"},
            "observability": {"log_file": ""},
            "sync": {"enabled": False},
        }
    )


async def _register(csms: Any, stations: int) -> None:
    from core.store.models import SecurityProfile, StationAuth

    digest = base64.b64encode(hashlib.sha256(PASSWORD.encode()).digest()).decode()
    now = datetime.now(UTC)
    await asyncio.gather(
        *(
            csms.store.register_station(
                f"B{i:04d}", StationAuth(SecurityProfile.BASIC, digest, False), now
            )
            for i in range(stations)
        )
    )


async def _measure(seconds: float) -> tuple[float, float]:
    cpu0, t0 = _cpu(), time.perf_counter()
    await asyncio.sleep(seconds)
    return _cpu() - cpu0, time.perf_counter() - t0


class _Frames:
    """Records when the app hands a frame to the terminal driver: what the user sees, and when."""

    def __init__(self, app: Any) -> None:
        self.last = 0.0
        display = app._display

        def recording(screen: Any, update: Any) -> None:
            display(screen, update)
            self.last = time.perf_counter()

        app._display = recording


async def _press_and_wait(app: Any, frames: _Frames, key: str, shown: Any) -> float:
    """Send `key` as the terminal would, wait for its effect, then for the frame showing it.

    `Pilot.press` waits until the process goes idle, which never happens under load, so the key
    is handed to the driver directly.
    """
    from textual import events

    start = time.perf_counter()
    app._driver.send_message(events.Key(key, key if len(key) == 1 else None))
    while not shown():
        if time.perf_counter() - start > 10:
            raise RuntimeError(f"key {key!r}: no effect within 10 s")
        await asyncio.sleep(0.0005)
    changed = time.perf_counter()
    while frames.last < changed:
        await asyncio.sleep(0.0005)
    return frames.last - start


async def _key_presses(app: Any, presses: int) -> list[float]:
    from textual.widgets import TabbedContent

    from csms_tui.line_table import KeyedTable

    tabs = app.query_one(TabbedContent)
    stations = app.query_one("#stations-table", KeyedTable)
    frames = _Frames(app)
    latencies: list[float] = []
    plan: list[tuple[str, Any]] = [
        ("2", lambda: tabs.active == "messages"),
        ("1", lambda: tabs.active == "stations"),
        ("down", None),
        ("3", lambda: tabs.active == "transactions"),
        ("1", lambda: tabs.active == "stations"),
        ("up", None),
    ]
    for i in range(presses):
        key, check = plan[i % len(plan)]
        if check is None:  # a cursor move: shown when the row changed
            before = stations.cursor_row
            expected = before + 1 if key == "down" else max(0, before - 1)
            expected = min(expected, max(0, stations.row_count - 1))

            def check(expected: int = expected) -> bool:
                return bool(stations.cursor_row == expected)

        latencies.append(await _press_and_wait(app, frames, key, check))
        await asyncio.sleep(0.1)  # a fast typist, not a flood
    return latencies


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


async def main(args: argparse.Namespace) -> None:

    from core.runtime import Csms
    from csms_tui.app import CsmsConsole
    from csms_tui.line_table import KeyedTable
    from csms_tui.message_log import MessageLog

    with tempfile.TemporaryDirectory() as tmp:
        async with Csms(_config(Path(tmp))) as csms:
            await _register(csms, args.stations)
            url = f"ws://127.0.0.1:{csms.ports['ws']}/ws"
            parent, child = multiprocessing.Pipe()
            proc = multiprocessing.get_context("spawn").Process(
                target=_stations_process, args=(url, args.stations, args.rate, child)
            )
            proc.start()
            loop = asyncio.get_running_loop()
            t_connect = time.perf_counter()
            assert await loop.run_in_executor(None, parent.recv) == "connected"
            while len(csms.gateway.connected()) < args.stations:
                await asyncio.sleep(0.2)
            print(
                f"{args.stations} stations connected and booted in "
                f"{time.perf_counter() - t_connect:.1f} s"
            )
            parent.send("start")
            assert await loop.run_in_executor(None, parent.recv) == "started"
            await asyncio.sleep(1.0)

            headless_cpu, headless_wall = await _measure(args.seconds)

            app = CsmsConsole(service=csms.service, freeze_gc=True)  # as `csms-tui` runs it
            async with app.run_test(size=(160, 50)):
                table = app.query_one("#stations-table", KeyedTable)
                t_load = time.perf_counter()
                while table.row_count < args.stations:
                    await asyncio.sleep(0.05)
                print(
                    f"console showed {table.row_count} stations {time.perf_counter() - t_load:.2f} s after start"
                )
                # Steady state: the message log holds its full window (it grows only at first).
                log = app.query_one("#messages-table", MessageLog)
                t_fill = time.perf_counter()
                while log.row_count < app.window and time.perf_counter() - t_fill < 30:
                    await asyncio.sleep(0.1)
                await asyncio.sleep(1.0)
                console_cpu, console_wall = await _measure(args.seconds)
                latencies = await _key_presses(app, args.presses)
                messages = app.query_one("#messages-table", MessageLog).row_count

            parent.send("stop")
            sent = await loop.run_in_executor(None, parent.recv)
            proc.join()

    cpu_headless = 100 * headless_cpu / headless_wall
    cpu_console = 100 * console_cpu / console_wall
    print(f"load: {args.stations} stations, {args.rate:.0f} frames/s asked, {sent} calls answered")
    print(f"CSMS process CPU, headless daemon : {cpu_headless:5.1f} % of one core")
    print(f"CSMS process CPU, console attached: {cpu_console:5.1f} % of one core")
    print(f"console's share                   : {cpu_console - cpu_headless:5.1f} % of one core")
    print(
        f"key press → screen ({len(latencies)} presses): p50 {_pct(latencies, 0.5):.1f} ms, "
        f"p99 {_pct(latencies, 0.99):.1f} ms, max {max(latencies) * 1000:.1f} ms, "
        f"mean {statistics.fmean(latencies) * 1000:.1f} ms"
    )
    print(f"messages table held {messages} rows (bounded window)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=500.0, help="frames/s, both directions")
    parser.add_argument("--seconds", type=float, default=15.0, help="each measuring phase")
    parser.add_argument("--presses", type=int, default=120)
    asyncio.run(main(parser.parse_args()))
